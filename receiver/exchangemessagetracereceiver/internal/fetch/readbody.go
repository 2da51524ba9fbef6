package fetch

import (
	"bytes"
	"errors"
	"io"
)

// DefaultMaxBodyBytes caps one response body. A 5000-row page is about
// 2 MB; anything near the cap is not a page we asked for.
const DefaultMaxBodyBytes = 64 << 20

var errBodyTooLarge = errors.New("response body too large")

// readBody reads at most limit bytes of r into a buffer of the pool, which
// the caller puts back (see bodyPool) whether or not err is set.
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
