package checkpoint

import (
	"encoding/binary"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
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
	buckets  map[int64]map[uint64]uint8
	statuses *statusCodes
	txn      Txn // the one open page, reused
}

func newKeys(statuses *statusCodes) *Keys {
	return &Keys{buckets: map[int64]map[uint64]uint8{}, statuses: statuses}
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

// Txn is one page's admissions. Admit writes a row's key into Keys at once
// (one hash lookup and an insert on the same slot, instead of a page-local
// set and a second insert at commit: this is per row and the set holds a
// day of rows) and keeps what it overwrote, so that Discard can put Keys
// back as it was when the pipeline refuses the page. Keys has one Txn at a
// time: Begin discards the previous one if it was not committed.
type Txn struct {
	keys    *Keys
	open    bool
	undo    []undoEntry
	pending []pendingChunk // encoded entries added by this page, by bucket

	// The bucket of the previous row: a page's rows are in time order, so
	// the bucket rarely changes from one row to the next.
	curBucket int64
	cur       map[uint64]uint8
	curChunk  int
}

type undoEntry struct {
	bucket  int64
	hash    uint64
	old     uint8
	existed bool
}

type pendingChunk struct {
	bucket  int64
	entries []byte
}

// Begin starts the key set of a new page.
func (k *Keys) Begin() *Txn {
	t := &k.txn
	t.Discard() // also leaves t empty, as finish does
	t.keys, t.open = k, true
	return t
}

// Admit tells whether row must be emitted: its (id, recipient) was never
// emitted, or was emitted with another status (then previous names it).
// An admitted row is recorded in Keys, undone by Discard.
func (t *Txn) Admit(row *msgtrace.Row) (emit bool, previous string) {
	h := rowHash(row.ID, row.RecipientAddress)
	code := t.keys.statuses.code(row.Status)
	keys := t.bucket(bucketOf(row.Received))
	old, existed := keys[h]
	if existed && old == code {
		return false, ""
	}
	keys[h] = code
	t.undo = append(t.undo, undoEntry{bucket: t.curBucket, hash: h, old: old, existed: existed})
	var e [entrySize]byte
	binary.LittleEndian.PutUint64(e[:], h)
	e[8] = code
	chunk := &t.pending[t.curChunk]
	chunk.entries = append(chunk.entries, e[:]...)
	if existed {
		previous = t.keys.statuses.name(old)
	}
	return true, previous
}

// bucket returns the key set of bucket, creating it (and its pending chunk)
// on first use, and makes it current.
func (t *Txn) bucket(bucket int64) map[uint64]uint8 {
	if t.cur != nil && bucket == t.curBucket {
		return t.cur
	}
	keys := t.keys.buckets[bucket]
	if keys == nil {
		// Sized like a neighbouring hour, when one is held (Graph reads
		// newest first, so it is usually the hour after): neighbouring
		// hours carry similar volumes, as mail follows the working day
		// smoothly, and growing a map of tens of thousands of keys step by
		// step rehashes each key several times.
		span := int64(bucketSpan / time.Second)
		keys = make(map[uint64]uint8, max(len(t.keys.buckets[bucket-span]), len(t.keys.buckets[bucket+span])))
		t.keys.buckets[bucket] = keys
	}
	t.curBucket, t.cur, t.curChunk = bucket, keys, -1
	for i := range t.pending {
		if t.pending[i].bucket == bucket {
			t.curChunk = i
		}
	}
	if t.curChunk < 0 {
		t.pending = append(t.pending, pendingChunk{bucket: bucket})
		t.curChunk = len(t.pending) - 1
	}
	return keys
}

// Discard undoes the admissions of a page that was not committed; after
// Store.CommitPage it does nothing.
func (t *Txn) Discard() {
	if !t.open {
		return
	}
	for i := len(t.undo) - 1; i >= 0; i-- {
		u := t.undo[i]
		keys := t.keys.buckets[u.bucket]
		if keys == nil {
			continue // pruned meanwhile: nothing left to restore
		}
		if u.existed {
			keys[u.hash] = u.old
		} else {
			delete(keys, u.hash)
		}
	}
	for _, c := range t.pending {
		if len(t.keys.buckets[c.bucket]) == 0 {
			delete(t.keys.buckets, c.bucket)
		}
	}
	t.finish()
}

// finish closes the transaction; the chunks' bytes now belong to storage.
func (t *Txn) finish() {
	t.open, t.undo, t.pending, t.cur = false, t.undo[:0], nil, nil
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

// Len is the number of keys held (for tests and diagnostics: keys are
// pruned after every range, so this is about one range's rows).
func (k *Keys) Len() int {
	n := 0
	for _, b := range k.buckets {
		n += len(b)
	}
	return n
}

// Idle drops the scratch of the last page (its undo log and encoded
// entries, as large as the largest page seen): between polls nothing uses
// them, and a receiver of many tenants would otherwise keep one page's
// worth for each. The key set itself stays.
func (k *Keys) Idle() {
	if !k.txn.open {
		k.txn = Txn{}
	}
}
