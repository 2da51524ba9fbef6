package schedule

import (
	"context"
	"sync"
	"time"
)

// Poll is one poll of one tenant. It returns when the poll is over; its
// context ends when the tenant is removed or the scheduler stops.
type Poll func(ctx context.Context) error

// Outcome is what a finished poll reports, for health and telemetry.
type Outcome struct {
	Tenant string
	// Started is when the poll got its slot; Waited how long it queued for
	// it; Gap the time since the tenant's previous poll started (0 on the
	// first poll).
	Started time.Time
	Waited  time.Duration
	Gap     time.Duration
	Err     error
}

// Scheduler runs each added tenant's polls. Its zero value is not usable:
// use New.
type Scheduler struct {
	interval time.Duration
	beat     time.Duration // phases are multiples of it (0: any phase)
	slots    *Slots
	clock    Clock
	onPoll   func(Outcome)

	mu      sync.Mutex
	tenants map[string]*loop
	stopped bool // Stop was called: Add refuses
	wg      sync.WaitGroup
}

type loop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Option changes a Scheduler made by New.
type Option func(*Scheduler)

// WithBeat puts every phase on a multiple of beat: the tenants whose phases
// fall in the same beat poll together (up to the slots), so that the
// process wakes once a beat rather than once a poll, and their checkpoint
// writes meet in one storage transaction (see package groupcommit).
// Polls stay spread across the interval, a beat's worth at a time. A beat
// of the interval or longer puts every phase at 0: keep it well below.
func WithBeat(beat time.Duration) Option {
	return func(s *Scheduler) { s.beat = beat }
}

// New returns a scheduler polling every interval with the given slots;
// onPoll (may be nil) hears every finished poll, from the tenant's
// goroutine.
func New(interval time.Duration, slots *Slots, clock Clock, onPoll func(Outcome), opts ...Option) *Scheduler {
	if clock == nil {
		clock = WallClock{}
	}
	if onPoll == nil {
		onPoll = func(Outcome) {}
	}
	s := &Scheduler{interval: interval, slots: slots, clock: clock, onPoll: onPoll, tenants: map[string]*loop{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Add starts polling a tenant; adding a tenant that runs already, or
// adding after Stop, does nothing and returns false.
func (s *Scheduler) Add(id string, poll Poll) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[id]; ok || s.stopped {
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &loop{cancel: cancel, done: make(chan struct{})}
	s.tenants[id] = l
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(l.done)
		s.run(ctx, id, poll)
	}()
	return true
}

// Remove stops a tenant: its poll in flight is cancelled (a poller lets the
// page it is delivering finish) and Remove returns once it has returned.
// Removing an unknown tenant does nothing.
func (s *Scheduler) Remove(id string) {
	s.mu.Lock()
	l, ok := s.tenants[id]
	delete(s.tenants, id)
	s.mu.Unlock()
	if ok {
		l.cancel()
		<-l.done
	}
}

// Tenants lists the ids being polled.
func (s *Scheduler) Tenants() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.tenants))
	for id := range s.tenants {
		ids = append(ids, id)
	}
	return ids
}

// Stop removes every tenant and waits for their polls to return.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	s.stopped = true
	for id, l := range s.tenants {
		l.cancel()
		delete(s.tenants, id)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// run polls at once, then at the tenant's phase of every interval. A poll
// that overruns its interval is followed by the next phase point, not by a
// burst of the polls it missed.
func (s *Scheduler) run(ctx context.Context, id string, poll Poll) {
	ph := phase(id, s.interval).Truncate(s.beat)
	var last time.Time
	for {
		queued := s.clock.Now()
		if err := s.slots.acquire(ctx); err != nil {
			return
		}
		started := s.clock.Now()
		h := &held{slots: s.slots}
		err := poll(context.WithValue(ctx, heldKey{}, h))
		if h.slots != nil {
			h.slots.release()
		}
		out := Outcome{Tenant: id, Started: started, Waited: started.Sub(queued), Err: err}
		if !last.IsZero() {
			out.Gap = started.Sub(last)
		}
		last = started
		if ctx.Err() != nil {
			return
		}
		s.onPoll(out)

		fire, stop := s.clock.After(nextAt(s.clock.Now(), ph, s.interval).Sub(s.clock.Now()))
		select {
		case <-ctx.Done():
			stop()
			return
		case <-fire:
		}
	}
}
