package apiclient

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseErrorBody(t *testing.T) {
	tests := map[string]ErrorBody{
		`{"error":{"code":"BadRequest","message":"too long","innerError":{"date":"x"}}}`:          {Code: "BadRequest", Message: "too long"},
		`{"odata.error":{"code":"","message":{"lang":"en-US","value":"An error has occurred."}}}`: {Message: "An error has occurred."},
		`{"error":{"code":"X","message":{"lang":"en-US","value":"verbose"}}}`:                     {Code: "X", Message: "verbose"},
		`{"ErrorCode":"","Message":"No permission to access the report for the organization ."}`:  {Message: "No permission to access the report for the organization ."},
		`{"error":"invalid_grant","error_description":"AADSTS70008: expired"}`:                    {Code: "invalid_grant", Message: "AADSTS70008: expired"},
		`<html><head><title>Sign in to Outlook</title></head></html>`:                             {Message: "HTML page: Sign in to Outlook"},
		`Service Unavailable`: {Message: "Service Unavailable"},
		``:                    {},
	}
	for body, want := range tests {
		assert.Equal(t, want, ParseErrorBody([]byte(body)), body)
	}
}

func TestQuoteCapsAndRedacts(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	q := Quote("token " + jwt + " and Bearer abcdefghijklmnop and access_token=zzzzzzzzzzzz and \"client_secret\": \"s3cr3t-value-1\"")
	assert.NotContains(t, q, jwt)
	assert.NotContains(t, q, "abcdefghijklmnop")
	assert.NotContains(t, q, "zzzzzzzzzzzz")
	assert.NotContains(t, q, "s3cr3t-value-1")
	assert.Contains(t, q, "Bearer [redacted]")

	long := Quote(strings.Repeat("é", 400))
	assert.LessOrEqual(t, len(long), maxQuoted+10)
	assert.True(t, strings.HasSuffix(long, `…"`))

	// Ordinary Graph messages go through untouched.
	assert.Equal(t, `"Cannot process argument transformation on parameter 'StartDate'."`, Quote("Cannot process argument transformation on parameter 'StartDate'."))
	assert.Equal(t, `"code: BadRequest"`, Quote("code: BadRequest"))
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 23, 10, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"2":                             2 * time.Second,
		"120":                           2 * time.Minute,
		"":                              DefaultRetryAfter,
		"soon":                          DefaultRetryAfter,
		"0":                             time.Second,
		"NaN":                           DefaultRetryAfter,
		"Fri, 23 Jan 2026 10:00:30 GMT": 30 * time.Second,
		"Fri, 23 Jan 2026 09:00:00 GMT": time.Second,
	}
	for v, want := range tests {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		assert.Equal(t, want, RetryAfter(h, now), v)
	}
}
