package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadatatest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/window"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// The poller's tests run it against a scripted Source, an in-memory
// storage and a fixed clock: no network, no wall-clock waits.

// pollerNow is the fixed clock of the poller tests, on the hour.
var pollerNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// memStorage is a storage.Client in memory, so a test reads back exactly
// what the poller wrote.
type memStorage struct {
	mu sync.Mutex
	kv map[string][]byte
}

func newMemStorage() *memStorage { return &memStorage{kv: map[string][]byte{}} }

func (m *memStorage) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kv[key], nil
}

func (m *memStorage) Set(ctx context.Context, key string, value []byte) error {
	return m.Batch(ctx, storage.SetOperation(key, value))
}

func (m *memStorage) Delete(ctx context.Context, key string) error {
	return m.Batch(ctx, storage.DeleteOperation(key))
}

func (m *memStorage) Batch(_ context.Context, ops ...*storage.Operation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value = m.kv[op.Key]
		case storage.Set:
			m.kv[op.Key] = append([]byte(nil), op.Value...)
		case storage.Delete:
			delete(m.kv, op.Key)
		}
	}
	return nil
}

func (m *memStorage) Close(context.Context) error { return nil }

// keyBuckets is the number of hour buckets whose emitted-row keys are stored.
func (m *memStorage) keyBuckets() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	buckets := map[string]bool{}
	for k := range m.kv {
		if _, rest, ok := strings.Cut(k, "/keys/"); ok {
			bucket, _, _ := strings.Cut(rest, "/")
			buckets[bucket] = true
		}
	}
	return len(buckets)
}

// fetchCall is one FetchPages call the poller made.
type fetchCall struct {
	r      msgtrace.Range
	resume string
}

// fakeSource answers each FetchPages call with its script, and records the calls.
type fakeSource struct {
	script func(call int, r msgtrace.Range, resume string, onPage func(*msgtrace.Page) error) error

	mu    sync.Mutex
	calls []fetchCall
	ctx   context.Context // of the last call
}

func (f *fakeSource) FetchPages(ctx context.Context, r msgtrace.Range, resume string, onPage func(*msgtrace.Page) error) error {
	f.mu.Lock()
	n := len(f.calls)
	f.calls = append(f.calls, fetchCall{r: r, resume: resume})
	f.ctx = ctx
	f.mu.Unlock()
	return f.script(n, r, resume, onPage)
}

func (f *fakeSource) API() msgtrace.API { return msgtrace.APIGraph }

func (f *fakeSource) fetches() []fetchCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fetchCall(nil), f.calls...)
}

func (f *fakeSource) lastCtx() context.Context {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ctx
}

// row is a delivered message to one recipient, received at.
func row(id string, at time.Time) msgtrace.Row {
	return msgtrace.Row{
		ID: id, MessageID: "<" + id + "@contoso.com>", Received: at, ReceivedText: at.Format(time.RFC3339),
		SenderAddress: "sender@contoso.com", RecipientAddress: "rcpt@contoso.com", Subject: id, Status: "delivered",
	}
}

func page(next string, rows ...msgtrace.Row) *msgtrace.Page {
	return &msgtrace.Page{Rows: rows, NextLink: next}
}

// badSkipToken is the API refusing its own next link.
var badSkipToken = &msgtrace.APIError{Kind: msgtrace.KindBadSkipToken, StatusCode: 400, Message: "the API refused its own nextLink"}

// pollerConfig is the default config with the clock-dependent knobs of
// the poller tests: no delay, no settling, an hour of first-run lookback.
func pollerConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.TenantID = simulator.DefaultTenantID
	cfg.Delay, cfg.Settle, cfg.InitialLookback = 0, 0, time.Hour
	return cfg
}

