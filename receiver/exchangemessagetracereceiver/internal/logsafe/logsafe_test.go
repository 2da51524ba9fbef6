package logsafe

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

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

func TestTruncateKeepsUTF8Whole(t *testing.T) {
	assert.Equal(t, "abc", Truncate("abc", 3))
	assert.Equal(t, "ab…", Truncate("abcd", 2))
	assert.Equal(t, "é…", Truncate("éé", 3), "a cut inside a two-byte sequence moves back to its start")
}

func TestRedactValuesReplacesKnownSecretsAndTokens(t *testing.T) {
	got := RedactValues(`Post "https://login/x": client_secret=s3cr3t-value&code=0.AXYZ-code dial tcp: refused; token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln`, "s3cr3t-value", "0.AXYZ-code", "ab")
	assert.NotContains(t, got, "s3cr3t-value")
	assert.NotContains(t, got, "0.AXYZ-code")
	assert.NotContains(t, got, "eyJhbGciOiJSUzI1NiJ9")
	assert.Contains(t, got, "dial tcp: refused", "the cause stays readable")
}
