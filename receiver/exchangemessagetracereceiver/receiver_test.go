package exchangemessagetracereceiver

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// testHost is a collector host with extensions that records status events.
type testHost struct {
	component.Host
	extensions map[component.ID]component.Component
	mu         sync.Mutex
	events     []*componentstatus.Event
}

func newTestHost() *testHost {
	return &testHost{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{}}
}

func (h *testHost) GetExtensions() map[component.ID]component.Component { return h.extensions }

func (h *testHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *testHost) lastEvent() *componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == 0 {
		return nil
	}
	return h.events[len(h.events)-1]
}

// withFileStorage adds the real file_storage extension on dir to the host.
func (h *testHost) withFileStorage(t *testing.T, dir string) *component.ID {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, ext.Shutdown(context.Background())) })
	id := component.NewID(f.Type())
	h.extensions[id] = ext
	return &id
}

// startSimulator runs the simulated Microsoft APIs on loopback.
func startSimulator(t *testing.T, cfg simulator.Config) *simulator.Simulator {
	t.Helper()
	sim, err := simulator.Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

// simConfig is a receiver config pointed at sim over HTTPS, with a fast
// poll and no delay, settling off.
func simConfig(sim *simulator.Simulator) *Config {
	cfg := createDefaultConfig().(*Config)
	sc := sim.Config()
	cfg.TenantID, cfg.ClientID, cfg.ClientSecret = sc.TenantID, sc.ClientID, "sim-client-secret"
	cfg.AuthorityHost = sim.HTTPSURL
	cfg.Endpoint = sim.HTTPSURL + "/v1.0"
	cfg.TLS.CAFile = sim.CAFile
	cfg.PollInterval = time.Second
	cfg.Delay = 0
	cfg.Settle = 0
	cfg.MaxRequestsPer5m = 0
	cfg.RetryOnFailure.InitialInterval = 50 * time.Millisecond
	cfg.RetryOnFailure.MaxInterval = 200 * time.Millisecond
	cfg.RetryOnFailure.MaxElapsedTime = 2 * time.Second
	return cfg
}

// startReceiver creates and starts a receiver with a debug-level log observer.
func startReceiver(t *testing.T, cfg *Config, next consumer.Logs, host *testHost) (*messageTraceReceiver, *observer.ObservedLogs) {
	t.Helper()
	return startReceiverWithTelemetry(t, cfg, next, host, nil)
}

// startReceiverWithTelemetry also records the receiver's own metrics in tel.
func startReceiverWithTelemetry(t *testing.T, cfg *Config, next consumer.Logs, host *testHost, tel *componenttest.Telemetry) (*messageTraceReceiver, *observer.ObservedLogs) {
	t.Helper()
	rcv, logs := newTestReceiver(t, cfg, next, tel)
	startTestReceiver(t, rcv, host)
	return rcv, logs
}

// newTestReceiver creates a receiver through the factory, not started, with
// a debug-level log observer and, when tel is set, its metrics in tel.
func newTestReceiver(t *testing.T, cfg *Config, next consumer.Logs, tel *componenttest.Telemetry) (*messageTraceReceiver, *observer.ObservedLogs) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zapcore.DebugLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	if tel != nil {
		set.TelemetrySettings = tel.NewTelemetrySettings()
	}
	// A fixed ID: the storage extension keys its files by the receiver's ID,
	// and a restarted receiver must find its own.
	set.ID = component.NewID(metadata.Type)
	set.Logger = zap.New(core)
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	return rcv.(*messageTraceReceiver), logs
}

// startTestReceiver starts rcv and shuts it down when the test ends.
func startTestReceiver(t *testing.T, rcv *messageTraceReceiver, host *testHost) {
	t.Helper()
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { assert.NoError(t, rcv.Shutdown(context.Background())) })
}

// rowKeys lists the (id, recipient, status) of every record, from the body
// map, keyed as simulator.StatusKey (the receiver's own case rule).
func rowKeys(logs []plog.Logs) []string {
	var keys []string
	for _, ld := range logs {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					body := lrs.At(k).Body().Map()
					id, _ := body.Get("id")
					rcpt, _ := body.Get("recipientAddress")
					st, _ := body.Get("status")
					keys = append(keys, simulator.NewStatusKey(id.Str(), rcpt.Str(), st.Str()).String())
				}
			}
		}
	}
	return keys
}