// testPoller is a poller wired as Start wires it, over memory.
type testPoller struct {
	*poller
	mem  *memStorage
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

func newTestPoller(t *testing.T, cfg *Config, src msgtrace.Source, next consumer.Logs) *testPoller {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	core, logs := observer.New(zapcore.DebugLevel)
	set.Logger = zap.New(core)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "https", ReceiverCreateSettings: set})
	require.NoError(t, err)
	mem := newMemStorage()
	store, err := checkpoint.Open(context.Background(), mem, checkpointPrefix(cfg))
	require.NoError(t, err)
	tenantAttr := attribute.String("microsoft.tenant.id", cfg.TenantID)
	return &testPoller{
		poller: &poller{
			cfg: cfg, source: src, store: store, pages: newPageBuilder(cfg, src.API(), nil), next: next,
			obs: obs, telemetry: tb, tenantAttr: tenantAttr, tenantOnly: metric.WithAttributes(tenantAttr), logger: set.Logger, now: func() time.Time { return pollerNow },
			deliveryCtx: context.Background(),
		},
		mem: mem, tel: tel, logs: logs,
	}
}

// stored reads back the checkpoint the poller wrote.
func (tp *testPoller) stored(t *testing.T) *checkpoint.Store {
	t.Helper()
	s, err := checkpoint.Open(context.Background(), tp.mem, checkpointPrefix(tp.cfg))
	require.NoError(t, err)
	return s
}

// placeCursors sets both cursors as a previous run left them.
func (tp *testPoller) placeCursors(live, settle checkpoint.Cursor) {
	*tp.store.Cursor(checkpoint.Live), *tp.store.Cursor(checkpoint.Settle) = live, settle
}

func (tp *testPoller) logged(msg string) []observer.LoggedEntry {
	return tp.logs.FilterMessageSnippet(msg).All()
}

var ignoreTime = metricdatatest.IgnoreTimestamp()

func emitted(pass string, n int64) []metricdata.DataPoint[int64] {
	return []metricdata.DataPoint[int64]{{Attributes: ofTenant(attribute.String("pass", pass)), Value: n}}
}

func gauge(v float64) []metricdata.DataPoint[float64] {
	return []metricdata.DataPoint[float64]{{Attributes: ofTenant(), Value: v}}
}

