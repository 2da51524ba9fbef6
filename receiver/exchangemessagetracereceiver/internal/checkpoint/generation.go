package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Replicas that share one storage (db_storage on PostgreSQL) and take turns
// through a lease fence each other with a generation number. A replica that
// gains the lease stores a generation one above the stored one (TakeLead);
// every later write of its checkpoints first checks that the stored
// generation is still its own (Fence.Check), and writes each tenant's state
// under a key of its generation. So a replica that was paused past its
// lease (a GC pause, a frozen node) and wakes up finds the newer
// generation before it writes and records nothing; and even a write that
// slips between its check and its batch lands under its old generation's
// key, which the newer leader no longer reads: the shared cursor never
// moves backwards, nor forwards over rows the writer did not deliver.

// leaderKey holds the newest leader's generation, one per receiver (the
// storage client is the receiver's): all of its tenants follow one lease.
const leaderKey = "leader"

// Leader is the record under leaderKey.
type Leader struct {
	Generation uint64    `json:"generation"`
	Holder     string    `json:"holder"`
	Since      time.Time `json:"since"`
}

// ErrFenced says a newer leader's generation is in storage: this replica's
// lease is gone, and it must not record anything.
var ErrFenced = errors.New("a newer leader holds the checkpoint")

// Fence is one leadership term's generation.
type Fence struct {
	client storage.Client
	self   Leader
}

// TakeLead stores a new generation, one above the stored one, for holder
// (this replica, as the log should name it), and returns its fence.
func TakeLead(ctx context.Context, client storage.Client, holder string, now time.Time) (*Fence, error) {
	prev, err := readLeader(ctx, client)
	if err != nil {
		return nil, err
	}
	self := Leader{Generation: prev.Generation + 1, Holder: holder, Since: now.UTC()}
	raw, err := json.Marshal(self)
	if err != nil {
		return nil, err
	}
	if err := client.Set(ctx, leaderKey, raw); err != nil {
		return nil, fmt.Errorf("recording the new leader's generation in storage: %w", err)
	}
	return &Fence{client: client, self: self}, nil
}

// Generation is the term's generation.
func (f *Fence) Generation() uint64 { return f.self.Generation }

// Check returns an error wrapping ErrFenced, naming the newer leader, when
// storage holds another generation than the term's; a storage failure is
// returned as it is (it says nothing about the lease).
func (f *Fence) Check(ctx context.Context) error {
	stored, err := readLeader(ctx, f.client)
	if err != nil {
		return err
	}
	if stored.Generation != f.self.Generation {
		return fmt.Errorf("%w (generation %d of %s since %s; this replica has generation %d): this replica's lease is gone, it records nothing",
			ErrFenced, stored.Generation, stored.Holder, stored.Since.Format(time.RFC3339), f.self.Generation)
	}
	return nil
}

func readLeader(ctx context.Context, client storage.Client) (Leader, error) {
	raw, err := client.Get(ctx, leaderKey)
	if err != nil {
		return Leader{}, fmt.Errorf("reading the leader's generation from storage: %w", err)
	}
	var l Leader
	if raw != nil {
		if err := json.Unmarshal(raw, &l); err != nil {
			return Leader{}, fmt.Errorf("the stored leader record %q is corrupt (%w): delete it; the next leader starts a new generation", leaderKey, err)
		}
	}
	return l, nil
}

// stateKeyOf is where generation gen keeps the state record: generation 0
// (no leader election) where every release has.
func (s *Store) stateKeyOf(gen uint64) string {
	if gen == 0 {
		return s.prefix + "/state"
	}
	return s.prefix + "/state.g" + strconv.FormatUint(gen, 10)
}

// generationKey names the generation whose state key holds the tenant's
// newest state; absent means 0.
func (s *Store) generationKey() string { return s.prefix + "/state_generation" }

// readGeneration returns the generation of the tenant's newest state.
func (s *Store) readGeneration(ctx context.Context) (uint64, error) {
	raw, err := s.client.Get(ctx, s.generationKey())
	if err != nil || raw == nil {
		return 0, err
	}
	gen, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("the stored state generation %q is corrupt: %w", s.generationKey(), err)
	}
	return gen, nil
}

// writeGeneration is the generation this store writes under.
func (s *Store) writeGeneration() uint64 {
	if s.fence == nil {
		return 0
	}
	return s.fence.Generation()
}

// generationOps are the operations a write adds to move the tenant's state
// from the generation it was read from to the one it is written under.
func (s *Store) generationOps() []*storage.Operation {
	gen := s.writeGeneration()
	if gen == s.readGen {
		return nil
	}
	ops := []*storage.Operation{storage.DeleteOperation(s.stateKeyOf(s.readGen))}
	if gen == 0 {
		return append(ops, storage.DeleteOperation(s.generationKey()))
	}
	return append(ops, storage.SetOperation(s.generationKey(), []byte(strconv.FormatUint(gen, 10))))
}
