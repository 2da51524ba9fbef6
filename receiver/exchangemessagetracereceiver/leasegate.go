package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// A replica sends a request (to the API or to the token endpoint) and
// delivers a page only while it holds the lease, checked right before.
//
// The k8s_leader_elector extension says when the lease is gained and lost,
// and nothing in between: its renewals are silent. While the process runs,
// that is enough: a leader that fails to renew hears "lost" after
// renew_deadline, before another replica may take the lease (lease_duration
// after the last renewal it saw). A paused process (SIGSTOP, a long GC
// pause, a frozen node) is the gap: it wakes with timers due (a retry, the
// next page, the next poll) before its elector has run, while another
// replica holds the lease. Such a pause is at least lease_duration -
// renew_deadline long, so the gate asks the storage whose generation is
// newest whenever leaseRecheck or more has passed, on the receiver's clock
// (monotonic and wall, the larger), since it last saw its own: the newer
// leader recorded its generation when it took over (checkpoint.TakeLead),
// and the woken replica refuses before sending anything. The storage is
// read at most once per leaseRecheck per receiver while requests are being
// sent (all tenants share the answer), and not at all while idle.
//
// What it cannot close: a pause that falls between the check and the
// bytes leaving (microseconds), and a replica that wakes in the
// milliseconds between the new leader's lease and its generation's write.
// The fence (checkpoint.Fence) still keeps either from recording anything.

// leaseRecheck is how old a confirmation of the lease may be before a
// request asks the storage again. It must stay below the elector's
// lease_duration - renew_deadline (defaults 15s - 10s; the tests' 4s - 3s).
const leaseRecheck = 500 * time.Millisecond

// errLeaseLost says the leader elector took the lease away: the term is
// ending and sends nothing more.
var errLeaseLost = errors.New("this replica no longer holds the lease (the leader elector said so): it sends and records nothing more")

// leaseGone tells whether err ends a term's poll because the lease is gone
// (a newer generation in storage, or the elector's word): nothing is
// recorded and nothing is reported as the tenant's error.
func leaseGone(err error) bool {
	return errors.Is(err, checkpoint.ErrFenced) || errors.Is(err, errLeaseLost)
}

// leaseGate is a leadership term's check before each request. A nil gate
// (no leader election) lets everything through.
type leaseGate struct {
	fence   *checkpoint.Fence
	holding func() bool      // the elector's last word
	now     func() time.Time // the receiver's clock

	// mu guards the fields below and is never held across a storage read:
	// a slow or hung read must not make a cancelled poll (or any other
	// tenant) wait for the lock, or a shutdown waiting for the polls
	// would overrun.
	mu        sync.Mutex
	confirmed time.Time     // when storage last showed the term's generation
	lost      error         // once a newer generation was seen: refuse for good
	reading   *leaseReading // the storage read in progress (nil: none)
}

// leaseReading is one storage read of the leader's generation, shared by
// every check that finds the confirmation stale meanwhile (one read, not
// one per tenant); done is closed once err is set.
type leaseReading struct {
	done chan struct{}
	err  error
}

func newLeaseGate(fence *checkpoint.Fence, holding func() bool, now func() time.Time) *leaseGate {
	return &leaseGate{fence: fence, holding: holding, now: now}
}

// check returns nil when this replica may send a request now: the elector
// has not said the lease is lost, and storage showed the term's generation
// less than leaseRecheck ago (or does now). Otherwise it returns why not:
// errLeaseLost or checkpoint.ErrFenced (the lease is gone), or the storage
// failure that left the lease unconfirmed (nothing is sent meanwhile;
// nothing could be recorded either).
func (g *leaseGate) check(ctx context.Context) error {
	if g == nil {
		return nil
	}
	if !g.holding() {
		return errLeaseLost
	}
	for {
		g.mu.Lock()
		if g.lost != nil {
			g.mu.Unlock()
			return g.lost
		}
		if !g.confirmed.IsZero() && elapsed(g.confirmed, g.now()) < leaseRecheck {
			g.mu.Unlock()
			return nil
		}
		r := g.reading
		if r == nil {
			r = &leaseReading{done: make(chan struct{})}
			g.reading = r
			go g.read(ctx, r, g.now())
		}
		g.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			return fmt.Errorf("cannot confirm that this replica still holds the lease, so no request is sent: %w", ctx.Err())
		}
		switch {
		case r.err == nil:
			return nil
		case errors.Is(r.err, checkpoint.ErrFenced):
			return g.lost
		case ctx.Err() == nil && (errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded)):
			// The read ran on the context of a check that was cancelled
			// meanwhile; this one's is alive: read again.
			continue
		}
		return fmt.Errorf("cannot confirm that this replica still holds the lease, so no request is sent (retried on the next poll): %w", r.err)
	}
}

// read reads the leader's generation from storage for the checks waiting
// on r, on the context of the check that started it (so a read ends when
// its caller's context does, and no read outlives every caller's), and
// records what it showed: now, the time before the read, is the
// conservative time of a confirmation.
func (g *leaseGate) read(ctx context.Context, r *leaseReading, now time.Time) {
	err := g.fence.Check(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err == nil:
		g.confirmed = now
	case errors.Is(err, checkpoint.ErrFenced):
		g.lost = fmt.Errorf("%w; no request is sent", err)
	}
	r.err = err
	g.reading = nil
	close(r.done)
}

// elapsed is the time from since to now by the monotonic clock and by the
// wall clock, whichever says more: a pause shows in both on Linux, but a
// frozen virtual machine may only show in the wall clock.
func elapsed(since, now time.Time) time.Duration {
	return max(now.Sub(since), now.Round(0).Sub(since.Round(0)))
}

// gatedBudget checks the lease before a request is admitted and again once
// the budget let it through (its wait may be long: a Retry-After). It is
// where the request loop learns the lease is gone: Budget.Wait's error
// ends the request without counting it as sent.
type gatedBudget struct {
	fetch.Budget
	gate *leaseGate
}

func (b gatedBudget) Wait(ctx context.Context) (time.Duration, error) {
	if err := b.gate.check(ctx); err != nil {
		return 0, err
	}
	waited, err := b.Budget.Wait(ctx)
	if err != nil {
		return waited, err
	}
	return waited, b.gate.check(ctx)
}

// gatedTransport checks the lease right before the request leaves, under
// the bearer transport and in the token endpoint's client: the last line,
// for a pause between the budget's check and the send, and for requests
// that do not pass a budget (token requests).
type gatedTransport struct {
	base http.RoundTripper
	gate *leaseGate
}

func (t gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.gate.check(req.Context()); err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // RoundTrip must close the body, even on error
		}
		// A lease that is gone ends the request loop: retrying cannot
		// help. A lease that cannot be confirmed (a storage outage, a
		// cancelled poll) heals by itself, and is no operator's error:
		// the budget's check before the next attempt ends the loop if it
		// lasts.
		kind := msgtrace.KindTransient
		if leaseGone(err) {
			kind = msgtrace.KindPermission
		}
		return nil, &msgtrace.APIError{Kind: kind, Message: "request not sent: this replica may not hold the lease", Err: err}
	}
	return t.base.RoundTrip(req)
}

// client is c with every request gated (c itself when there is no gate).
func (g *leaseGate) client(c *http.Client) *http.Client {
	if g == nil || c == nil {
		return c
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	gated := *c
	gated.Transport = gatedTransport{base: base, gate: g}
	return &gated
}

// budget is b with every admission gated.
func (g *leaseGate) budget(b fetch.Budget) fetch.Budget {
	if g == nil {
		return b
	}
	return gatedBudget{Budget: b, gate: g}
}