func TestPollerRestartsRangeOnBadSkipToken(t *testing.T) {
	start, end := pollerNow.Add(-time.Hour), pollerNow
	a1, a2, b1 := row("a1", start.Add(10*time.Minute)), row("a2", start.Add(20*time.Minute)), row("b1", start.Add(30*time.Minute))
	tests := []struct {
		name string
		// inFlight is the next link a previous run saved, if any.
		inFlight string
		script   func(call int, onPage func(*msgtrace.Page) error) error

		wantResumes  []string
		wantKind     msgtrace.ErrorKind // of the poll's error; unset: no error
		wantErr      bool
		wantCursor   checkpoint.Cursor
		emitted      int64
		deduplicated int64
		malformed    int64
		lag          float64
	}{
		{
			name: "restart delivers the rest",
			script: func(call int, onPage func(*msgtrace.Page) error) error {
				if err := onPage(page("next-1", a1, a2)); err != nil {
					return err
				}
				if call == 0 {
					return badSkipToken
				}
				p := page("", b1)
				p.Malformed, p.MalformedErrors = 1, []error{errors.New("receivedDateTime: not a time")}
				return onPage(p)
			},
			wantResumes: []string{"", ""},
			wantCursor:  checkpoint.Cursor{At: end},
			emitted:     3, deduplicated: 2, malformed: 1,
		},
		{
			name:     "a saved link refused restarts from the first page",
			inFlight: "saved-link",
			script: func(call int, onPage func(*msgtrace.Page) error) error {
				if call == 0 {
					return badSkipToken
				}
				return onPage(page("", a1, a2, b1))
			},
			wantResumes: []string{"saved-link", ""},
			wantCursor:  checkpoint.Cursor{At: end},
			emitted:     3,
		},
		{
			name: "restarts are bounded",
			script: func(_ int, onPage func(*msgtrace.Page) error) error {
				if err := onPage(page("next-1", a1, a2)); err != nil {
					return err
				}
				return badSkipToken
			},
			wantResumes: []string{"", "", "", ""}, // the first read and maxSkipTokenRestarts more
			wantErr:     true, wantKind: msgtrace.KindBadSkipToken,
			// The range stays in flight at its last delivered page.
			wantCursor: checkpoint.Cursor{At: start, Range: &checkpoint.InFlight{Start: start, End: end, NextLink: "next-1", Pages: 4}},
			emitted:    2, deduplicated: 2 * maxSkipTokenRestarts,
			lag: time.Hour.Seconds(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{script: func(call int, _ msgtrace.Range, _ string, onPage func(*msgtrace.Page) error) error {
				return tt.script(call, onPage)
			}}
			sink := new(consumertest.LogsSink)
			tp := newTestPoller(t, pollerConfig(), src, sink)
			if tt.inFlight != "" {
				tp.placeCursors(checkpoint.Cursor{At: start, Range: &checkpoint.InFlight{Start: start, End: end, NextLink: tt.inFlight, Pages: 1}},
					checkpoint.Cursor{At: start})
			}

			err := tp.poll(context.Background())
			if tt.wantErr {
				kind, ok := msgtrace.KindOf(err)
				require.True(t, ok, "%v", err)
				assert.Equal(t, tt.wantKind, kind)
			} else {
				require.NoError(t, err)
			}
			var resumes []string
			for _, c := range src.fetches() {
				assert.Equal(t, msgtrace.Range{Start: start, End: end}, c.r, "every read is of the same range")
				resumes = append(resumes, c.resume)
			}
			assert.Equal(t, tt.wantResumes, resumes)
			assert.Len(t, tp.logged("refused its own next-page link"), min(len(tt.wantResumes)-1, maxSkipTokenRestarts))
			assert.Equal(t, tt.wantCursor, tp.stored(t).State.Live)
			assert.Equal(t, int(tt.emitted), sink.LogRecordCount())

			metadatatest.AssertEqualReceiverExchangeMessageTraceRowsEmitted(t, tp.tel, emitted("live", tt.emitted), ignoreTime)
			assertCounter(t, tp.tel, "otelcol_receiver_exchange_message_trace_rows_deduplicated", tt.deduplicated,
				metadatatest.AssertEqualReceiverExchangeMessageTraceRowsDeduplicated)
			assertCounter(t, tp.tel, "otelcol_receiver_exchange_message_trace_rows_malformed", tt.malformed,
				metadatatest.AssertEqualReceiverExchangeMessageTraceRowsMalformed)
			metadatatest.AssertEqualReceiverExchangeMessageTraceCursorLag(t, tp.tel, gauge(tt.lag), ignoreTime)
			metadatatest.AssertEqualReceiverExchangeMessageTraceBacklog(t, tp.tel, gauge(tt.lag), ignoreTime)
		})
	}
}

func TestPollerClampsCursorsToRetention(t *testing.T) {
	edge := window.OldestQueryable(pollerNow).Add(time.Hour)
	tests := []struct {
		name      string
		at        time.Time
		wantStart time.Time
		wantError bool
	}{
		{name: "behind the edge", at: pollerNow.Add(-100 * 24 * time.Hour), wantStart: edge, wantError: true},
		{name: "within retention", at: edge.Add(time.Minute), wantStart: edge.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{script: func(int, msgtrace.Range, string, func(*msgtrace.Page) error) error { return nil }}
			cfg := pollerConfig()
			cfg.Settle = 24 * time.Hour
			tp := newTestPoller(t, cfg, src, new(consumertest.LogsSink))
			// An outage left a range in flight at the old cursor.
			tp.placeCursors(
				checkpoint.Cursor{At: tt.at, Range: &checkpoint.InFlight{Start: tt.at, End: tt.at.Add(24 * time.Hour), NextLink: "old-link", Pages: 3}},
				checkpoint.Cursor{At: tt.at})

			require.NoError(t, tp.poll(context.Background()))
			calls := src.fetches()
			require.NotEmpty(t, calls)
			first := calls[0]
			assert.Equal(t, tt.wantStart, first.r.Start)
			lost := tp.logged("older than the 90 days Microsoft keeps")
			if !tt.wantError {
				assert.Equal(t, "old-link", first.resume, "a range within retention resumes")
				assert.Empty(t, lost)
				return
			}
			assert.Empty(t, first.resume, "a range starting before the edge is dropped, not resumed")
			require.Len(t, lost, 2, "one error per cursor moved (live and settle)")
			for _, e := range lost {
				assert.Equal(t, zapcore.ErrorLevel, e.Level)
				assert.Equal(t, tt.at, e.ContextMap()["cursor"])
				assert.Equal(t, edge, e.ContextMap()["new_start"])
			}
			st := tp.stored(t).State
			assert.Equal(t, pollerNow, st.Live.At)
			assert.False(t, st.Settle.At.Before(edge), "the settling cursor moved to the edge too")
		})
	}
}

