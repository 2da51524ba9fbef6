package exchangemessagetracereceiver

import (
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.uber.org/zap/zaptest/observer"
)

// pollTimeout bounds one poll of a test: far above what any poll here
// takes, so that only a hung poll trips it.
const pollTimeout = 60 * time.Second

// manualTicker is a poll ticker the test fires by hand, so that "one more
// poll" is an event rather than a wall-clock wait. Its channel is unbuffered
// and the poll loop asks for it (C) each time it comes back to wait: a tick
// sent is one poll started, and each call of C is one poll finished.
type manualTicker struct {
	c chan time.Time

	mu       sync.Mutex
	finished int           // polls finished (calls of C)
	changed  chan struct{} // closed when finished grows

	sent int // ticks sent; only the test goroutine sends
}

func newManualTicker() *manualTicker {
	return &manualTicker{c: make(chan time.Time), changed: make(chan struct{})}
}

func (m *manualTicker) C() <-chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.finished++
	close(m.changed)
	m.changed = make(chan struct{})
	return m.c
}

func (m *manualTicker) Stop() {}

// Now and After make the ticker the scheduler's clock: the scheduler asks
// for a timer each time a poll finished, and the tick the test sends fires
// it.
func (m *manualTicker) Now() time.Time { return time.Now() }

func (m *manualTicker) After(time.Duration) (<-chan time.Time, func()) { return m.C(), func() {} }

// waitIdle waits until every poll started so far (the first, and one per
// tick sent) has finished: the loop is waiting for the next tick.
func (m *manualTicker) waitIdle(t *testing.T) {
	t.Helper()
	timeout := time.NewTimer(pollTimeout)
	defer timeout.Stop()
	for {
		m.mu.Lock()
		idle, changed := m.finished >= 1+m.sent, m.changed
		m.mu.Unlock()
		if idle {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("poll %d did not finish within %s", 1+m.sent, pollTimeout)
		}
	}
}

// poll runs one more poll and returns once it has finished.
func (m *manualTicker) poll(t *testing.T) {
	t.Helper()
	m.waitIdle(t)
	select {
	case m.c <- time.Now():
		m.sent++
	case <-time.After(pollTimeout):
		t.Fatal("the poll loop no longer waits for ticks")
	}
	m.waitIdle(t)
}

// pollUntil waits for the first poll, then runs polls until cond holds,
// failing after maxPolls more polls.
func (m *manualTicker) pollUntil(t *testing.T, cond func() bool, maxPolls int) {
	t.Helper()
	m.waitIdle(t)
	for n := 0; !cond(); n++ {
		if n == maxPolls {
			t.Fatalf("condition not met after %d polls", 1+maxPolls)
		}
		m.poll(t)
	}
}

// startManualReceiver starts a receiver through the factory whose polls
// after the first run only when the test fires them.
func startManualReceiver(t *testing.T, cfg *Config, next consumer.Logs, host *testHost, tel *componenttest.Telemetry) (*messageTraceReceiver, *observer.ObservedLogs, *manualTicker) {
	t.Helper()
	tick := newManualTicker()
	rcv, logs := newTestReceiver(t, cfg, next, tel)
	rcv.clock = tick
	startTestReceiver(t, rcv, host)
	return rcv, logs, tick
}
