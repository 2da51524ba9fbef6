package schedule

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// pollLog records which tenant polled when (on the fake clock).
type pollLog struct {
	mu    sync.Mutex
	clock *fakeClock
	at    map[string][]time.Time
}

func newPollLog(c *fakeClock) *pollLog { return &pollLog{clock: c, at: map[string][]time.Time{}} }

func (l *pollLog) poll(id string) Poll {
	return func(context.Context) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.at[id] = append(l.at[id], l.clock.Now())
		return nil
	}
}

func (l *pollLog) count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.at[id])
}

func TestPollsAtOnceThenSpreadAcrossTheInterval(t *testing.T) {
	for _, beat := range []time.Duration{0, time.Second} {
		t.Run("beat="+beat.String(), func(t *testing.T) { pollsAtOnceThenSpread(t, beat) })
	}
}

// pollsAtOnceThenSpread: with or without a beat, every tenant polls once at
// start and once more within the next interval, spread across it.
func pollsAtOnceThenSpread(t *testing.T, beat time.Duration) {
	const tenants, interval = 200, 5 * time.Minute
	clock := newFakeClock(epoch)
	log := newPollLog(clock)
	s := New(interval, NewSlots(8), clock, nil, WithBeat(beat))
	defer s.Stop()
	for i := range tenants {
		s.Add(fmt.Sprintf("tenant-%03d", i), log.poll(fmt.Sprintf("tenant-%03d", i)))
	}
	// Every tenant polls at once, then waits for its phase.
	require.Eventually(t, func() bool { return clock.pending() == tenants }, 5*time.Second, time.Millisecond)
	for i := range tenants {
		assert.Equal(t, 1, log.count(fmt.Sprintf("tenant-%03d", i)))
	}
	// Walk one interval second by second: each tenant polls once more, and
	// no 10-second stretch holds more than a few of them.
	perBucket := map[int]int{}
	for sec := 1; sec <= int(interval/time.Second); sec++ {
		clock.advance(time.Second)
		require.Eventually(t, func() bool { return clock.pending() == tenants }, 5*time.Second, time.Millisecond)
	}
	for i := range tenants {
		id := fmt.Sprintf("tenant-%03d", i)
		require.Equal(t, 2, log.count(id), id)
		perBucket[int(log.at[id][1].Sub(epoch)/(10*time.Second))]++
	}
	mean := float64(tenants) / float64(interval/(10*time.Second))
	for b, n := range perBucket {
		assert.LessOrEqual(t, float64(n), 3*mean+3, "10-second bucket %d holds %d polls (mean %.1f)", b, n, mean)
	}
}

func TestBeatGroupsPhasesAndKeepsThemSpread(t *testing.T) {
	const tenants, interval = 1000, 5 * time.Minute
	tests := []struct {
		beat             time.Duration
		minDistinctTimes int
		maxDistinctTimes int
	}{
		{beat: 0, minDistinctTimes: 990, maxDistinctTimes: tenants},
		// 1,000 random phases in 300 beats leave about 289 beats used
		{beat: time.Second, minDistinctTimes: 275, maxDistinctTimes: 300},
		{beat: 10 * time.Second, minDistinctTimes: 30, maxDistinctTimes: 30},
	}
	for _, tt := range tests {
		t.Run(tt.beat.String(), func(t *testing.T) {
			clock := newFakeClock(epoch)
			s := New(interval, NewSlots(32), clock, nil, WithBeat(tt.beat))
			defer s.Stop()
			for i := range tenants {
				s.Add(fmt.Sprintf("tenant-%04d", i), func(context.Context) error { return nil })
			}
			require.Eventually(t, func() bool { return clock.pending() == tenants }, 5*time.Second, time.Millisecond)
			distinct := map[time.Time]int{}
			for _, at := range clock.deadlines() {
				if tt.beat > 0 {
					require.Zero(t, at.Sub(epoch)%tt.beat, "a phase off the beat: %s", at)
				}
				distinct[at]++
			}
			assert.GreaterOrEqual(t, len(distinct), tt.minDistinctTimes, "polls spread across the interval")
			assert.LessOrEqual(t, len(distinct), tt.maxDistinctTimes)
			if tt.beat > 0 {
				mean := float64(tenants) / float64(interval/tt.beat)
				for at, n := range distinct {
					assert.LessOrEqual(t, float64(n), 3*mean+3, "beat at %s holds %d polls (mean %.1f)", at, n, mean)
				}
			}
		})
	}
}

