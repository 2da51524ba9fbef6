package simulator

import (
	"strings"
	"sync"
	"time"
)

// position is where a page starts: a row index within a bucket's
// newest-first list. Buckets are scanned from the newest down.
type position struct {
	Bucket int64
	Offset int
}

// query selects rows with Start <= received <= End (both inclusive) that
// are visible at Now and match every predicate.
type query struct {
	Start, End time.Time
	Now        time.Time
	Preds      []predicate
	// Truth ignores visibility and shows final statuses.
	Truth bool
	// defaulted: the Graph filter named no time bounds.
	defaulted bool
}

// predicate is an equality condition on a row field (Graph or legacy name).
type predicate struct {
	Field string // lower-cased field name
	Value string
}

func (p predicate) match(r *Row, st Status) bool {
	var v string
	switch p.Field {
	case "senderaddress":
		v = r.SenderAddress
	case "recipientaddress":
		v = r.RecipientAddress
	case "status":
		v = string(st)
	case "messageid":
		v = r.MessageID
	case "id", "messagetraceid":
		v = r.ID
	case "fromip":
		v = r.FromIP
	case "toip":
		v = r.ToIP
	case "subject":
		v = r.Subject
	default:
		return true
	}
	return strings.EqualFold(v, p.Value)
}

var bucketPool = sync.Pool{New: func() any { s := make([]Row, 0, 256); return &s }}

// scan calls emit for each matching row from pos on, newest first, until
// emit returns false; it returns the position of the row after the last
// emitted one and whether such a matching row exists.
func (m *model) scan(q query, pos position, emit func(r *Row, st Status) bool) (position, bool) {
	end := q.End
	if !q.Now.IsZero() && q.Now.Before(end) {
		end = q.Now
	}
	first := m.bucketOf(q.Start)
	first = max(first, m.lowest)
	if pos.Bucket > m.bucketOf(end) {
		pos = position{Bucket: m.bucketOf(end)}
	}
	bp := bucketPool.Get().(*[]Row)
	defer bucketPool.Put(bp)
	stopped := false
	for b := pos.Bucket; b >= first; b-- {
		rows := m.bucket(b, (*bp)[:0])
		*bp = rows
		i := 0
		if b == pos.Bucket {
			i = pos.Offset
		}
		for ; i < len(rows); i++ {
			r := &rows[i]
			if r.Received.After(end) || r.Received.Before(q.Start) {
				continue
			}
			st := r.Status
			if !q.Truth {
				if !r.visibleAt(q.Now) {
					continue
				}
				st = r.statusAt(q.Now)
			}
			if !matchAll(q.Preds, r, st) {
				continue
			}
			if stopped {
				return position{Bucket: b, Offset: i}, true
			}
			if !emit(r, st) {
				stopped = true
			}
		}
	}
	return position{}, false
}

func matchAll(ps []predicate, r *Row, st Status) bool {
	for _, p := range ps {
		if !p.match(r, st) {
			return false
		}
	}
	return true
}

// truth returns the final rows of [start, end] that exist at now.
func (m *model) truth(start, end, now time.Time) []Row {
	var out []Row
	m.scan(query{Start: start, End: end, Now: now, Truth: true}, position{Bucket: m.bucketOf(end)}, func(r *Row, _ Status) bool {
		out = append(out, *r)
		return true
	})
	return out
}
