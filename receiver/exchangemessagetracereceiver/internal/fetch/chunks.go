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

// chunksPool holds the chunks values themselves: their list and probe
// would otherwise be an allocation per body that outgrew its buffer (the
// probe is read into by the body's Reader, so it cannot live on the stack).
var chunksPool = sync.Pool{New: func() any { return new(chunks) }}

// getChunks returns an empty chunks value; release puts it back.
func getChunks() *chunks { return chunksPool.Get().(*chunks) }

// chunks is a body read piece by piece: every piece is full but the last.
type chunks struct {
	list  []*[chunkBytes]byte
	n     int // bytes held
	probe [probeBytes]byte
}

// probeBytes is the read that asks for more before a chunk is taken.
const probeBytes = 512

// readFrom reads r until it ends or at most max bytes were read; it returns
// how many it read and r's error other than io.EOF.
//
// A chunk is taken from the pool only once a read returned data for it:
// the read at a boundary goes to c.probe, so a body that ended exactly
// where the last buffer did (a page as long as the previous one) costs no
// chunk, and no allocation when the pool was emptied by a GC.
func (c *chunks) readFrom(r io.Reader, max int64) (int64, error) {
	var read int64
	for read < max {
		var m int
		var err error
		if off := c.n % chunkBytes; off != 0 || c.n/chunkBytes < len(c.list) {
			last := c.list[len(c.list)-1]
			m, err = r.Read(last[off:min(chunkBytes, off+int(min(max-read, chunkBytes)))])
		} else {
			m, err = r.Read(c.probe[:min(probeBytes, max-read)])
			if m > 0 {
				p := chunkPool.Get().(*[chunkBytes]byte)
				copy(p[:], c.probe[:m])
				c.list = append(c.list, p)
			}
		}
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

// release puts the pieces back, and c with them: c must not be used
// after. c may be nil.
func (c *chunks) release() {
	if c == nil {
		return
	}
	for _, p := range c.list {
		chunkPool.Put(p)
	}
	clear(c.list) // the pool's chunks are not pinned by an idle list
	c.list, c.n = c.list[:0], 0
	chunksPool.Put(c)
}
