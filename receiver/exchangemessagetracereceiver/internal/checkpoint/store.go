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
// new position (txn may be nil when the page emitted nothing). The keys
// stay in memory (Admit wrote them) even when the write fails: the page was
// delivered, and the next successful write carries the cursor forward.
func (s *Store) CommitPage(ctx context.Context, txn *Txn) error {
	var ops []*storage.Operation
	if txn != nil && txn.open {
		for _, c := range txn.pending {
			if len(c.entries) == 0 {
				continue
			}
			ops = append(ops, storage.SetOperation(s.chunkKey(c.bucket, s.State.Chunks[c.bucket]), c.entries))
			s.State.Chunks[c.bucket]++
		}
		txn.finish()
	}
	return s.write(ctx, ops)
}

// Prune forgets the keys of rows received before t (no range still to be
// read reaches them) and deletes their chunks.
func (s *Store) Prune(ctx context.Context, t time.Time) error {
	dropped := s.Keys.pruneBefore(t)
	for bucket := range s.State.Chunks {
		if !time.Unix(bucket, 0).Add(bucketSpan).After(t) {
			dropped = append(dropped, bucket)
		}
	}
	if len(dropped) == 0 {
		return nil
	}
	var ops []*storage.Operation
	seen := map[int64]bool{}
	for _, bucket := range dropped {
		if seen[bucket] {
			continue
		}
		seen[bucket] = true
		for i := 0; i < s.State.Chunks[bucket]; i++ {
			ops = append(ops, storage.DeleteOperation(s.chunkKey(bucket, i)))
		}
		delete(s.State.Chunks, bucket)
	}
	return s.write(ctx, ops)
}

// Save writes the state record alone (cursor moves without keys).
func (s *Store) Save(ctx context.Context) error { return s.write(ctx, nil) }

// write sets the state record together with ops, in one batch. The record
// carries, besides the cursors, the status table as it is now (so a chunk in
// ops never holds a code the stored table lacks) and the request budget of
// the budget source, if one is set.
func (s *Store) write(ctx context.Context, ops []*storage.Operation) error {
	s.State.Statuses = s.Keys.statuses.names
	if s.budget != nil {
		s.State.Budget = s.budget()
	}
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
	ops = append(ops, lookupOps...)
	ops = append(ops, storage.SetOperation(s.stateKeyOf(s.writeGeneration()), raw))
	ops = append(ops, s.generationOps()...)
	if err := s.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("writing the checkpoint to storage: %w", err)
	}
	saved()
	s.readGen = s.writeGeneration()
	return nil
}
