package throttle

import (
	"context"
	"errors"
	"slices"
	"time"
)

// ErrShareSpent is Share.Wait's answer when a request would have to wait:
// the share's own limit is reached, the tenant's budget is full, or the
// tenant is paused by a Retry-After. Its caller stops until its next turn
// rather than hold the tenant's poll.
var ErrShareSpent = errors.New("the detail lookups' share of the tenant's request budget is spent for now")

// Share is a part of a tenant's Budget for work that comes second (detail
// lookups): at most limit of its requests in any rolling Window, each
// also counted in the tenant's budget, and only while the tenant's budget
// has room. The list calls keep the rest of the budget whatever the share
// does, and never wait for it.
type Share struct {
	parent *Budget
	limit  int
	sent   []time.Time // the share's own sends within the window, oldest first
}

// Share returns a share of at most limit requests per rolling window.
func (b *Budget) Share(limit int) *Share { return &Share{parent: b, limit: limit} }

// Wait implements fetch.Budget: it records a send and returns at once, or
// returns ErrShareSpent without waiting.
func (s *Share) Wait(ctx context.Context) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	b := s.parent
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	s.sent = dropOlder(s.sent, now)
	if s.limit <= 0 || len(s.sent) >= s.limit {
		return 0, ErrShareSpent
	}
	if b.reserveLocked(now) > 0 {
		return 0, ErrShareSpent
	}
	s.sent = append(s.sent, now)
	return 0, nil
}

// Pause pauses the whole tenant: Microsoft's 429 is about the tenant's
// quota, whichever call met it.
func (s *Share) Pause(d time.Duration) { s.parent.Pause(d) }

// dropOlder removes the sends that have left the window at now.
func dropOlder(sent []time.Time, now time.Time) []time.Time {
	cut := 0
	for cut < len(sent) && !sent[cut].After(now.Add(-Window-arrivalMargin)) {
		cut++
	}
	return sent[cut:]
}

// Snapshot returns the share's sends still inside the window, for storage
// with the tenant's (whose own Snapshot counts them too): a restarted
// collector must not start with the whole share again.
func (s *Share) Snapshot() []time.Time {
	b := s.parent
	b.mu.Lock()
	defer b.mu.Unlock()
	s.sent = dropOlder(s.sent, b.now())
	return append([]time.Time(nil), s.sent...)
}

// Restore adds sends read back from storage (their tenant budget's Restore
// counts them in the tenant's). Sends in the future count as now.
func (s *Share) Restore(sent []time.Time) {
	b := s.parent
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	for _, t := range sent {
		if t.After(now) {
			t = now
		}
		s.sent = append(s.sent, t)
	}
	slices.SortFunc(s.sent, func(x, y time.Time) int { return x.Compare(y) })
	s.sent = dropOlder(s.sent, now)
}