func truthKeys(rows []simulator.Row) map[string]bool {
	keys := make(map[string]bool, len(rows))
	for _, r := range rows {
		keys[r.StatusKey().String()] = true
	}
	return keys
}

// compare reports rows missing from and repeated in what was emitted.
func compare(truth map[string]bool, got []string) (missing, duplicated int) {
	seen := make(map[string]int, len(got))
	for _, k := range got {
		seen[k]++
	}
	for k := range truth {
		if seen[k] == 0 {
			missing++
		}
	}
	for _, n := range seen {
		if n > 1 {
			duplicated += n - 1
		}
	}
	return missing, duplicated
}

// fixedTenant is a tenant whose rows all exist already: rows over `days`,
// ending an hour ago, no late rows and no status changes.
func fixedTenant(rowsPerDay float64, days int) simulator.Config {
	now := time.Now()
	return simulator.Config{
		Seed: 7,
		Model: simulator.ModelConfig{
			RowsPerDay: rowsPerDay, From: now.Add(-time.Duration(days) * 24 * time.Hour), To: now.Add(-time.Hour),
			DelayedFraction: -1, ChangingFraction: -1,
		},
		RateLimit: -1,
	}
}

func TestCollectsFifteenDaysExactlyOnce(t *testing.T) {
	sim := startSimulator(t, fixedTenant(1500, 15))
	truth := truthKeys(sim.Truth(time.Now().Add(-16*24*time.Hour), time.Now()))
	require.Greater(t, len(truth), 15000)

	cfg := simConfig(sim)
	cfg.InitialLookback = 15*24*time.Hour + time.Hour
	cfg.MaxWindow = graphMaxWindow
	cfg.PageSize = 1000
	sink := new(consumertest.LogsSink)
	host := newTestHost()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	_, logs, tick := startManualReceiver(t, cfg, sink, host, tel)

	tick.pollUntil(t, func() bool { return sink.LogRecordCount() >= len(truth) }, 3)
	tick.poll(t) // one more poll: nothing new may come
	missing, duplicated := compare(truth, rowKeys(sink.AllLogs()))
	assert.Zero(t, missing, "rows missing")
	assert.Zero(t, duplicated, "rows duplicated")
	assert.Equal(t, len(truth), sink.LogRecordCount())

	c := sim.Counters()
	assert.Zero(t, c.Requests["graph"][400], "every query within the API's limits (10-day windows, 90-day retention)")
	assert.GreaterOrEqual(t, c.Requests["graph"][200], int64(len(truth)/1000), "all pages followed")
	assert.Equal(t, componentstatus.StatusOK, host.lastEvent().Status())

	// The receiver's own telemetry tells the same story.
	assert.Equal(t, int64(len(truth)), sumMetric(t, tel, "otelcol_receiver_exchange_message_trace_rows_emitted"))
	assert.Equal(t, c.Requests["graph"][200], sumMetric(t, tel, "otelcol_receiver_exchange_message_trace_requests"))
	lag, err := tel.GetMetric("otelcol_receiver_exchange_message_trace_cursor_lag")
	require.NoError(t, err)
	assert.NotEmpty(t, lag.Data.(metricdata.Gauge[float64]).DataPoints)
	assertNoSecrets(t, logs, "sim-client-secret")
}

// sumMetric adds up every data point of an int64 counter.
func sumMetric(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err)
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	return total
}

// failOnCall fails the n-th ConsumeLogs call once, then accepts everything.
type failOnCall struct {
	consumertest.LogsSink
	n     int32
	calls atomic.Int32
}

func (f *failOnCall) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if f.calls.Add(1) == f.n {
		return fmt.Errorf("exporter unavailable")
	}
	return f.LogsSink.ConsumeLogs(ctx, ld)
}

