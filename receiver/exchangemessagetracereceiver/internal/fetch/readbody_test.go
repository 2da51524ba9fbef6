package fetch

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readBody returns exactly what was sent, however it arrives (known
// length or not, in small reads, into a pooled buffer of any capacity),
// and refuses what is over the cap.
func TestReadBody(t *testing.T) {
	const limit = 3*chunkBytes + 100
	body := func(n int) []byte { return bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n] }
	tests := []struct {
		name     string
		size     int
		declared bool // Content-Length known
		pooled   int  // capacity of the pooled buffer handed out first
		tooLarge bool
	}{
		{name: "empty", size: 0},
		{name: "small", size: 100},
		{name: "one chunk", size: chunkBytes},
		{name: "chunk and a byte", size: chunkBytes + 1},
		{name: "several chunks", size: 2*chunkBytes + 17},
		{name: "pooled buffer large enough", size: 5000, pooled: 8192},
		{name: "pooled buffer exactly full", size: 8192, pooled: 8192},
		{name: "pooled buffer then chunks", size: chunkBytes + 5000, pooled: 8192},
		{name: "declared", size: 2*chunkBytes + 17, declared: true},
		{name: "declared, pooled larger", size: 100, declared: true, pooled: 8192},
		{name: "exactly the cap", size: limit},
		{name: "exactly the cap, declared", size: limit, declared: true},
		{name: "a byte over the cap", size: limit + 1, tooLarge: true},
		{name: "over the cap, pooled", size: limit + 1, pooled: 8192, tooLarge: true},
		{name: "over the cap, declared", size: limit + 1, declared: true, tooLarge: true},
	}
	for _, tt := range tests {
		for _, smallReads := range []bool{false, true} {
			name := tt.name
			if smallReads {
				name += "/reads of 1021 bytes"
			}
			t.Run(name, func(t *testing.T) {
				if tt.pooled > 0 {
					b := getBuffer()
					b.Grow(tt.pooled)
					putBuffer(b)
				}
				want := body(tt.size)
				var r io.Reader = bytes.NewReader(want)
				if smallReads {
					r = &shortReader{r: r, n: 1021} // never a chunk's multiple
				}
				length := int64(-1)
				if tt.declared {
					length = int64(tt.size)
				}
				buf, n, err := readBody(r, length, limit)
				if tt.tooLarge {
					var tooLarge *bodyTooLargeError
					require.ErrorAs(t, err, &tooLarge)
					assert.Equal(t, int64(limit), tooLarge.limit)
					assert.Nil(t, buf)
					assert.LessOrEqual(t, n, int64(limit+1), "read no further than the cap")
					return
				}
				require.NoError(t, err)
				assert.Equal(t, int64(tt.size), n)
				assert.True(t, bytes.Equal(want, buf.Bytes()), "body differs")
				putBuffer(buf)
			})
		}
	}
}

// A read error is the caller's to report, with how much came before it;
// nothing is left for the caller to put back.
func TestReadBodyError(t *testing.T) {
	cut := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(make([]byte, chunkBytes+10)), iotest.ErrReader(cut))
	buf, n, err := readBody(r, -1, 1<<20)
	require.ErrorIs(t, err, cut)
	assert.Nil(t, buf)
	assert.Equal(t, int64(chunkBytes+10), n)
}

// A body that ends where the buffer does takes no chunk from the pool: a
// chunk is 256 KiB, allocated again whenever a GC emptied the pool, and a
// page of known length is read into a buffer of exactly its size.
func TestReadBodyTakesNoChunkItDoesNotFill(t *testing.T) {
	taken := 0
	chunkPool = sync.Pool{New: func() any { taken++; return new([chunkBytes]byte) }}
	t.Cleanup(func() { chunkPool = sync.Pool{New: func() any { return new([chunkBytes]byte) }} })
	tests := []struct {
		name string
		size int
		r    func([]byte) io.Reader
	}{
		{name: "declared", size: 3*chunkBytes + 5, r: func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{name: "declared, in small reads", size: 3*chunkBytes + 5, r: func(b []byte) io.Reader { return &shortReader{r: bytes.NewReader(b), n: 1021} }},
		{name: "declared, EOF with the last bytes", size: 100, r: func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
		{name: "declared, empty", size: 0, r: func(b []byte) io.Reader { return bytes.NewReader(b) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			taken = 0
			want := bytes.Repeat([]byte{'x'}, tt.size)
			buf, n, err := readBody(tt.r(want), int64(tt.size), 4*chunkBytes)
			require.NoError(t, err)
			assert.Equal(t, int64(tt.size), n)
			assert.True(t, bytes.Equal(want, buf.Bytes()), "body differs")
			putBuffer(buf)
			assert.Zero(t, taken, "chunks taken from the pool")
		})
	}
	t.Run("unknown length, ends with the buffer", func(t *testing.T) {
		taken = 0
		buf, n, err := readBody(bytes.NewReader(nil), -1, 4*chunkBytes)
		require.NoError(t, err)
		assert.Zero(t, n)
		putBuffer(buf)
		assert.Zero(t, taken, "chunks taken from the pool")
	})
	t.Run("unknown length, longer than the buffer", func(t *testing.T) {
		want := bytes.Repeat([]byte{'y'}, 2*chunkBytes+7)
		buf, _, err := readBody(&shortReader{r: bytes.NewReader(want), n: 1021}, -1, 4*chunkBytes)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, buf.Bytes()), "body differs")
		putBuffer(buf)
	})
}

// A page's cap has room for 1000 rows whatever page_size asked: a service
// that ignores $top sends its own 1000-row pages, which a 10-row cap would
// refuse on every retry.
func TestMaxPageBodyBytes(t *testing.T) {
	const thousand = int64(1000*MaxRowBytes + pageEnvelopeBytes) // 4.06 MiB
	for _, pageSize := range []int{1, 10, 100, 999, 1000} {
		assert.Equal(t, thousand, MaxPageBodyBytes(pageSize), "page_size %d", pageSize)
	}
	assert.Equal(t, int64(2000*MaxRowBytes+pageEnvelopeBytes), MaxPageBodyBytes(2000))
	assert.Less(t, MaxPageBodyBytes(5000), int64(20<<20))
	// A legacy page of 1000 of the largest rows measured (verbose, 0.81
	// KiB) fits the cap of page_size 10.
	assert.Greater(t, MaxPageBodyBytes(10), int64(1000*830+pageEnvelopeBytes))
}

// Reading a page costs, once the pools are warm, no allocation of its own
// (the 1 alloc/op is the benchmark's bytes.Reader, 48 B); B/op is the
// 2.2 MB buffer allocated again when a GC emptied the pool, amortized.
// A page as long as the previous one fills the pooled buffer exactly and
// takes no chunk. Figures: see the reports of the changes to readBody.
func BenchmarkReadBody(b *testing.B) {
	page := bytes.Repeat([]byte(`{"id":"4b1a0c3e-0000-4000-8000-000000000000","recipientAddress":"someone@contoso.com"},`), 25000) // 2.2 MB
	for _, declared := range []bool{false, true} {
		name := "chunked"
		length := int64(-1)
		if declared {
			name, length = "content-length", int64(len(page))
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(page)))
			for b.Loop() {
				buf, _, err := readBody(bytes.NewReader(page), length, MaxPageBodyBytes(5000))
				if err != nil {
					b.Fatal(err)
				}
				putBuffer(buf)
			}
		})
	}
}

// shortReader returns at most n bytes a read, as a network body does.
type shortReader struct {
	r io.Reader
	n int
}

func (s *shortReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }
