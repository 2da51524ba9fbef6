package schedule

import (
	"context"
	"time"
)

// Slots bounds how many tenants poll at once (max_concurrent_tenants). A
// poll holds a slot while it works; while it only waits (for its tenant's
// request budget, a Retry-After pause, a backoff) it gives the slot back
// through Idle, so a throttled or failing tenant never keeps the others
// waiting.
type Slots struct {
	free chan struct{}
}

// NewSlots returns n slots; n < 1 means 1.
func NewSlots(n int) *Slots {
	n = max(n, 1)
	s := &Slots{free: make(chan struct{}, n)}
	for range n {
		s.free <- struct{}{}
	}
	return s
}

// Size is how many slots there are.
func (s *Slots) Size() int { return cap(s.free) }

func (s *Slots) acquire(ctx context.Context) error {
	select {
	case <-s.free:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Slots) release() { s.free <- struct{}{} }

// held is what a poll's context carries: the slots it holds one of.
type held struct {
	slots *Slots
}

type heldKey struct{}

// Idle runs wait without holding the caller's slot, when ctx holds one: the
// slot is given back for the wait and taken again after it (the caller then
// queues behind the polls that are working). Without a slot in ctx it just
// runs wait. If ctx ends while the slot is being taken again, Idle returns
// ctx's error and the caller holds no slot: it must stop working, which a
// cancelled poll does anyway.
func Idle(ctx context.Context, wait func() error) error {
	h, _ := ctx.Value(heldKey{}).(*held)
	if h == nil || h.slots == nil {
		return wait()
	}
	h.slots.release()
	err := wait()
	if aerr := h.slots.acquire(ctx); aerr != nil {
		// The poll is over; Run must not release a slot it does not hold.
		h.slots = nil
		return aerr
	}
	return err
}

// Sleep waits d, or until ctx ends (returning its error), without holding
// the caller's slot: how a poll waits for its tenant's budget, a
// Retry-After or a backoff.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	return Idle(ctx, func() error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	})
}