func TestPhaseIsStablePerTenant(t *testing.T) {
	assert.Equal(t, phase("contoso.onmicrosoft.com", 5*time.Minute), phase("contoso.onmicrosoft.com", 5*time.Minute))
	assert.NotEqual(t, phase("a", 5*time.Minute), phase("b", 5*time.Minute))
	at := nextAt(epoch.Add(7*time.Second), 30*time.Second, time.Minute)
	assert.Equal(t, epoch.Add(30*time.Second), at)
	assert.Equal(t, epoch.Add(90*time.Second), nextAt(epoch.Add(30*time.Second), 30*time.Second, time.Minute), "a poll at its phase point waits a whole interval")
}

func TestAtMostSlotsPollAtOnce(t *testing.T) {
	var running, peak atomic.Int32
	release := make(chan struct{})
	s := New(time.Minute, NewSlots(3), newFakeClock(epoch), nil)
	var started atomic.Int32
	for i := range 10 {
		s.Add(fmt.Sprint(i), func(ctx context.Context) error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			started.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			running.Add(-1)
			return nil
		})
	}
	require.Eventually(t, func() bool { return started.Load() == 3 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // give a fourth poll the chance to start wrongly
	assert.EqualValues(t, 3, started.Load())
	close(release)
	require.Eventually(t, func() bool { return started.Load() == 10 }, 5*time.Second, time.Millisecond)
	s.Stop()
	assert.EqualValues(t, 3, peak.Load())
}

func TestIdleGivesTheSlotToAnotherTenant(t *testing.T) {
	// One slot: tenant "throttled" waits out a long Retry-After inside its
	// poll; tenant "healthy" must poll meanwhile.
	waiting := make(chan struct{})
	endPause := make(chan struct{})
	var healthy atomic.Int32
	s := New(time.Minute, NewSlots(1), newFakeClock(epoch), nil)
	defer s.Stop()
	s.Add("throttled", func(ctx context.Context) error {
		return Idle(ctx, func() error {
			close(waiting)
			<-endPause
			return nil
		})
	})
	<-waiting
	s.Add("healthy", func(context.Context) error { healthy.Add(1); return nil })
	require.Eventually(t, func() bool { return healthy.Load() == 1 }, 5*time.Second, time.Millisecond)
	close(endPause)
}

func TestIdleWithoutASlotJustWaits(t *testing.T) {
	called := false
	require.NoError(t, Idle(context.Background(), func() error { called = true; return nil }))
	assert.True(t, called)
}

func TestRemoveStopsOneTenantOnly(t *testing.T) {
	clock := newFakeClock(epoch)
	log := newPollLog(clock)
	s := New(time.Minute, NewSlots(2), clock, nil)
	defer s.Stop()
	s.Add("a", log.poll("a"))
	s.Add("b", log.poll("b"))
	assert.False(t, s.Add("a", log.poll("a")), "a tenant runs once")
	require.Eventually(t, func() bool { return clock.pending() == 2 }, 5*time.Second, time.Millisecond)
	s.Remove("a")
	assert.Equal(t, []string{"b"}, s.Tenants())
	for range 3 {
		clock.advance(time.Minute)
		require.Eventually(t, func() bool { return clock.pending() == 1 }, 5*time.Second, time.Millisecond)
	}
	assert.Equal(t, 1, log.count("a"))
	assert.Equal(t, 4, log.count("b"))
}

func TestRemoveWaitsForThePollInFlight(t *testing.T) {
	inPoll := make(chan struct{})
	var finished atomic.Bool
	s := New(time.Minute, NewSlots(1), newFakeClock(epoch), nil)
	s.Add("a", func(ctx context.Context) error {
		close(inPoll)
		<-ctx.Done()
		time.Sleep(10 * time.Millisecond) // the page in flight completes
		finished.Store(true)
		return ctx.Err()
	})
	<-inPoll
	s.Remove("a")
	assert.True(t, finished.Load())
	s.Stop()
}

func TestOutcomesReportGapsAndErrors(t *testing.T) {
	clock := newFakeClock(epoch)
	var mu sync.Mutex
	var outs []Outcome
	s := New(time.Minute, NewSlots(1), clock, func(o Outcome) { mu.Lock(); outs = append(outs, o); mu.Unlock() })
	defer s.Stop()
	fail := fmt.Errorf("consent missing")
	s.Add("broken", func(context.Context) error { return fail })
	require.Eventually(t, func() bool { return clock.pending() == 1 }, 5*time.Second, time.Millisecond)
	clock.advance(2 * time.Minute)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(outs) == 2 }, 5*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, fail, outs[0].Err)
	assert.Zero(t, outs[0].Gap)
	assert.Equal(t, 2*time.Minute, outs[1].Gap)
}
