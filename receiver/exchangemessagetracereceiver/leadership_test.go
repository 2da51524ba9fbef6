//go:build integration

package exchangemessagetracereceiver

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// fakeElector stands in for the k8s_leader_elector extension in-process
// (the e2e tests run the real one against a Lease API): the test says who
// holds the lease, including two at once (a replica paused past its lease
// that has not noticed yet).
type fakeElector struct {
	component.StartFunc
	component.ShutdownFunc
	mu            sync.Mutex
	onStart       func(context.Context)
	onStop        func()
	leading       bool
	callbacksDone chan struct{}
}

func newFakeElector() *fakeElector { return &fakeElector{callbacksDone: make(chan struct{})} }

func (e *fakeElector) SetCallBackFuncs(onStart func(context.Context), onStop func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onStart, e.onStop = onStart, onStop
	close(e.callbacksDone)
}

func (e *fakeElector) gain() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.leading = true
	e.onStart(context.Background())
}

func (e *fakeElector) lose() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.leading = false
	e.onStop()
}

// sharedStorage is one storage every replica's receiver reaches, as
// db_storage on one PostgreSQL is.
type sharedStorage struct {
	component.StartFunc
	component.ShutdownFunc
	client storage.Client
}

type unclosable struct{ storage.Client }

func (unclosable) Close(context.Context) error { return nil }

func (s *sharedStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return unclosable{s.client}, nil
}

func TestLeaseGatesCollectionAndFencesAStaleReplica(t *testing.T) {
	sim := startSimulator(t, fixedTenant(3000, 2))
	truth := truthKeys(sim.Truth(time.Now().Add(-3*24*time.Hour), time.Now()))

	store := &sharedStorage{client: newMemStorage()}
	storageID, electorID := component.MustNewID("db_storage"), component.MustNewID("k8s_leader_elector")
	cfg := simConfig(sim)
	cfg.StorageID, cfg.LeaderElectorID = &storageID, &electorID
	cfg.InitialLookback = 2*24*time.Hour + time.Hour
	cfg.MaxWindow = time.Hour
	cfg.PageSize = 100

	type replica struct {
		elector *fakeElector
		sink    *consumertest.LogsSink
		rcv     *messageTraceReceiver
	}
	start := func() *replica {
		rp := &replica{elector: newFakeElector(), sink: new(consumertest.LogsSink)}
		host := newTestHost()
		host.extensions[storageID] = store
		host.extensions[electorID] = rp.elector
		rp.rcv, _ = startReceiver(t, cfg, rp.sink, host)
		<-rp.elector.callbacksDone
		return rp
	}
	a, b := start(), start()

	time.Sleep(1500 * time.Millisecond)
	assert.Zero(t, a.sink.LogRecordCount()+b.sink.LogRecordCount(), "nobody collects without the lease")
	assert.Zero(t, sim.Counters().Requests["graph"][200], "nobody polls without the lease")

	a.elector.gain()
	require.Eventually(t, func() bool { return a.sink.LogRecordCount() > 1000 }, 30*time.Second, 20*time.Millisecond)
	assert.Zero(t, b.sink.LogRecordCount(), "the standby does not collect")

	// A is paused past its lease and has not noticed: B gains it. A's next
	// write meets B's generation, and A stops without recording anything.
	b.elector.gain()
	require.Eventually(t, func() bool { return a.rcv.currentTenants() == nil }, 30*time.Second, 10*time.Millisecond, "the stale replica stops")
	stale := a.sink.LogRecordCount()
	require.Eventually(t, func() bool { return len(unique(a.sink, b.sink)) >= len(truth) }, 60*time.Second, 50*time.Millisecond)
	assert.Equal(t, stale, a.sink.LogRecordCount(), "the stale replica delivers nothing more")

	// B hands over to A again: A resumes at B's cursor, repeating nothing
	// beyond the page B may have had in flight.
	b.elector.lose()
	a.elector.gain()
	time.Sleep(2 * time.Second)
	missing, duplicated := compare(truth, append(rowKeys(a.sink.AllLogs()), rowKeys(b.sink.AllLogs())...))
	assert.Zero(t, missing, "rows missing")
	// Each takeover repeats at most the page in flight at most once per page
	// of the stale or abandoned replica.
	assert.LessOrEqual(t, duplicated, 2*cfg.PageSize, "rows repeated")
	t.Logf("rows %d, stale replica's %d, repeated %d", len(truth), stale, duplicated)
}

