package schedule

import (
	"sync"
	"time"
)

// fakeClock moves only when a test advances it; timers due by then fire.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at   time.Time
	fire chan time.Time
	done bool
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), fire: make(chan time.Time, 1)}
	if d <= 0 {
		t.fire <- c.now
		t.done = true
	} else {
		c.timers = append(c.timers, t)
	}
	return t.fire, func() {
		c.mu.Lock()
		t.done = true
		c.mu.Unlock()
	}
}

// pending is how many timers wait to fire.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

// advance moves the clock by d and fires the timers due by then.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.at.After(c.now):
			t.fire <- c.now
			t.done = true
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
}

// deadlines are the times the waiting timers fire at.
func (c *fakeClock) deadlines() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at []time.Time
	for _, t := range c.timers {
		if !t.done {
			at = append(at, t.at)
		}
	}
	return at
}
