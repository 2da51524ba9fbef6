package fetch

import (
	"testing"

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
