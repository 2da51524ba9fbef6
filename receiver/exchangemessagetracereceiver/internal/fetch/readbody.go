package fetch

import (
	"bytes"
	"fmt"
	"io"
)

// Body caps. A server (or a proxy, or a fault) may send a body that never
// ends: what we hold for it must stay near one page, whatever it sends.
const (
	// MaxRowBytes is the most JSON one row can plausibly take: addresses of
	// 320 bytes (RFC 5321), a 998-byte Message-ID, a long subject written
	// as \u escapes, verbose OData's __metadata. Rows measured in the
	// simulator's output and the recorded pages are 0.27-0.81 KiB (Graph
	// 0.43 KiB on average, legacy 0.51 KiB, verbose at most 0.81 KiB).
	MaxRowBytes = 4 << 10
	// pageEnvelopeBytes is the page object around the rows: context, a
	// nextLink whose skiptoken can be kilobytes.
	pageEnvelopeBytes = 64 << 10
	// minCapRows is the fewest rows a page's cap makes room for, whatever
	// page_size asked: $top is a request, and a service that ignores it
	// (the legacy Reporting service may) sends its own page size, 1000
	// rows (the APIs' default). A cap from a small page_size (10 rows:
	// 1 MiB) would refuse such a page every time, and the range would be
	// retried for ever. 4 MiB is still a bounded amount to hold.
	minCapRows = 1000
	// DefaultMaxBodyBytes caps a body whose size nothing else tells: a
	// document (detail events, a handful of kilobytes) or a loop built
	// without a cap.
	DefaultMaxBodyBytes = 1 << 20
	// maxErrorBodyBytes caps what is read of an error (non-2xx) response:
	// JSON errors are a few hundred bytes, sign-in HTML pages 100-200 KiB.
	// The rest is not read: what the operator needs (the code and message,
	// the page's title) is at the start.
	maxErrorBodyBytes = 256 << 10
)

// documentBodyCap is BodyCap of DefaultMaxBodyBytes.
const documentBodyCap = "the cap of one document, which takes a few kilobytes"

// MaxPageBodyBytes caps the body of a page of pageSize rows: every row at
// MaxRowBytes (about eight times the average), plus the envelope, for at
// least minCapRows rows (see there): 4.0 MiB up to 1000 rows, 19.6 MiB for
// 5000.
func MaxPageBodyBytes(pageSize int) int64 {
	return int64(max(pageSize, minCapRows))*MaxRowBytes + pageEnvelopeBytes
}

// bodyTooLargeError is a body over its cap: declared (a Content-Length
// over the cap, nothing read) or found while reading (limit+1 bytes read).
type bodyTooLargeError struct {
	declared int64 // the Content-Length, or 0 when the body was read
	limit    int64
}

func (e *bodyTooLargeError) Error() string {
	if e.declared > 0 {
		return fmt.Sprintf("response body of %d bytes declared, over the %d-byte cap", e.declared, e.limit)
	}
	return fmt.Sprintf("response body over the %d-byte cap", e.limit)
}

// readBody reads r, at most limit bytes, into a buffer of the pool that the
// caller owns (and puts back, see bodyPool); n is how many bytes were read.
// On error nothing is the caller's to put back.
//
// It never holds much more than what the server sent, and never more than
// about limit: a Content-Length over limit is refused before reading; a
// known length is read into one buffer of that size; a body of unknown
// length (chunked, or decompressed) fills the pooled buffer's capacity and
// then fixed-size chunks, assembled once at the end. A bytes.Buffer that
// doubles as it grows would allocate about four times the cap before it
// trips, a new array at each step.
func readBody(r io.Reader, contentLength, limit int64) (buf *bytes.Buffer, n int64, err error) {
	if contentLength > limit {
		return nil, 0, &bodyTooLargeError{declared: contentLength, limit: limit}
	}
	b := getBuffer()
	if contentLength > 0 && int64(b.Cap()) < contentLength {
		// Exactly the size (Grow would double); the pool keeps the same
		// *bytes.Buffer with its larger array.
		*b = *bytes.NewBuffer(make([]byte, 0, contentLength))
	}
	// The pooled buffer's capacity first: a page like the previous one
	// fits, with no allocation at all.
	n, ended, err := fill(b, r, limit)
	// A known length read in full is the whole body: no read to see it
	// end, no chunk taken and put back.
	if err != nil || ended || n > limit || (contentLength > 0 && n == contentLength) {
		return finish(b, nil, n, limit, err)
	}
	c := getChunks()
	m, err := c.readFrom(r, limit+1-n)
	return finish(b, c, n+m, limit, err)
}

// fill reads r into b's spare capacity, without growing it, until b is
// full, r ends (ended) or more than limit bytes came.
func fill(b *bytes.Buffer, r io.Reader, limit int64) (n int64, ended bool, err error) {
	for b.Len() < b.Cap() && n <= limit {
		avail := b.AvailableBuffer()
		avail = avail[:min(int64(cap(avail)), limit+1-n)]
		m, err := r.Read(avail)
		b.Write(avail[:m]) // within capacity: no allocation
		n += int64(m)
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

// finish checks the cap, assembles the chunks after b and hands the buffer
// over, or puts everything back on error.
func finish(b *bytes.Buffer, c *chunks, n, limit int64, err error) (*bytes.Buffer, int64, error) {
	if err == nil && n > limit {
		err = &bodyTooLargeError{limit: limit}
	}
	if err != nil {
		putBuffer(b)
		c.release()
		return nil, n, err
	}
	if c == nil || c.n == 0 {
		c.release()
		return b, n, nil
	}
	// One allocation of the exact size, rather than Grow's doubling; the
	// pool keeps the same *bytes.Buffer with its larger array.
	whole := make([]byte, 0, b.Len()+c.n)
	whole = c.appendTo(append(whole, b.Bytes()...))
	*b = *bytes.NewBuffer(whole)
	c.release()
	return b, n, nil
}
