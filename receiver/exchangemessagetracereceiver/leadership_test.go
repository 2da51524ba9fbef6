//go:build integration

package exchangemessagetracereceiver

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
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
