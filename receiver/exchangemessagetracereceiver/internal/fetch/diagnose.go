package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
)

// diagnoseBody explains a 2xx body that is not the JSON document expected:
// Microsoft's services answer now and then with a sign-in HTML page or a
// cut-off body, and recover by themselves, so every case is transient.
// service names the API in the message ("Microsoft Graph").
func diagnoseBody(service string, body []byte, cause error) *msgtrace.APIError {
	trimmed := bytes.TrimSpace(body)
	var msg string
	var syn *rowdecode.SyntaxError
	switch {
	case len(trimmed) == 0:
		msg = fmt.Sprintf("%s returned an empty response instead of JSON; this is a known transient fault of the service and is retried", service)
	case trimmed[0] == '<':
		title := logsafe.HTMLTitle(trimmed)
		if title == "" {
			title = "untitled"
		}
		msg = fmt.Sprintf("%s returned an HTML page (%q) instead of JSON; this is a known transient fault of the service and is retried", service, title)
	case errors.As(cause, &syn) && syn.EOF:
		msg = fmt.Sprintf("%s returned a truncated JSON response (%d bytes, cut off at byte %d)", service, len(body), syn.Offset)
	case syn != nil:
		// Where it broke says more than how it begins. A broken value
		// inside a row costs only the row (see rowdecode.Scanner.Tolerate):
		// this one is in the page around the rows, or breaks its structure.
		msg = fmt.Sprintf("%s returned a response that is not valid JSON (%v), near %s; it is retried with backoff, "+
			"as such a body is usually a fault of the service or of a proxy on the way, and the range does not advance past it until a valid page comes",
			service, cause, logsafe.Quote(excerpt(body, syn.Offset-40, syn.Offset+40)))
	default:
		msg = fmt.Sprintf("%s returned a response that is not valid JSON (%v); it begins %s", service, cause, logsafe.Quote(excerpt(trimmed, 0, 80)))
	}
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: 200, Message: msg}
}

// excerpt is body[from:to], clamped, and widened to whole runs of token
// characters (up to maxWiden bytes each way): a token cut by the window's
// edge would not look like one to logsafe's redaction, and its visible
// part would be quoted.
func excerpt(body []byte, from, to int) string {
	const maxWiden = 4 << 10
	from, to = max(0, from), min(len(body), to)
	for lo := max(0, from-maxWiden); from > lo && isTokenByte(body[from-1]); {
		from--
	}
	for hi := min(len(body), to+maxWiden); to < hi && isTokenByte(body[to]); {
		to++
	}
	return string(body[from:to])
}

// isTokenByte tells the bytes of JWTs and opaque tokens (base64url, dots).
func isTokenByte(c byte) bool {
	return (c|0x20 >= 'a' && c|0x20 <= 'z') || (c >= '0' && c <= '9') || strings.IndexByte("._~+/=-", c) >= 0
}
