package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

// countingStorage counts the reads of the leader's generation and fails
// them while down is set.
type countingStorage struct {
	storage.Client
	reads atomic.Int64
	down  atomic.Bool
}

func (c *countingStorage) Get(ctx context.Context, key string) ([]byte, error) {
	c.reads.Add(1)
	if c.down.Load() {
		return nil, errors.New("connection refused")
	}
	return c.Client.Get(ctx, key)
}

// The gate's steps on a clock the test moves: a confirmation is reused
// within leaseRecheck; a jump of the clock (a pause) makes the next request
// ask the storage, which shows the newer leader, and the gate refuses for
// good; the elector's word refuses at once; a storage failure refuses
// without ending the term.
func TestLeaseGateRefusesAfterAPausePastTheLease(t *testing.T) {
	ctx := context.Background()
	store := &countingStorage{Client: newMemStorage()}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var holding atomic.Bool
	holding.Store(true)

	fenceA, err := checkpoint.TakeLead(ctx, store, "a", now)
	require.NoError(t, err)
	gate := newLeaseGate(fenceA, holding.Load, clock)

	type step struct {
		name      string
		do        func()
		advance   time.Duration
		wantErr   error // nil: allowed; errAny: refused, not for good
		wantReads int64 // storage reads by this step
	}
	errAny := errors.New("any")
	steps := []step{
		{name: "first request reads storage", wantReads: 1},
		{name: "within the recheck: no read", advance: leaseRecheck / 2},
		{name: "recheck due: read again", advance: leaseRecheck, wantReads: 1},
		{name: "storage down: refused, term goes on", advance: leaseRecheck, do: func() { store.down.Store(true) }, wantErr: errAny, wantReads: 1},
		{name: "storage back", do: func() { store.down.Store(false) }, wantReads: 1},
		{name: "B takes over; A not paused yet: the elector would tell it", advance: time.Millisecond, do: func() {
			_, err := checkpoint.TakeLead(ctx, store, "b", now)
			require.NoError(t, err)
		}},
		{name: "A wakes from a pause past the lease", advance: 10 * time.Second, wantErr: checkpoint.ErrFenced, wantReads: 1},
		{name: "refused for good, no read", advance: time.Millisecond, wantErr: checkpoint.ErrFenced},
		{name: "the elector's word", do: func() { holding.Store(false) }, wantErr: errLeaseLost},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if s.do != nil {
			s.do()
		}
		before := store.reads.Load()
		err := gate.check(ctx)
		switch {
		case s.wantErr == nil:
			assert.NoError(t, err, s.name)
		case s.wantErr == errAny:
			assert.Error(t, err, s.name)
			assert.False(t, leaseGone(err), "%s: %v", s.name, err)
		default:
			assert.ErrorIs(t, err, s.wantErr, s.name)
			assert.True(t, leaseGone(err), s.name)
		}
		assert.Equal(t, s.wantReads, store.reads.Load()-before, "%s: storage reads", s.name)
	}
}

// Once the gate refuses, neither the budget nor the transport lets a
// request out: the server sees none, and the budget counts none as sent.
func TestLeaseGateStopsRequestsAtTheBudgetAndTheTransport(t *testing.T) {
	ctx := context.Background()
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served.Add(1) }))
	defer srv.Close()

	store := newMemStorage()
	now := time.Now()
	fenceA, err := checkpoint.TakeLead(ctx, store, "a", now)
	require.NoError(t, err)
	gate := newLeaseGate(fenceA, func() bool { return true }, func() time.Time { return now })

	client := gate.client(srv.Client())
	budget := throttle.New(100)
	gated := gate.budget(budget)
	get := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	_, err = gated.Wait(ctx)
	require.NoError(t, err)
	require.NoError(t, get())
	require.EqualValues(t, 1, served.Load())

	_, err = checkpoint.TakeLead(ctx, store, "b", now)
	require.NoError(t, err)
	now = now.Add(10 * time.Second) // the pause
	_, err = gated.Wait(ctx)
	assert.ErrorIs(t, err, checkpoint.ErrFenced)
	err = get()
	assert.ErrorIs(t, err, checkpoint.ErrFenced)
	assert.EqualValues(t, 1, served.Load(), "requests that reached the server")
	sent, _ := budget.Snapshot()
	assert.Len(t, sent, 1, "sends the budget counted")
}

