package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The share never waits, never passes its own limit nor the tenant's, and
// the list calls keep the rest of the tenant's budget.
func TestShareKeepsToItsPartAndNeverWaits(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(5)
	b.now = clock.now
	share := b.Share(2)
	ctx := context.Background()

	for i := range 2 {
		_, err := share.Wait(ctx)
		require.NoError(t, err, "lookup %d", i)
	}
	_, err := share.Wait(ctx)
	assert.ErrorIs(t, err, ErrShareSpent, "the share's own limit")
	assert.Equal(t, 0, available(share))

	// The list calls still have 5 - 2 = 3.
	for i := range 3 {
		assert.Zero(t, b.reserve(), "list call %d", i)
	}
	assert.Positive(t, b.reserve(), "the tenant's budget is full")

	// Past the window both have room again; a full tenant budget stops the share.
	clock.advance(Window + arrivalMargin + time.Second)
	assert.Equal(t, 2, available(share))
	for range 5 {
		require.Zero(t, b.reserve())
	}
	_, err = share.Wait(ctx)
	assert.ErrorIs(t, err, ErrShareSpent, "the tenant's budget is full")

	// A 429 met by a lookup pauses the whole tenant.
	clock.advance(Window + arrivalMargin + time.Second)
	share.Pause(time.Minute)
	assert.Equal(t, time.Minute, b.reserve())
	_, err = share.Wait(ctx)
	assert.ErrorIs(t, err, ErrShareSpent, "paused")
}

// A restarted collector gets back the share's sends with the tenant's.
func TestShareSurvivesARestart(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(10)
	b.now = clock.now
	share := b.Share(3)
	for range 3 {
		_, err := share.Wait(context.Background())
		require.NoError(t, err)
	}
	sent, paused := b.Snapshot()
	shareSent := share.Snapshot()
	require.Len(t, shareSent, 3)

	restarted := New(10)
	restarted.now = clock.now
	restarted.Restore(sent, paused)
	again := restarted.Share(3)
	again.Restore(shareSent)
	assert.Equal(t, 0, available(again), "the share is spent across the restart")
	_, err := again.Wait(context.Background())
	assert.ErrorIs(t, err, ErrShareSpent)
}

// available tells how many requests the share could send now.
func available(s *Share) int {
	b := s.parent
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Before(b.pausedUntil) {
		return 0
	}
	s.sent = dropOlder(s.sent, now)
	n := s.limit - len(s.sent)
	if b.limit > 0 {
		n = min(n, b.limit-len(dropOlder(b.sent, now)))
	}
	return max(n, 0)
}
