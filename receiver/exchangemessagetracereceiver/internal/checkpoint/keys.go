package checkpoint

import (
	"encoding/binary"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/trace"
)

// bucketSpan groups row keys by the hour the row was received: a bucket is
// pruned whole once no range that may still be read reaches into it.
const bucketSpan = time.Hour

// entrySize is one stored key: a 64-bit hash of (id, recipient) and the
// status code. With 1,000,000 rows a day kept for a day of settling the
// chance of any hash collision is about 3e-8.
const entrySize = 9

// Keys is the set of rows already emitted: (id, recipient) -> last status
// emitted, by received-hour bucket.
type Keys struct {
	buckets map[int64]map[uint64]uint8
}

func newKeys() *Keys { return &Keys{buckets: map[int64]map[uint64]uint8{}} }

// Len is the number of keys held.
func (k *Keys) Len() int {
	n := 0
	for _, b := range k.buckets {
		n += len(b)
	}
	return n
}

func bucketOf(t time.Time) int64 { return t.Truncate(bucketSpan).Unix() }

// rowHash hashes (id, recipient) with FNV-1a; the recipient is folded to
// lower case because mail addresses compare case-insensitively and the API
// does not promise a stable casing.
func rowHash(id, recipient string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * prime
	}
	h *= prime // a 0 separator byte: ("ab","c") and ("a","bc") differ
	for i := 0; i < len(recipient); i++ {
		c := recipient[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * prime
	}
	return h
}

func (k *Keys) load(bucket int64, chunk []byte) {
	b := k.buckets[bucket]
	if b == nil {
		b = make(map[uint64]uint8, len(chunk)/entrySize)
		k.buckets[bucket] = b
	}
	for i := 0; i+entrySize <= len(chunk); i += entrySize {
		b[binary.LittleEndian.Uint64(chunk[i:])] = chunk[i+8]
	}
}

// Txn collects the keys of one page. Nothing is applied until the page has
// been accepted by the pipeline (Commit); a failed page leaves Keys as it was.
type Txn struct {
	keys    *Keys
	pending map[int64][]byte // bucket -> encoded entries added by this page
	seen    map[uint64]uint8 // keys added by this page, for repeats within it
}

// Begin starts the key set of a new page.
func (k *Keys) Begin() *Txn {
	return &Txn{keys: k, pending: map[int64][]byte{}, seen: map[uint64]uint8{}}
}

// Admit tells whether row must be emitted: its (id, recipient) was never
// emitted, or was emitted with another status (then previous names it).
// An admitted row is recorded in the transaction.
func (t *Txn) Admit(row *trace.Row) (emit bool, previous string) {
	h := rowHash(row.ID, row.RecipientAddress)
	code := statusCode(row.Status)
	if c, ok := t.seen[h]; ok && c == code {
		return false, ""
	}
	bucket := bucketOf(row.Received)
	if c, ok := t.keys.buckets[bucket][h]; ok {
		if c == code {
			return false, ""
		}
		previous = statusName(c)
	}
	t.seen[h] = code
	var e [entrySize]byte
	binary.LittleEndian.PutUint64(e[:], h)
	e[8] = code
	t.pending[bucket] = append(t.pending[bucket], e[:]...)
	return true, previous
}

// apply adds the transaction's keys to the set.
func (t *Txn) apply() {
	for bucket, chunk := range t.pending {
		t.keys.load(bucket, chunk)
	}
}

// pruneBefore drops buckets that end at or before t and returns them.
func (k *Keys) pruneBefore(t time.Time) []int64 {
	var dropped []int64
	for bucket := range k.buckets {
		if !time.Unix(bucket, 0).Add(bucketSpan).After(t) {
			delete(k.buckets, bucket)
			dropped = append(dropped, bucket)
		}
	}
	return dropped
}
