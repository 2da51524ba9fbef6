package schedule

import "time"

// Clock is the time source of a Scheduler; tests drive a fake one.
type Clock interface {
	Now() time.Time
	// After fires once d has passed, like time.After; stop releases it early.
	After(d time.Duration) (fire <-chan time.Time, stop func())
}

// WallClock is the real time.
type WallClock struct{}

// Now is time.Now.
func (WallClock) Now() time.Time { return time.Now() }

// After is a time.Timer.
func (WallClock) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}
