package exchangemessagetracereceiver

import (
	"context"
	"flag"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadatatest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// To regenerate the golden files after an intended change of the output:
//
//	go test ./receiver/exchangemessagetracereceiver/ -run TestGoldenThroughFactory -update
//
// then review the diff of testdata/golden/*.yaml. With -update the test
// writes the files (golden.WriteLogs) and reports failure, so it cannot pass
// by accident.
var update = flag.Bool("update", false, "rewrite testdata/golden/*.yaml from the receiver's current output")

// ofTenant is the attribute set of a metric data point of the tests'
// tenant: every receiver metric carries the tenant (microsoft.tenant.id).
func ofTenant(kv ...attribute.KeyValue) attribute.Set {
	return attribute.NewSet(append([]attribute.KeyValue{attribute.String("microsoft.tenant.id", simulator.DefaultTenantID)}, kv...)...)
}

// requestsBy is the data points of the requests counter, by outcome.
func requestsBy(outcomes map[string]int64) []metricdata.DataPoint[int64] {
	var dps []metricdata.DataPoint[int64]
	for outcome, n := range outcomes {
		dps = append(dps, metricdata.DataPoint[int64]{Attributes: ofTenant(attribute.String("outcome", outcome)), Value: n})
	}
	return dps
}

// assertCounter asserts an int64 counter with one data point (by tenant)
// of want, or its absence when want is 0 (nothing was ever added).
func assertCounter(t *testing.T, tel *componenttest.Telemetry, name string, want int64,
	assertEqual func(*testing.T, *componenttest.Telemetry, []metricdata.DataPoint[int64], ...metricdatatest.Option),
) {
	t.Helper()
	if want == 0 {
		_, err := tel.GetMetric(name)
		assert.Error(t, err, "%s was recorded", name)
		return
	}
	assertEqual(t, tel, []metricdata.DataPoint[int64]{{Attributes: ofTenant(), Value: want}}, metricdatatest.IgnoreTimestamp())
}

// mergePages puts the logs of every page in one plog.Logs, one
// ResourceLogs per page, as the golden file holds them.
func mergePages(pages []plog.Logs) plog.Logs {
	out := plog.NewLogs()
	for _, ld := range pages {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			ld.ResourceLogs().At(i).CopyTo(out.ResourceLogs().AppendEmpty())
		}
	}
	return out
}

// The receiver, built by its factory from the default config, replays
// pages recorded from both APIs: the golden files pin the resource, the
// scope and every record. The clock is fixed at the recordings' time (the
// ranges the rows carry come from it); only observed timestamps differ.
func TestGoldenThroughFactory(t *testing.T) {
	graphPages := []reply{
		recorded(graphRecorded + "/page1.json"), recorded(graphRecorded + "/page2.json"), recorded(graphRecorded + "/page3.json"),
	}
	tests := []struct {
		name    string
		api     msgtrace.API
		now     time.Time
		replies []reply
		golden  string

		emitted, malformed, deduplicated int64
		requests                         map[string]int64
	}{
		{
			name: "graph three pages", api: apiGraph, now: time.Date(2026, 1, 21, 15, 0, 0, 0, time.UTC),
			replies: graphPages, golden: "graph_three_pages.yaml",
			emitted: 6, malformed: 1, requests: map[string]int64{"malformed": 1, "ok": 2},
		},
		{
			// Graph refuses its own nextLink: the range is read again from
			// its first page, whose rows were delivered and are dropped.
			name: "graph bad skiptoken", api: apiGraph, now: time.Date(2026, 1, 21, 15, 0, 0, 0, time.UTC),
			replies: append([]reply{recorded(graphRecorded + "/page1.json"),
				{status: http.StatusBadRequest, file: graphRecorded + "/error_400_skiptoken.json"}}, graphPages...),
			golden:  "graph_three_pages.yaml",
			emitted: 6, malformed: 2, deduplicated: 3, requests: map[string]int64{"malformed": 2, "ok": 2, "bad_skiptoken": 1},
		},
		{
			name: "reporting seed three rows", api: apiReporting, now: time.Date(2022, 11, 29, 17, 8, 26, 0, time.UTC),
			replies: []reply{recorded(reportingRecorded + "/seed_001_three_rows.json")}, golden: "reporting_seed_three_rows.yaml",
			emitted: 3, requests: map[string]int64{"ok": 1},
		},
		{
			name: "reporting relative next link", api: apiReporting, now: time.Date(2022, 11, 29, 17, 8, 26, 0, time.UTC),
			replies: []reply{recorded(reportingRecorded + "/page1_relative_next.json"), recorded(reportingRecorded + "/page2_last.json")},
			golden:  "reporting_two_pages.yaml",
			emitted: 3, requests: map[string]int64{"ok": 2},
		},
		{
			name: "reporting verbose json", api: apiReporting, now: time.Date(2022, 7, 29, 13, 6, 40, 0, time.UTC),
			replies: []reply{recorded(reportingRecorded + "/verbose_page1.json"), recorded(reportingRecorded + "/verbose_page2.json")},
			golden:  "reporting_verbose.yaml",
			emitted: 3, requests: map[string]int64{"ok": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := startRecordedAPI(t, tt.replies...)
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			sink := new(consumertest.LogsSink)
			host := newTestHost()
			rcv, logs := newTestReceiver(t, recordedConfig(api, tt.api), sink, tel)
			rcv.now = func() time.Time { return tt.now }
			tick := newManualTicker()
			rcv.clock = tick
			startTestReceiver(t, rcv, host)
			tick.waitIdle(t) // one poll, one range: every recorded reply
			require.Len(t, api.requests(), len(tt.replies))
			require.NotNil(t, host.lastEvent())
			assert.Equal(t, componentstatus.StatusOK, host.lastEvent().Status())

			actual := mergePages(sink.AllLogs())
			path := filepath.Join("testdata", "golden", tt.golden)
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, actual))
				return
			}
			expected, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, actual, plogtest.IgnoreObservedTimestamp()))

			opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}
			metadatatest.AssertEqualReceiverExchangeMessageTraceRowsEmitted(t, tel, []metricdata.DataPoint[int64]{
				{Attributes: ofTenant(attribute.String("pass", "live")), Value: tt.emitted},
			}, opts...)
			metadatatest.AssertEqualReceiverExchangeMessageTraceRequests(t, tel, requestsBy(tt.requests), opts...)
			assertCounter(t, tel, "otelcol_receiver_exchange_message_trace_rows_malformed", tt.malformed,
				metadatatest.AssertEqualReceiverExchangeMessageTraceRowsMalformed)
			assertCounter(t, tel, "otelcol_receiver_exchange_message_trace_rows_deduplicated", tt.deduplicated,
				metadatatest.AssertEqualReceiverExchangeMessageTraceRowsDeduplicated)
			// The fixed clock makes the cursor's age exact: the default delay.
			delay := createDefaultConfig().(*Config).Delay.Seconds()
			metadatatest.AssertEqualReceiverExchangeMessageTraceCursorLag(t, tel, []metricdata.DataPoint[float64]{{Attributes: ofTenant(), Value: delay}}, opts...)
			metadatatest.AssertEqualReceiverExchangeMessageTraceBacklog(t, tel, []metricdata.DataPoint[float64]{{Attributes: ofTenant(), Value: 0}}, opts...)
			assertNoSecrets(t, logs, simulator.DefaultClientSecret)
		})
	}
}
