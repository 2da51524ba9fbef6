package checkpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

// The queue of detail lookups is stored with the checkpoint: a lookup is
// queued in the same write as the page that emitted its row, and leaves
// the queue in the write after the pipeline accepted its events, so a
// crash loses no lookup and repeats at most the one in flight.
//
// Each lookup has its own key (a write touches only what changed, not a
// queue of thousands), numbered in queue order and grouped in runs of one
// leader generation: a stale replica's late write (see generation.go) can
// never overwrite a newer leader's lookups.

// Lookup is a row whose detail events are to be looked up.
type Lookup struct {
	TraceID   string    `json:"id"`
	Recipient string    `json:"rcpt"`
	MessageID string    `json:"mid,omitempty"`
	Status    string    `json:"status"`
	Received  time.Time `json:"received"`
}

// LookupRun is a run of queued lookups of one generation: numbers First up
// to, not including, Next.
type LookupRun struct {
	Gen   uint64 `json:"gen"`
	First uint64 `json:"first"`
	Next  uint64 `json:"next"`
}

// queuedLookup is a lookup in memory; lost marks a lookup whose stored
// record was missing or unreadable at load (dropped when it is reached).
type queuedLookup struct {
	Lookup
	key   string
	saved bool
	lost  bool
}

// lookupQueue is the queue in memory and what the next write must store.
type lookupQueue struct {
	items   []queuedLookup // oldest first
	deletes []string       // keys of lookups done or dropped, not yet deleted
}

func (s *Store) lookupKey(gen, n uint64) string {
	return s.prefix + "/lookups/g" + strconv.FormatUint(gen, 10) + "/" + strconv.FormatUint(n, 10)
}

// loadLookups reads the queued lookups the state names.
func (s *Store) loadLookups(ctx context.Context) error {
	for _, run := range s.State.Lookups {
		for n := run.First; n < run.Next; n++ {
			key := s.lookupKey(run.Gen, n)
			raw, err := s.client.Get(ctx, key)
			if err != nil {
				return fmt.Errorf("reading queued detail lookups from storage: %w", err)
			}
			q := queuedLookup{key: key, saved: true}
			if raw == nil || json.Unmarshal(raw, &q.Lookup) != nil {
				q.lost = true
			}
			s.lookups.items = append(s.lookups.items, q)
		}
	}
	return nil
}

// PendingLookups is the number of lookups queued.
func (s *Store) PendingLookups() int { return len(s.lookups.items) }

// NextLookup returns the oldest queued lookup; ok is false when the queue
// is empty. A lookup whose stored record was lost is dropped here, with a
// warning, and the next one returned.
func (s *Store) NextLookup() (lk Lookup, ok bool) {
	for len(s.lookups.items) > 0 {
		head := s.lookups.items[0]
		if !head.lost {
			return head.Lookup, true
		}
		s.logger.Warn("a queued detail lookup could not be read back from storage and is dropped", zap.String("key", head.key))
		s.removeOldest(1)
	}
	return Lookup{}, false
}

// QueueLookups appends lookups (rows of a page the pipeline accepted) to
// the queue, to be stored by the next write with the page; when the queue
// would hold more than limit, the oldest are dropped and their number
// returned.
func (s *Store) QueueLookups(lks []Lookup, limit int) (dropped int) {
	gen := s.writeGeneration()
	for _, lk := range lks {
		runs := s.State.Lookups
		if len(runs) == 0 || runs[len(runs)-1].Gen != gen {
			s.State.Lookups = append(runs, LookupRun{Gen: gen, First: s.State.NextLookup, Next: s.State.NextLookup})
		}
		last := &s.State.Lookups[len(s.State.Lookups)-1]
		s.lookups.items = append(s.lookups.items, queuedLookup{Lookup: lk, key: s.lookupKey(gen, last.Next)})
		last.Next++
		s.State.NextLookup = last.Next
	}
	if over := len(s.lookups.items) - limit; limit > 0 && over > 0 {
		s.removeOldest(over)
		return over
	}
	return 0
}

// LookupDone removes the oldest lookup (answered, or given up): the next
// write deletes it from storage.
func (s *Store) LookupDone() { s.removeOldest(1) }

func (s *Store) removeOldest(n int) {
	n = min(n, len(s.lookups.items))
	for _, q := range s.lookups.items[:n] {
		if q.saved {
			s.lookups.deletes = append(s.lookups.deletes, q.key)
		}
		run := &s.State.Lookups[0]
		run.First++
		if run.First >= run.Next {
			s.State.Lookups = s.State.Lookups[1:]
		}
	}
	clear(s.lookups.items[:n])
	s.lookups.items = s.lookups.items[n:]
}

// lookupOps are the operations that store the queue's changes since the
// last write; saved marks them stored once the write succeeded.
func (s *Store) lookupOps() (ops []*storage.Operation, saved func(), err error) {
	var fresh []int
	for i := range s.lookups.items {
		q := &s.lookups.items[i]
		if q.saved {
			continue
		}
		raw, err := json.Marshal(&q.Lookup)
		if err != nil {
			return nil, nil, err
		}
		ops = append(ops, storage.SetOperation(q.key, raw))
		fresh = append(fresh, i)
	}
	deletes := len(s.lookups.deletes)
	for _, key := range s.lookups.deletes {
		ops = append(ops, storage.DeleteOperation(key))
	}
	return ops, func() {
		for _, i := range fresh {
			s.lookups.items[i].saved = true
		}
		s.lookups.deletes = s.lookups.deletes[deletes:]
	}, nil
}

// rekeyLookups gives every queued lookup its key under the store's prefix
// (after a move), to be stored by the next write.
func (s *Store) rekeyLookups() {
	i := 0
	for _, run := range s.State.Lookups {
		for n := run.First; n < run.Next && i < len(s.lookups.items); n++ {
			q := &s.lookups.items[i]
			q.key, q.saved = s.lookupKey(run.Gen, n), q.lost // a lost one has nothing to store
			i++
		}
	}
}
