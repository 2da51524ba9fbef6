// Package checkpoint persists what the receiver has delivered: the live and
// settling cursors, the range in flight with its next page link, and the keys
// of emitted rows. Everything a page changes is written in one storage batch,
// after the pipeline accepted the page, so a crash leaves either the old or
// the new state, never a mix.
package checkpoint

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

// stateVersion changes when the stored layout does. A field added as
// optional keeps it: a reader of the same version that does not know the
// field ignores it (statuses: a release before it reads the codes it names
// as an unknown status, and emits those rows once more).
const stateVersion = 1

// Pass names one of the two readers of the API.
type Pass string

const (
	// Live reads new time up to now - delay.
	Live Pass = "live"
	// Settle re-reads time once it is `settle` old, for late rows and final statuses.
	Settle Pass = "settle"
)

// InFlight is a range being read: where to resume after a failure or restart.
type InFlight struct {
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	NextLink string    `json:"next_link,omitempty"`
	Pages    int       `json:"pages"`
}

// Cursor is one pass's progress: everything up to At (inclusive) has been
// delivered; Range is the range after it being read, if any.
type Cursor struct {
	At    time.Time `json:"at"`
	Range *InFlight `json:"range,omitempty"`
}

// State is the persisted record (keys are stored apart, in chunks).
type State struct {
	Version int           `json:"version"`
	Live    Cursor        `json:"live"`
	Settle  Cursor        `json:"settle"`
	Chunks  map[int64]int `json:"chunks"` // key bucket -> number of chunks stored
	// Statuses names the codes the stored keys give undocumented statuses
	// (code -> spelling first seen); the documented ones' codes are
	// msgstatus's. Every write stores the whole table, with the keys that
	// use it.
	Statuses map[uint8]string `json:"statuses,omitempty"`
	Budget   *Budget          `json:"budget,omitempty"`
	// Lookups are the runs of queued detail lookups (see lookups.go);
	// NextLookup numbers the next one.
	Lookups    []LookupRun `json:"lookups,omitempty"`
	NextLookup uint64      `json:"next_lookup,omitempty"`
}

// Budget is the tenant's request budget at the last write, so that a
// restart does not start with a fresh one: the send times (Unix ms) still
// inside Microsoft's rolling window, and the end of a Retry-After pause.
type Budget struct {
	Sent        []int64 `json:"sent,omitempty"`
	PausedUntil int64   `json:"paused_until,omitempty"`
	// DetailsSent are the sends of Sent that were detail lookups, spent
	// from their share.
	DetailsSent []int64 `json:"details_sent,omitempty"`
}

// UnmarshalJSON reads an unreadable budget as none: it only spares the
// tenant's quota after a restart, and must not keep the receiver from
// starting.
func (b *Budget) UnmarshalJSON(data []byte) error {
	type plain Budget
	var p plain
	if json.Unmarshal(data, &p) != nil {
		p = plain{}
	}
	*b = Budget(p)
	return nil
}

// Store is the receiver's checkpoint over a storage client.
type Store struct {
	client storage.Client
	prefix string
	State  State
	Keys   *Keys
	budget BudgetSource
	logger *zap.Logger
	// fence is the leadership term's (nil without leader election);
	// readGen the generation the state was read from (see generation.go).
	fence   *Fence
	readGen uint64
	lookups lookupQueue
	// unsaved are the key chunks of pages committed (delivered) since the
	// last write that succeeded, oldest first; drops the stored chunks of
	// pruned buckets not yet deleted. Every write carries both and they are
	// let go only once one succeeds: a page delivered while the storage
	// refuses writes is recorded, keys and all, by the first write that
	// succeeds, so a restart or a new leader never reads its rows as new.
	// Invariant: State.Chunks counts the chunks stored, not the unsaved.
	unsaved []pendingChunk
	drops   []string
	// writeFailed is set when a write failed and cleared when one
	// succeeds: memory holds what storage does not (see Dirty).
	writeFailed bool
}

// BudgetSource returns the request budget to store with the state.
type BudgetSource func() *Budget

