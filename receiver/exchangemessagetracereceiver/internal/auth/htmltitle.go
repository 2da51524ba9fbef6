package auth

import (
	"bytes"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
)

// htmlTitle returns the text of an HTML page's <title>, or "": a proxy's
// or captive portal's page sent instead of a token response says in it
// what it is. (The same as the fetch package's, for the identity platform.)
func htmlTitle(page []byte) string {
	head := page[:min(len(page), 64<<10)]
	lower := bytes.ToLower(head)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	title := string(bytes.Join(bytes.Fields(head[start:start+end]), []byte(" ")))
	return logsafe.Truncate(title, 100)
}
