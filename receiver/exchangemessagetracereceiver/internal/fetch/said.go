package fetch

import (
	"strconv"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
)

// Said renders what a server answered for a message:
// `HTTP 400 BadRequest: "the message"`, the server's words quoted, capped
// and redacted.
func Said(status int, eb ErrorBody) string {
	s := "HTTP " + strconv.Itoa(status)
	if eb.Code != "" {
		s += " " + eb.Code
	}
	if eb.Message != "" {
		s += ": " + logsafe.Quote(eb.Message)
	}
	return s
}

// ErrorOf is what an error response said; when the body says nothing it
// falls back to the WWW-Authenticate challenge, where 401s explain
// themselves (error="invalid_token", error_description=...).
func ErrorOf(r *Response) ErrorBody {
	eb := ParseErrorBody(r.Body)
	if eb.Message == "" && eb.Code == "" {
		if ch := r.Header.Get("WWW-Authenticate"); ch != "" {
			eb.Message = ch
		}
	}
	return eb
}
