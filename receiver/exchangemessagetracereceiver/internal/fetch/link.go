package fetch

import (
	"net/url"
	"strings"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/origin"
)

// QueryEscape escapes a query value, writing spaces as %20: OData servers
// read '+' inconsistently, %20 everywhere.
func QueryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// SanitizeLink percent-encodes the bytes that may not appear raw in a
// request line (spaces, quotes, non-ASCII) and leaves everything else,
// including existing escapes, exactly as the server wrote it: a nextLink
// is opaque and must be followed whole.
func SanitizeLink(s string) string {
	const hex = "0123456789ABCDEF"
	clean := true
	for i := 0; i < len(s); i++ {
		if needsEscape(s[i]) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func needsEscape(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return true
	}
	switch c {
	case '"', '<', '>', '\\', '^', '`', '{', '|', '}':
		return true
	}
	return false
}

// SameOrigin reports whether link is an absolute URL of base's origin
// (see origin.Same: a default port written out is the same origin). The
// bearer token goes with every request, so a link that leaves the API's
// origin is never followed.
func SameOrigin(link string, base *url.URL) bool { return origin.SameLink(link, base) }

// ResolveLink resolves a (possibly relative) link against the URL of the
// request that returned it, as the legacy service's relative
// odata.nextLink requires.
func ResolveLink(link string, against *url.URL) (string, error) {
	ref, err := url.Parse(SanitizeLink(link))
	if err != nil {
		return "", err
	}
	if ref.IsAbs() {
		return SanitizeLink(link), nil
	}
	return against.ResolveReference(ref).String(), nil
}

// ShortURL shortens a URL for logs: skiptokens can be kilobytes long.
func ShortURL(s string) string { return logsafe.Truncate(s, 200) }