// unique is the set of row keys the sinks received together.
func unique(sinks ...*consumertest.LogsSink) map[string]bool {
	seen := map[string]bool{}
	for _, s := range sinks {
		for _, k := range rowKeys(s.AllLogs()) {
			seen[k] = true
		}
	}
	return seen
}

// jumpClock is the wall clock plus an offset the test moves: a process
// frozen past its lease wakes to find both clocks far ahead.
type jumpClock struct{ offset atomic.Int64 }

func (c *jumpClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *jumpClock) After(d time.Duration) (<-chan time.Time, func()) {
	return schedule.WallClock{}.After(d)
}

func (c *jumpClock) jump(d time.Duration) { c.offset.Add(int64(d)) }

// A leader frozen past its lease wakes with a retry timer due while the
// other replica holds the lease (and its generation is in storage), and its
// elector has not said anything yet: it sends no request at all.
func TestAWokenStaleLeaderSendsNoRequest(t *testing.T) {
	sim := startSimulator(t, fixedTenant(3000, 2))
	store := &sharedStorage{client: newMemStorage()}
	storageID, electorID := component.MustNewID("db_storage"), component.MustNewID("k8s_leader_elector")

	type replica struct {
		elector *fakeElector
		sink    *consumertest.LogsSink
		rcv     *messageTraceReceiver
		clock   *jumpClock
	}
	start := func(name string) *replica {
		cfg := simConfig(sim)
		cfg.StorageID, cfg.LeaderElectorID = &storageID, &electorID
		cfg.InitialLookback = 2 * 24 * time.Hour
		cfg.MaxWindow = time.Hour
		cfg.PageSize = 100
		// A request that keeps failing keeps being retried: the timer that
		// comes due while the replica is frozen.
		cfg.RetryOnFailure.MaxElapsedTime = time.Minute
		cfg.Headers = configopaque.MapList{{Name: simulator.ClientHeader, Value: configopaque.String(name)}}
		rp := &replica{elector: newFakeElector(), sink: new(consumertest.LogsSink), clock: &jumpClock{}}
		host := newTestHost()
		host.extensions[storageID] = store
		host.extensions[electorID] = rp.elector
		rp.rcv, _ = newTestReceiver(t, cfg, rp.sink, nil)
		rp.rcv.clock = rp.clock
		startTestReceiver(t, rp.rcv, host)
		<-rp.elector.callbacksDone
		return rp
	}
	sentBy := func(client string, since time.Time) int {
		n := 0
		for _, r := range sim.RequestsSince(since) {
			if r.Client == client {
				n++
			}
		}
		return n
	}
	a, b := start("a"), start("b")
	a.elector.gain()
	require.Eventually(t, func() bool { return a.sink.LogRecordCount() > 300 }, 30*time.Second, 10*time.Millisecond)

	// Every request fails now: A's retry timers keep coming due.
	sim.SetFaults(simulator.Faults{Unavailable: 1})
	faultsAt := time.Now()
	require.Eventually(t, func() bool { return sentBy("a", faultsAt) >= 2 }, 10*time.Second, 10*time.Millisecond, "A retries")

	// A is frozen past its lease and has not noticed: B takes over and
	// records its generation. Then A wakes: its clocks jumped.
	b.elector.gain()
	require.Eventually(t, func() bool { return b.rcv.currentTenants() != nil }, 10*time.Second, 10*time.Millisecond, "B leads")
	a.clock.jump(10 * time.Second)
	time.Sleep(time.Second) // a request A sent before it froze lands, even on a loaded machine
	woke := time.Now()
	assert.Eventually(t, func() bool { return a.rcv.currentTenants() == nil }, 5*time.Second, 10*time.Millisecond, "the woken replica stops")
	time.Sleep(time.Second) // its retry timers (every 50-200ms) would have fired
	staleRequests := sentBy("a", woke)
	t.Logf("requests by the woken replica while B leads: %d (B: %d)", staleRequests, sentBy("b", woke))
	assert.Zero(t, staleRequests, "the woken replica sent requests while the other held the lease")

	// B collects everything once the API answers again.
	sim.SetFaults(simulator.Faults{})
	b.elector.lose()
}
