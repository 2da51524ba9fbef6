package fetch

import (
	"io"
	"sync"
)

// chunkBytes is the size of the pieces a body of unknown length is read
// into: large enough that a page is a handful of them, small enough that
// the last one wastes little.
const chunkBytes = 256 << 10

// chunkPool holds the pieces between responses, so that steady paging
// reads into the same few. sync.Pool drops what stays unused over two
// garbage collections, so a freak body's pieces do not stay pinned.
var chunkPool = sync.Pool{New: func() any { return new([chunkBytes]byte) }}

// chunks is a body read piece by piece: every piece is full but the last.
type chunks struct {
	list []*[chunkBytes]byte
	n    int // bytes held
}

// readFrom reads r until it ends or at most max bytes were read; it returns
// how many it read and r's error other than io.EOF.
func (c *chunks) readFrom(r io.Reader, max int64) (int64, error) {
	var read int64
	for read < max {
		off := c.n % chunkBytes
		if off == 0 && c.n/chunkBytes == len(c.list) {
			c.list = append(c.list, chunkPool.Get().(*[chunkBytes]byte))
		}
		last := c.list[len(c.list)-1]
		m, err := r.Read(last[off:min(chunkBytes, off+int(min(max-read, chunkBytes)))])
		c.n += m
		read += int64(m)
		if err == io.EOF {
			return read, nil
		}
		if err != nil {
			return read, err
		}
	}
	return read, nil
}

// appendTo appends the bytes held to b.
func (c *chunks) appendTo(b []byte) []byte {
	for i, p := range c.list {
		b = append(b, p[:min(chunkBytes, c.n-i*chunkBytes)]...)
	}
	return b
}

// release puts the pieces back; c may be nil.
func (c *chunks) release() {
	if c == nil {
		return
	}
	for _, p := range c.list {
		chunkPool.Put(p)
	}
	c.list, c.n = nil, 0
}