// A live range read when it was already `settle` old is final: the
// settling cursor follows it, so that a backfill is read once, not twice.
func TestPollerSettleCursorFollowsOldLiveRanges(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name       string
		settle     time.Duration
		wantSettle time.Time
	}{
		{name: "settle a day", settle: day, wantSettle: pollerNow.Add(-day)},
		{name: "settle two days", settle: 2 * day, wantSettle: pollerNow.Add(-2 * day)},
		{name: "settling off", settle: 0, wantSettle: pollerNow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{script: func(_ int, r msgtrace.Range, _ string, onPage func(*msgtrace.Page) error) error {
				return onPage(page("", row(fmt.Sprint("r", r.Start.Unix()), r.Start.Add(time.Hour))))
			}}
			cfg := pollerConfig()
			cfg.Settle, cfg.InitialLookback, cfg.MaxWindow = tt.settle, 3*day, day
			sink := new(consumertest.LogsSink)
			tp := newTestPoller(t, cfg, src, sink)

			require.NoError(t, tp.poll(context.Background()))
			var ranges []msgtrace.Range
			for _, c := range src.fetches() {
				ranges = append(ranges, c.r)
			}
			assert.Equal(t, []msgtrace.Range{
				{Start: pollerNow.Add(-3 * day), End: pollerNow.Add(-2 * day)},
				{Start: pollerNow.Add(-2 * day), End: pollerNow.Add(-day)},
				{Start: pollerNow.Add(-day), End: pollerNow},
			}, ranges, "the live pass only: no range is read again")
			st := tp.stored(t).State
			assert.Equal(t, pollerNow, st.Live.At)
			assert.Equal(t, tt.wantSettle, st.Settle.At)
			assert.Nil(t, st.Settle.Range)
			metadatatest.AssertEqualReceiverExchangeMessageTraceRowsEmitted(t, tp.tel, emitted("live", 3), ignoreTime)
		})
	}
}

// Keys of rows no later range can meet are dropped after every range, not
// once a poll: memory stays bounded by a range during a backfill.
func TestPollerPrunesKeysAfterEachRange(t *testing.T) {
	tests := []struct {
		name   string
		settle time.Duration
		// keys held and hour buckets stored when each range starts, and after the poll
		wantKeys, wantBuckets []int
	}{
		// A row exactly on a range's end is met again by the next range
		// (both bounds are inclusive): its hour stays, the others go.
		{name: "settling off", settle: 0, wantKeys: []int{0, 1, 1, 1}, wantBuckets: []int{0, 1, 1, 1}},
		// The settling pass has still to re-read all three ranges.
		{name: "settling on", settle: 24 * time.Hour, wantKeys: []int{0, 3, 5, 7}, wantBuckets: []int{0, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tp *testPoller
			var keys, buckets []int
			src := &fakeSource{script: func(_ int, r msgtrace.Range, _ string, onPage func(*msgtrace.Page) error) error {
				keys, buckets = append(keys, tp.store.Keys.Len()), append(buckets, tp.mem.keyBuckets())
				mid := r.Start.Add(r.End.Sub(r.Start) / 2)
				return onPage(page("", row(fmt.Sprint("s", r.Start.Unix()), r.Start), row(fmt.Sprint("m", mid.Unix()), mid),
					row(fmt.Sprint("s", r.End.Unix()), r.End)))
			}}
			cfg := pollerConfig()
			cfg.Settle, cfg.InitialLookback, cfg.MaxWindow = tt.settle, 3*time.Hour, time.Hour
			sink := new(consumertest.LogsSink)
			tp = newTestPoller(t, cfg, src, sink)

			require.NoError(t, tp.poll(context.Background()))
			require.Len(t, src.fetches(), 3)
			keys, buckets = append(keys, tp.store.Keys.Len()), append(buckets, tp.mem.keyBuckets())
			assert.Equal(t, tt.wantKeys, keys, "keys held")
			assert.Equal(t, tt.wantBuckets, buckets, "hour buckets of keys in storage")
			assert.Len(t, tp.stored(t).State.Chunks, tt.wantBuckets[3])
			// The rows on the boundaries between ranges are sent once.
			assert.Equal(t, 7, sink.LogRecordCount())
			metadatatest.AssertEqualReceiverExchangeMessageTraceRowsDeduplicated(t, tp.tel,
				[]metricdata.DataPoint[int64]{{Attributes: ofTenant(), Value: 2}}, ignoreTime)
		})
	}
}

