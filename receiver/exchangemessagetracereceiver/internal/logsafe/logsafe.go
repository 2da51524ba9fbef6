// Package logsafe prepares text that came from a server, or that may hold a
// credential, for an error message or a log line: tokens and secrets
// redacted, long text shortened. It is the one place that knows what a
// secret looks like in a response.
package logsafe

import (
	"regexp"
	"strconv"
	"strings"
)

// maxQuoted caps text quoted from a response: enough for any of
// Microsoft's messages, too little to dump a body into a log.
const maxQuoted = 300

var secretPatterns = []*regexp.Regexp{
	// JWTs (access and id tokens).
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}`),
	regexp.MustCompile(`(?i)((?:access_token|refresh_token|id_token|client_secret|client_assertion)["']?\s*[:=]\s*["']?)[^"'&\s,}]{8,}`),
}

// Redact removes anything that looks like a token or secret from text that
// came from a server, before it reaches an error or a log.
func Redact(s string) string {
	if !strings.ContainsAny(s, ".=:") && !strings.Contains(strings.ToLower(s), "bearer") {
		return s
	}
	s = secretPatterns[0].ReplaceAllString(s, "[redacted]")
	s = secretPatterns[1].ReplaceAllString(s, "${1}[redacted]")
	return secretPatterns[2].ReplaceAllString(s, "${1}[redacted]")
}

// RedactValues is Redact, and also replaces each of the known secret values
// (a client secret, a certificate password, an authorization code, a
// refresh token): text that went through a request carrying them, such as
// a transport error quoting the form, can hold them verbatim. Values
// shorter than 4 bytes are left: they would mangle ordinary words.
func RedactValues(s string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return Redact(s)
}

// Quote prepares server text for a message: secrets redacted, white space
// collapsed, capped at about 300 characters, and quoted.
func Quote(s string) string {
	s = strings.Join(strings.Fields(Redact(s)), " ")
	if len(s) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}

// Truncate shortens s to at most n bytes (plus an ellipsis), never splitting
// a UTF-8 sequence. For URLs (skiptokens can be kilobytes long), page
// titles and values quoted in reasons.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