// Option configures a Store at Open.
type Option func(*Store)

// WithLogger is where the store reports what it cannot keep faithfully.
func WithLogger(l *zap.Logger) Option { return func(s *Store) { s.logger = l } }

// WithFence makes every write check the leadership term's fence first and
// store the state under its generation (see generation.go).
func WithFence(f *Fence) Option { return func(s *Store) { s.fence = f } }

// Open loads the checkpoint stored under prefix (see Prefix).
func Open(ctx context.Context, client storage.Client, prefix string, opts ...Option) (*Store, error) {
	s := &Store{client: client, prefix: prefix, State: State{Version: stateVersion, Chunks: map[int64]int{}}, logger: zap.NewNop()}
	for _, opt := range opts {
		opt(s)
	}
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) load(ctx context.Context) error {
	gen, err := s.readGeneration(ctx)
	if err != nil {
		return fmt.Errorf("reading the checkpoint from storage: %w", err)
	}
	s.readGen = gen
	raw, err := s.client.Get(ctx, s.stateKey())
	if err != nil {
		return fmt.Errorf("reading the checkpoint from storage: %w", err)
	}
	corrupt := func(err error) error {
		return fmt.Errorf("the stored checkpoint %q is corrupt (%w): delete the storage directory's file for this receiver to start over from initial_lookback", s.stateKey(), err)
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &s.State); err != nil {
			return corrupt(err)
		}
		if s.State.Version != stateVersion {
			return fmt.Errorf("the stored checkpoint has layout version %d, this build reads %d", s.State.Version, stateVersion)
		}
	}
	if s.State.Chunks == nil {
		s.State.Chunks = map[int64]int{}
	}
	statuses, err := newStatusCodes(s.State.Statuses, s.logger)
	if err != nil {
		return corrupt(err)
	}
	s.Keys = newKeys(statuses)
	for bucket, n := range s.State.Chunks {
		for i := 0; i < n; i++ {
			chunk, err := s.client.Get(ctx, s.chunkKey(bucket, i))
			if err != nil {
				return fmt.Errorf("reading emitted-row keys from storage: %w", err)
			}
			s.Keys.load(bucket, chunk)
		}
	}
	return s.loadLookups(ctx)
}

// SetBudgetSource makes every later write store the request budget src
// returns (see write), so that a restart does not start with a fresh one.
func (s *Store) SetBudgetSource(src BudgetSource) { s.budget = src }

// Cursor returns the pass's cursor, for updating before a commit.
func (s *Store) Cursor(p Pass) *Cursor {
	if p == Settle {
		return &s.State.Settle
	}
	return &s.State.Live
}

// CommitPage records, in one batch, an accepted page's keys and the pass's
// new position (txn may be nil when the page emitted nothing). When the
// write fails, nothing of the page is lost: its keys stay in memory (Admit
// wrote them) and in the unsaved chunks, and the next write that succeeds
// stores them with the cursor that is past them.
func (s *Store) CommitPage(ctx context.Context, txn *Txn) error {
	if txn != nil && txn.open {
		for _, c := range txn.pending {
			if len(c.entries) > 0 {
				s.unsaved = append(s.unsaved, c)
			}
		}
		txn.finish()
	}
	return s.write(ctx, nil)
}

// Prune forgets the keys of rows received before t (no range still to be
// read reaches them) and deletes their chunks, with the next write that
// succeeds if this one fails.
func (s *Store) Prune(ctx context.Context, t time.Time) error {
	ended := func(bucket int64) bool { return !time.Unix(bucket, 0).Add(bucketSpan).After(t) }
	dropped := s.Keys.pruneBefore(t)
	for bucket := range s.State.Chunks {
		if ended(bucket) {
			dropped = append(dropped, bucket)
		}
	}
	if len(dropped) == 0 {
		return nil
	}
	for _, bucket := range dropped {
		for i := 0; i < s.State.Chunks[bucket]; i++ {
			s.drops = append(s.drops, s.chunkKey(bucket, i))
		}
		delete(s.State.Chunks, bucket) // a second time for a bucket does nothing
	}
	// Unsaved keys of those buckets need no storing: the cursors are past them.
	s.unsaved = slices.DeleteFunc(s.unsaved, func(c pendingChunk) bool { return ended(c.bucket) })
	return s.write(ctx, nil)
}

