package auth

import (
	"context"
	"sync"
)

// Exchanges counts the token exchanges that outlive the call that started
// them: an authorization code flow refresh keeps running after its caller
// gave up (Microsoft may have rotated the refresh token already, and only
// the answer holds the new one), and saves the new refresh token to the
// Store. Whoever closes the Store waits for them first (Wait), within its
// own deadline. A nil *Exchanges counts nothing.
type Exchanges struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

func (e *Exchanges) start() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		e.idle = make(chan struct{})
	}
	e.n++
}

func (e *Exchanges) done() {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n--
	if e.n == 0 {
		close(e.idle)
	}
}

// Wait returns when no exchange runs, or with ctx's error when ctx ends
// first.
func (e *Exchanges) Wait(ctx context.Context) error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	if e.n == 0 {
		e.mu.Unlock()
		return nil
	}
	idle := e.idle
	e.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
