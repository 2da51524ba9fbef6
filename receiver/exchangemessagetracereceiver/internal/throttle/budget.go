// Package throttle keeps each tenant's request budget: Microsoft allows 100
// message trace requests per tenant per rolling 5 minutes, shared by every
// tool of the tenant, and answers 429 with Retry-After past it.
package throttle

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
)

// Window is the length of Microsoft's rolling quota window.
const Window = 5 * time.Minute

// arrivalMargin widens our window: a request is counted here when it is let
// go, but Microsoft counts it when it arrives, after a token fetch and a TLS
// handshake that may take a while; without the margin a slow first request
// and a fast later one can land in one of Microsoft's windows together.
const arrivalMargin = 5 * time.Second

// Budget admits at most Limit requests in any rolling Window, and holds every
// caller while a Retry-After pause is in force. It is a log of send times
// rather than a token bucket (golang.org/x/time/rate): a bucket with burst b
// and rate r admits b + r*Window per window, so it would either waste part of
// the quota or overrun Microsoft's rolling count; the log matches it exactly.
type Budget struct {
	mu          sync.Mutex
	limit       int
	sent        []time.Time // send times within the last Window, oldest first
	pausedUntil time.Time
	now         func() time.Time
}

// New returns a budget of limit requests per rolling Window; limit <= 0
// means no limit (Retry-After pauses still apply).
func New(limit int) *Budget {
	return &Budget{limit: limit, now: time.Now}
}

// Wait blocks until a request may be sent, records it as sent, and returns
// how long it waited.
func (b *Budget) Wait(ctx context.Context) (time.Duration, error) {
	var waited time.Duration
	for {
		d := b.reserve()
		if d <= 0 {
			return waited, nil
		}
		// A poll that only waits gives its slot to another tenant.
		if err := schedule.Sleep(ctx, d); err != nil {
			return waited, err
		}
		waited += d
	}
}

// reserve records a send and returns 0, or returns how long to wait first.
func (b *Budget) reserve() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reserveLocked(b.now())
}

// reserveLocked is reserve with b.mu held.
func (b *Budget) reserveLocked(now time.Time) time.Duration {
	if now.Before(b.pausedUntil) {
		return b.pausedUntil.Sub(now)
	}
	b.sent = dropOlder(b.sent, now)
	if b.limit > 0 && len(b.sent) >= b.limit {
		// The oldest send leaves the window just after Window has passed.
		return b.sent[0].Add(Window+arrivalMargin).Sub(now) + time.Millisecond
	}
	b.sent = append(b.sent, now)
	return 0
}

// Pause holds every caller of the budget for d from now (a 429's
// Retry-After, honoured in full). A shorter pause never shortens a longer one.
func (b *Budget) Pause(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.pausedUntil) {
		b.pausedUntil = until
	}
}

var (
	registryMu sync.Mutex
	registry   = map[string]*Budget{}
)

// ForTenant returns the process-wide budget of a tenant, so that every
// receiver instance of the same tenant shares one quota. When instances ask
// for different limits, the smallest wins: the quota is the tenant's.
func ForTenant(key string, limit int) *Budget {
	registryMu.Lock()
	defer registryMu.Unlock()
	b, ok := registry[key]
	if !ok {
		b = New(limit)
		registry[key] = b
		return b
	}
	b.mu.Lock()
	if limit > 0 && (b.limit <= 0 || limit < b.limit) {
		b.limit = limit
	}
	b.mu.Unlock()
	return b
}

// maxRestoredPause bounds a pause read back from storage: a corrupt or
// far-future value must not stop collection for good.
const maxRestoredPause = time.Hour

// Snapshot returns the sends still inside the window and the end of any
// pause, for storage: a collector restarted within the window (a crash
// loop, a rollout) must not start with a fresh budget and spend the
// tenant's quota twice.
func (b *Budget) Snapshot() (sent []time.Time, pausedUntil time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	for _, t := range b.sent {
		if t.After(now.Add(-Window - arrivalMargin)) {
			sent = append(sent, t)
		}
	}
	if b.pausedUntil.After(now) {
		pausedUntil = b.pausedUntil
	}
	return sent, pausedUntil
}

// Restore adds sends and a pause read back from storage. Sends already
// known count once (several receivers of one tenant share a budget and each
// stores it): a millisecond holding n stored sends adds those beyond the
// ones the budget has there, as sends may share a millisecond. Sends outside
// the window are dropped; sends in the future (a clock that moved back)
// count as now (restored by two receivers, twice: the safe side).
func (b *Budget) Restore(sent []time.Time, pausedUntil time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	known := make(map[int64]int, len(b.sent))
	for _, t := range b.sent {
		known[t.UnixMilli()]++
	}
	for _, t := range sent {
		ms := t.UnixMilli()
		if known[ms] > 0 {
			known[ms]--
			continue
		}
		if t.After(now) {
			t = now
		}
		if t.After(now.Add(-Window - arrivalMargin)) {
			b.sent = append(b.sent, t)
		}
	}
	slices.SortFunc(b.sent, func(x, y time.Time) int { return x.Compare(y) })
	if limit := now.Add(maxRestoredPause); pausedUntil.After(limit) {
		pausedUntil = limit
	}
	if pausedUntil.After(b.pausedUntil) {
		b.pausedUntil = pausedUntil
	}
}