// Save writes the state record alone (cursor moves without keys).
func (s *Store) Save(ctx context.Context) error { return s.write(ctx, nil) }

// Dirty tells whether the last write failed, so memory holds pages'
// keys, prunes or cursor moves that storage lacks. The poller saves a
// dirty store before it reads another page: while storage refuses
// writes, each page read and delivered would be one more page that a
// crash sends again, where only the page in flight may be.
func (s *Store) Dirty() bool {
	return s.writeFailed || len(s.unsaved) > 0 || len(s.drops) > 0
}

// write sets the state record together with ops, in one batch, after the
// deletes of pruned chunks and the unsaved chunks (see Store.unsaved). The
// record carries, besides the cursors, the status table as it is now (so a
// chunk in ops never holds a code the stored table lacks) and the request
// budget of the budget source, if one is set. Nothing in memory records
// the write as done unless it succeeded.
func (s *Store) write(ctx context.Context, ops []*storage.Operation) (err error) {
	s.State.Statuses = s.Keys.statuses.names
	if s.budget != nil {
		s.State.Budget = s.budget()
	}
	chunkOps, undo := s.chunkOps()
	defer func() {
		s.writeFailed = err != nil
		if err != nil {
			undo()
		}
	}()
	raw, err := json.Marshal(&s.State)
	if err != nil {
		return err
	}
	if s.fence != nil {
		if err := s.fence.Check(ctx); err != nil {
			return fmt.Errorf("writing the checkpoint to storage: %w", err)
		}
	}
	lookupOps, saved, err := s.lookupOps()
	if err != nil {
		return err
	}
	ops = append(chunkOps, ops...)
	ops = append(ops, lookupOps...)
	ops = append(ops, storage.SetOperation(s.stateKeyOf(s.writeGeneration()), raw))
	ops = append(ops, s.generationOps()...)
	if err := s.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("writing the checkpoint to storage: %w", err)
	}
	saved()
	s.readGen = s.writeGeneration()
	clear(s.unsaved)
	s.unsaved, s.drops = s.unsaved[:0], s.drops[:0]
	return nil
}

// chunkOps are the operations that delete the pruned chunks and store the
// unsaved ones, one new chunk per bucket (a bucket's unsaved entries in
// commit order, so that a key's later status wins at load). They count the
// new chunks in State.Chunks, for the record written with them; undo takes
// the count back when the write fails, and keeps the unsaved chunks merged
// (one per bucket), so that an outage of many pages costs each write a
// copy of one bucket's entries, not of every page's.
func (s *Store) chunkOps() (ops []*storage.Operation, undo func()) {
	if len(s.unsaved) == 0 && len(s.drops) == 0 {
		return nil, func() {}
	}
	for _, key := range s.drops {
		ops = append(ops, storage.DeleteOperation(key))
	}
	var merged []pendingChunk
	for _, c := range s.unsaved {
		i := slices.IndexFunc(merged, func(m pendingChunk) bool { return m.bucket == c.bucket })
		if i < 0 {
			merged = append(merged, c)
			continue
		}
		// The full slice expression makes append copy: the chunk's own
		// bytes may be a failed batch's, and stay as they are.
		m := &merged[i]
		m.entries = append(m.entries[:len(m.entries):len(m.entries)], c.entries...)
	}
	for _, m := range merged {
		ops = append(ops, storage.SetOperation(s.chunkKey(m.bucket, s.State.Chunks[m.bucket]), m.entries))
		s.State.Chunks[m.bucket]++
	}
	return ops, func() {
		for _, m := range merged {
			if s.State.Chunks[m.bucket]--; s.State.Chunks[m.bucket] == 0 {
				delete(s.State.Chunks, m.bucket)
			}
		}
		clear(s.unsaved)
		s.unsaved = append(s.unsaved[:0], merged...)
	}
}