func TestConsumerFailureOnPageNLosesAndRepeatsNothing(t *testing.T) {
	sim := startSimulator(t, fixedTenant(5000, 2))
	truth := truthKeys(sim.Truth(time.Now().Add(-3*24*time.Hour), time.Now()))

	cfg := simConfig(sim)
	cfg.InitialLookback = 3 * 24 * time.Hour
	cfg.PageSize = 500
	next := &failOnCall{n: 4}
	host := newTestHost()
	_, logs, tick := startManualReceiver(t, cfg, next, host, nil)

	// The failure ends the first poll; the next one resumes at the refused page.
	tick.pollUntil(t, func() bool { return next.LogRecordCount() >= len(truth) }, 3)
	tick.poll(t) // one more poll: nothing new may come
	assertNoSecrets(t, logs, "sim-client-secret")
	missing, duplicated := compare(truth, rowKeys(next.AllLogs()))
	assert.Zero(t, missing)
	assert.Zero(t, duplicated, "pages delivered before the failure are not sent again")
	assert.GreaterOrEqual(t, next.calls.Load(), int32(5))
}

// stopAfter accepts pages until `pages` were accepted, then refuses all,
// like a collector that dies mid-range.
type stopAfter struct {
	consumertest.LogsSink
	pages atomic.Int32
	limit int32
}

func (s *stopAfter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if s.pages.Load() >= s.limit {
		return fmt.Errorf("collector stopping")
	}
	s.pages.Add(1)
	return s.LogsSink.ConsumeLogs(ctx, ld)
}

func TestRestartMidRangeResumesFromFileStorage(t *testing.T) {
	sim := startSimulator(t, fixedTenant(20000, 1))
	truth := truthKeys(sim.Truth(time.Now().Add(-2*24*time.Hour), time.Now()))
	dir := t.TempDir()

	cfg := simConfig(sim)
	cfg.InitialLookback = 2 * 24 * time.Hour
	cfg.MaxWindow = 48 * time.Hour // one range: the restart lands mid-range
	cfg.PageSize = 1000

	first := &stopAfter{limit: 5}
	host1 := newTestHost()
	cfg.StorageID = host1.withFileStorage(t, dir)
	rcv1, _ := startReceiver(t, cfg, first, host1)
	require.Eventually(t, func() bool { return first.pages.Load() >= 5 }, 30*time.Second, 20*time.Millisecond)
	require.NoError(t, rcv1.Shutdown(context.Background()))
	before := sim.Counters().RowsServed["graph"]

	second := new(consumertest.LogsSink)
	host2 := newTestHost()
	cfg2 := *cfg
	cfg2.StorageID = host2.withFileStorage(t, dir)
	_, logs, tick := startManualReceiver(t, &cfg2, second, host2, nil)
	tick.pollUntil(t, func() bool { return first.LogRecordCount()+second.LogRecordCount() >= len(truth) }, 3)
	tick.poll(t) // one more poll: nothing new may come
	assertNoSecrets(t, logs, "sim-client-secret")

	all := append(rowKeys(first.AllLogs()), rowKeys(second.AllLogs())...)
	missing, duplicated := compare(truth, all)
	assert.Zero(t, missing)
	assert.LessOrEqual(t, duplicated, cfg.PageSize, "at most the page in flight repeats")
	t.Logf("restart: %d rows, %d duplicated, %d rows served before the restart", len(truth), duplicated, before)
	// Resumed from the saved next-page link: the 5 accepted pages were not
	// fetched again (polls after the range serve no rows: the tenant ended
	// an hour ago).
	after := sim.Counters().RowsServed["graph"] - before
	assert.LessOrEqual(t, after, int64(len(truth)-5*cfg.PageSize+cfg.PageSize))
}

func TestDefaultBudgetNeverExceedsTenantLimit(t *testing.T) {
	tenant := fixedTenant(30000, 1)
	tenant.RateLimit = 100 // Microsoft's limit, per rolling 5 minutes
	sim := startSimulator(t, tenant)

	cfg := simConfig(sim)
	cfg.MaxRequestsPer5m = createDefaultConfig().(*Config).MaxRequestsPer5m
	cfg.TenantID = sim.Config().TenantID
	cfg.PageSize = 100 // ~300 pages: more than one window's budget
	cfg.InitialLookback = 2 * 24 * time.Hour
	sink := new(consumertest.LogsSink)
	startReceiver(t, cfg, sink, newTestHost())

	require.Eventually(t, func() bool { return sim.Counters().APIRequests >= int64(cfg.MaxRequestsPer5m) }, 60*time.Second, 50*time.Millisecond)
	time.Sleep(2 * time.Second) // the budget is spent: the receiver must now wait, not send
	c := sim.Counters()
	assert.Equal(t, int64(cfg.MaxRequestsPer5m), c.APIRequests, "stops at its own budget")
	assert.LessOrEqual(t, c.MaxAPIRequestsInWindow, 100)
	assert.Zero(t, c.Throttled, "never throttled by Microsoft")
}

