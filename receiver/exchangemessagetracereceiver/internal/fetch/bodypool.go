package fetch

import (
	"bytes"
	"sync"
)

// poolKeepBytes is the largest buffer returned to the pool, so that one
// freak response does not pin its memory for the life of the process: a
// 5000-row page of 1 KiB rows is 5 MB. A larger page's buffer is left to
// the garbage collector.
const poolKeepBytes = 8 << 20

// bodyPool holds response body buffers: a page is megabytes, read every
// few seconds during a backfill. Who may use a buffer, and until when:
//   - The attempt that read it owns it. An error response or a body that
//     does not decode is put back before the attempt returns (the
//     Classifier's Response.Body and the decoder's error must not keep it).
//   - A page's buffer goes with the page: the decoded page's Row.Raw
//     aliases it. Fetch hands its caller a release func that puts it
//     back; Run calls it after onPage returns, so a page's Raw is valid
//     only during onPage. Whatever must outlive onPage copies the bytes
//     (the mapper copies Raw into its own blocks); the rows' strings are
//     already copies (rowdecode's arena) and may be kept.
//   - After put, the buffer is the next response's: nothing may read it.
//
// readBody fills a pooled buffer's capacity first, then fixed-size pieces
// of chunkPool, assembled into one buffer of the exact size once the body
// ended (see readBody): what a response holds stays near its size.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer {
	b := bodyPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= poolKeepBytes {
		bodyPool.Put(b)
	}
}
