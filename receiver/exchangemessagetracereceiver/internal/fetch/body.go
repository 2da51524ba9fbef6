package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
)

// DefaultMaxBodyBytes caps one response body. A 5000-row page is about
// 2 MB; anything near the cap is not a page we asked for.
const DefaultMaxBodyBytes = 64 << 20

// poolKeepBytes is the largest buffer returned to the pool, so that one
// freak response does not pin its memory for the life of the process.
const poolKeepBytes = 16 << 20

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= poolKeepBytes {
		bufPool.Put(b)
	}
}

var errBodyTooLarge = errors.New("response body too large")

// readBody reads at most limit bytes of r into a pooled buffer.
func readBody(r io.Reader, contentLength, limit int64) (*bytes.Buffer, error) {
	b := getBuffer()
	if contentLength > 0 && contentLength <= limit {
		b.Grow(int(contentLength) + bytes.MinRead)
	}
	n, err := b.ReadFrom(io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = errBodyTooLarge
	}
	return b, err
}

// DiagnoseBody explains a 2xx body that is not the JSON document expected:
// Microsoft's services answer now and then with a sign-in HTML page or a
// cut-off body, and recover by themselves, so every case is transient.
// service names the API in the message ("Microsoft Graph").
func DiagnoseBody(service string, body []byte, cause error) *msgtrace.APIError {
	trimmed := bytes.TrimSpace(body)
	var msg string
	var syn *rowdecode.SyntaxError
	switch {
	case len(trimmed) == 0:
		msg = fmt.Sprintf("%s returned an empty response instead of JSON; this is a known transient fault of the service and is retried", service)
	case trimmed[0] == '<':
		title := HTMLTitle(trimmed)
		if title == "" {
			title = "untitled"
		}
		msg = fmt.Sprintf("%s returned an HTML page (%q) instead of JSON; this is a known transient fault of the service and is retried", service, title)
	case errors.As(cause, &syn) && syn.EOF:
		msg = fmt.Sprintf("%s returned a truncated JSON response (%d bytes, cut off at byte %d)", service, len(body), syn.Offset)
	default:
		msg = fmt.Sprintf("%s returned a response that is not valid JSON (%v); it begins %s", service, cause, logsafe.Quote(string(trimmed[:min(len(trimmed), 80)])))
	}
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: 200, Message: msg}
}

// HTMLTitle returns the text of the page's <title>, or "".
func HTMLTitle(page []byte) string {
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