// gatedConsumer holds every page until released or until its context ends.
type gatedConsumer struct {
	consumertest.LogsSink
	entered     chan struct{}
	enteredOnce sync.Once
	release     chan struct{}
}

func newGatedConsumer() *gatedConsumer {
	return &gatedConsumer{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	g.enteredOnce.Do(func() { close(g.entered) })
	select {
	case <-g.release:
		return g.LogsSink.ConsumeLogs(ctx, ld)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("waited 10 s for %s", what)
	}
}

// Shutdown stops fetching at once; the page already in the pipeline gets
// until the shutdown's deadline, then it is abandoned and nothing of it is
// recorded (it is read again after the restart).
func TestShutdownDeadlineDecidesThePageInFlight(t *testing.T) {
	tests := []struct {
		name     string
		timeLeft bool
	}{
		{name: "deadline passed: the page is abandoned"},
		{name: "time left: the page completes", timeLeft: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := pollerNow.Add(-time.Hour)
			src := &fakeSource{script: func(_ int, r msgtrace.Range, _ string, onPage func(*msgtrace.Page) error) error {
				return onPage(page("", row("x1", r.Start.Add(time.Minute)), row("x2", r.Start.Add(2*time.Minute))))
			}}
			cfg := pollerConfig()
			// Settling keeps the keys of the hour read (no pruning), so that
			// what storage holds is what the page recorded.
			cfg.Settle = 24 * time.Hour
			next := newGatedConsumer()
			tp := newTestPoller(t, cfg, src, next)
			rcv, err := newReceiver(metadatatest.NewSettings(tp.tel), cfg, next)
			require.NoError(t, err)
			tick := newManualTicker()
			rcv.clock = tick
			rcv.startScheduler(newTestHost(), tp.poller.telemetry, nil).add(&tenantRun{id: cfg.TenantID, poller: tp.poller})
			waitFor(t, next.entered, "the page to enter the pipeline")

			ctx, cancel := context.WithCancel(context.Background())
			if !tt.timeLeft {
				cancel()
			}
			defer cancel()
			shutdown := make(chan error, 1)
			go func() { shutdown <- rcv.Shutdown(ctx) }()
			if tt.timeLeft {
				waitFor(t, src.lastCtx().Done(), "fetching to stop")
				select {
				case err := <-shutdown:
					t.Fatalf("Shutdown returned (%v) before the page in flight completed", err)
				default:
				}
				close(next.release)
			}
			select {
			case err := <-shutdown:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("Shutdown did not return")
			}

			st := tp.stored(t)
			if !tt.timeLeft {
				assert.Zero(t, next.LogRecordCount())
				assert.Equal(t, checkpoint.Cursor{At: start}, st.State.Live, "the cursor stays where the first run put it")
				assert.Zero(t, st.Keys.Len(), "no keys of the abandoned page")
				assert.Zero(t, tp.mem.keyBuckets())
				_, err := tp.tel.GetMetric("otelcol_receiver_exchange_message_trace_rows_emitted")
				assert.Error(t, err, "nothing counted as emitted")
				return
			}
			assert.Equal(t, 2, next.LogRecordCount())
			assert.Equal(t, checkpoint.Cursor{At: pollerNow}, st.State.Live, "the range is recorded as delivered")
			assert.Equal(t, 2, st.Keys.Len(), "the keys of its rows")
			metadatatest.AssertEqualReceiverExchangeMessageTraceRowsEmitted(t, tp.tel, emitted("live", 2), ignoreTime)
		})
	}
}