// BenchmarkLeaseGate: what a request pays for the check, with the
// confirmation fresh (almost every request) and when it reads storage
// (at most once per leaseRecheck per receiver; memory storage here, so
// the figure is the gate's own cost, not PostgreSQL's round trip).
func BenchmarkLeaseGate(b *testing.B) {
	ctx := context.Background()
	store := newMemStorage()
	now := time.Now()
	fence, err := checkpoint.TakeLead(ctx, store, "a", now)
	require.NoError(b, err)
	for _, bc := range []struct {
		name string
		step time.Duration
	}{{"fresh", 0}, {"reads storage", leaseRecheck}} {
		b.Run(bc.name, func(b *testing.B) {
			at := now
			gate := newLeaseGate(fence, func() bool { return true }, func() time.Time { return at })
			b.ReportAllocs()
			for b.Loop() {
				at = at.Add(bc.step)
				if err := gate.check(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// blockingStorage holds every read of the leader's generation until
// release is closed (a hung storage: a frozen NFS mount, a PostgreSQL
// server that stopped answering), ignoring the context as bbolt does.
type blockingStorage struct {
	storage.Client
	armed   atomic.Bool   // reads hang only once set
	reading chan struct{} // gets a value when a read starts
	release chan struct{}
}

func (b *blockingStorage) Get(ctx context.Context, key string) ([]byte, error) {
	if b.armed.Load() {
		b.reading <- struct{}{}
		<-b.release
	}
	return b.Client.Get(ctx, key)
}

// A check whose storage read hangs must not hold up the checks of other
// tenants' polls: a cancelled one returns at once (a shutdown waits for
// the polls), and all share the one read in flight.
func TestLeaseGateDoesNotWaitForAHungReadWhenCancelled(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	hung := &blockingStorage{Client: newMemStorage(), reading: make(chan struct{}, 4), release: make(chan struct{})}
	fence, err := checkpoint.TakeLead(ctx, hung, "a", now)
	require.NoError(t, err)
	hung.armed.Store(true)
	gate := newLeaseGate(fence, func() bool { return true }, func() time.Time { return now })

	first := make(chan error, 1)
	go func() { first <- gate.check(context.Background()) }() // a caller on a detached context
	<-hung.reading

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	second := make(chan error, 1)
	go func() { second <- gate.check(cancelled) }()
	select {
	case err := <-second:
		require.ErrorIs(t, err, context.Canceled)
		assert.False(t, leaseGone(err), "a cancelled check says nothing about the lease")
	case <-time.After(10 * time.Second): // a liveness bound, not a timing: the check returns at once
		t.Fatal("a cancelled check waited for another check's hung storage read")
	}

	waiting := make(chan error, 1)
	go func() { waiting <- gate.check(ctx) }() // shares the read in flight
	close(hung.release)
	require.NoError(t, <-first)
	require.NoError(t, <-waiting)
	assert.Empty(t, hung.reading, "one storage read for all the checks")
}

// A lease that cannot be confirmed (storage down) is a transient failure,
// not one for the operator; only a lease that is gone ends the requests
// as the operator's kind of error.
func TestGatedTransportErrorKinds(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	store := &countingStorage{Client: newMemStorage()}
	now := time.Now()
	fence, err := checkpoint.TakeLead(ctx, store, "a", now)
	require.NoError(t, err)
	gate := newLeaseGate(fence, func() bool { return true }, func() time.Time { return now })
	client := gate.client(srv.Client())
	get := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}

	store.down.Store(true)
	err = get()
	require.Error(t, err)
	kind, ok := msgtrace.KindOf(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, msgtrace.KindTransient, kind, "storage down: %v", err)
	assert.False(t, isOperatorError(err))

	store.down.Store(false)
	_, err = checkpoint.TakeLead(ctx, store, "b", now)
	require.NoError(t, err)
	err = get()
	assert.ErrorIs(t, err, checkpoint.ErrFenced)
	kind, _ = msgtrace.KindOf(err)
	assert.Equal(t, msgtrace.KindPermission, kind, "lease gone: %v", err)
}