func TestRetryAfterPausesInFull(t *testing.T) {
	tenant := fixedTenant(200, 1)
	tenant.Faults = simulator.Faults{Throttle: 1, RetryAfterSeconds: 7}
	sim := startSimulator(t, tenant)

	cfg := simConfig(sim)
	cfg.InitialLookback = 2 * 24 * time.Hour
	sink := new(consumertest.LogsSink)
	startReceiver(t, cfg, sink, newTestHost())

	require.Eventually(t, func() bool { return sim.Counters().Throttled >= 1 }, 20*time.Second, 5*time.Millisecond)
	throttledAt := time.Now()
	sim.SetFaults(simulator.Faults{})
	require.Eventually(t, func() bool { return sink.LogRecordCount() > 0 }, 30*time.Second, 5*time.Millisecond)
	paused := time.Since(throttledAt)
	assert.GreaterOrEqual(t, paused, 6900*time.Millisecond, "Retry-After: 7 pauses 7 s, not less")
	assert.Less(t, paused, 12*time.Second)
	assert.Equal(t, int64(1), sim.Counters().Throttled, "no request during the pause")
}

func TestErrorsTellTheOperatorWhatToDo(t *testing.T) {
	tests := []struct {
		name   string
		faults simulator.Faults
		mutate func(*Config)
		want   []string
	}{
		{
			name:   "service principal missing",
			faults: simulator.Faults{ServicePrincipalMissing: true},
			want:   []string{"8bd644d1-64a1-4d4b-ae52-2e0cbf64e373", "New-MgServicePrincipal"},
		},
		{
			name:   "permission missing",
			faults: simulator.Faults{PermissionMissing: true},
			want:   []string{"ExchangeMessageTrace.Read.All", "admin consent"},
		},
		{
			name:   "wrong client secret",
			mutate: func(c *Config) { c.ClientSecret = "not-the-secret" },
			want:   []string{"7000215"},
		},
		{
			name:   "tenant not found",
			mutate: func(c *Config) { c.TenantID = "99999999-9999-9999-9999-999999999999" },
			want:   []string{"90002"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant := fixedTenant(100, 1)
			tenant.Faults = tt.faults
			sim := startSimulator(t, tenant)
			cfg := simConfig(sim)
			if tt.mutate != nil {
				tt.mutate(cfg)
			}
			host := newTestHost()
			sink := new(consumertest.LogsSink)
			_, logs, tick := startManualReceiver(t, cfg, sink, host, nil)
			tick.waitIdle(t) // the first poll reported its failure
			ev := host.lastEvent()
			require.NotNil(t, ev)
			require.Equal(t, componentstatus.StatusRecoverableError, ev.Status())
			msg := ev.Err().Error()
			for _, w := range tt.want {
				assert.Contains(t, msg, w)
			}
			assertNoSecrets(t, logs, string(cfg.ClientSecret), "sim-client-secret")
			assert.Zero(t, sink.LogRecordCount())

			if tt.mutate == nil { // the fault heals: status returns to OK
				sim.SetFaults(simulator.Faults{})
				tick.poll(t)
				assert.Equal(t, componentstatus.StatusOK, host.lastEvent().Status())
			}
		})
	}
}

// jwtShape matches an access token: a JWT's header and payload, both
// base64url JSON. A Graph $skiptoken is base64 JSON too ("eyJ..."), but one
// segment only, and a next link in the log is no secret.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// assertNoSecrets scans every log entry and field for secrets and tokens.
func assertNoSecrets(t *testing.T, logs *observer.ObservedLogs, secrets ...string) {
	t.Helper()
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += fmt.Sprintf(" %s=%v", k, v)
		}
		for _, s := range secrets {
			assert.NotContains(t, line, s, "a secret in the log")
		}
		assert.NotRegexp(t, jwtShape, line, "an access token in the log")
		assert.NotContains(t, line, "Bearer ", "an authorization header in the log")
	}
}
