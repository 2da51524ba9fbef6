package throttle

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for the budget.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestReserveRollingWindow(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(3)
	b.now = clock.now

	tests := []struct {
		name    string
		advance time.Duration
		wait    bool // reserve must ask to wait
	}{
		{"first", 0, false},
		{"second", time.Minute, false},
		{"third", time.Minute, false},
		{"fourth inside the window waits", time.Second, true},
		// The first send (t=0) leaves the window at 5m plus the arrival margin.
		{"not before the margin has passed", 3*time.Minute - time.Second + time.Millisecond, true},
		{"after the oldest leaves", arrivalMargin, false},
		{"window full again", 0, true},
	}
	for _, tt := range tests {
		clock.advance(tt.advance)
		d := b.reserve()
		assert.Equal(t, tt.wait, d > 0, tt.name)
	}
}

func TestNoLimitStillPauses(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(0)
	b.now = clock.now
	for range 1000 {
		require.Zero(t, b.reserve())
	}
	b.Pause(7 * time.Second)
	assert.Equal(t, 7*time.Second, b.reserve(), "a Retry-After pause holds every request")
	b.Pause(time.Second)
	assert.Equal(t, 7*time.Second, b.reserve(), "a shorter pause never shortens a longer one")
	clock.advance(7 * time.Second)
	assert.Zero(t, b.reserve())
}

func TestWaitHonoursPauseAndContext(t *testing.T) {
	b := New(0)
	b.Pause(300 * time.Millisecond)
	start := time.Now()
	waited, err := b.Wait(context.Background())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	assert.GreaterOrEqual(t, waited, 250*time.Millisecond)

	b.Pause(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = b.Wait(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestForTenantSharesAndKeepsTheSmallestLimit(t *testing.T) {
	a := ForTenant("tenant-a@graph", 80)
	b := ForTenant("tenant-a@graph", 50)
	c := ForTenant("tenant-b@graph", 80)
	assert.Same(t, a, b, "receivers of one tenant share one budget")
	assert.NotSame(t, a, c)
	assert.Equal(t, 50, a.limit)
	ForTenant("tenant-a@graph", 0)
	assert.Equal(t, 50, a.limit, "no-limit does not lift another receiver's limit")
}

func TestSnapshotRestoreCarriesTheWindowAcrossARestart(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	before := New(3)
	before.now = clock.now
	require.Zero(t, before.reserve()) // t=0: leaves the window at 5m05s
	clock.advance(time.Minute)
	require.Zero(t, before.reserve())
	before.Pause(30 * time.Second)
	clock.advance(10 * time.Second)
	sent, paused := before.Snapshot()
	require.Len(t, sent, 2)
	require.Equal(t, start.Add(time.Minute+30*time.Second), paused)

	// The restarted process: stored values come back without monotonic
	// readings and at millisecond precision.
	restore := func(b *Budget) {
		ms := make([]time.Time, len(sent))
		for i, s := range sent {
			ms[i] = time.UnixMilli(s.UnixMilli())
		}
		b.Restore(ms, time.UnixMilli(paused.UnixMilli()))
	}
	after := New(3)
	after.now = clock.now
	restore(after)
	restore(after) // a second receiver of the tenant restores the same sends: they count once
	assert.Equal(t, 20*time.Second, after.reserve(), "the pause survives the restart")
	clock.advance(20 * time.Second)
	assert.Zero(t, after.reserve(), "third send of the window")
	assert.Positive(t, after.reserve(), "the two sends before the restart still count")
	clock.advance(5*time.Minute + arrivalMargin - 90*time.Second)
	assert.Zero(t, after.reserve(), "the first send left the window")
}

func TestRestoreIgnoresStaleFutureAndAbsurdValues(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: now}
	b := New(2)
	b.now = clock.now
	b.Restore([]time.Time{now.Add(-time.Hour), now.Add(-6 * time.Minute), now.Add(time.Hour)}, now.Add(30*24*time.Hour))
	sent, paused := b.Snapshot()
	assert.Equal(t, []time.Time{now}, sent, "only the future send counts, as now")
	assert.Equal(t, now.Add(maxRestoredPause), paused, "a pause is capped")
}

func TestRestoreCountsSendsOfOneMillisecond(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: now}
	b := New(10)
	b.now = clock.now
	ms := now.Add(-time.Minute)
	stored := []time.Time{ms, ms, ms.Add(time.Millisecond)}
	b.Restore(stored, time.Time{})
	b.Restore(stored, time.Time{}) // the tenant's other receiver stored the same sends
	sent, _ := b.Snapshot()
	assert.Len(t, sent, 3)
}
