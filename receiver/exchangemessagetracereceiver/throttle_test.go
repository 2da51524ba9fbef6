package exchangemessagetracereceiver

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadatatest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// A recorded 429 with Retry-After: 1 pauses the tenant for a second: the
// receiver counts the throttled request and the time it waited.
func TestThrottleWaitIsCounted(t *testing.T) {
	api := startRecordedAPI(t,
		reply{status: http.StatusTooManyRequests, file: graphRecorded + "/error_429.json", headers: []string{"Retry-After: 1"}},
		recorded(graphRecorded+"/page3.json"))
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	sink := new(consumertest.LogsSink)
	_, logs, tick := startManualReceiver(t, recordedConfig(api, apiGraph), sink, newTestHost(), tel)
	tick.waitIdle(t)
	require.Equal(t, 1, sink.LogRecordCount())

	metadatatest.AssertEqualReceiverExchangeMessageTraceRequests(t, tel, requestsBy(map[string]int64{"throttled": 1, "ok": 1}),
		metricdatatest.IgnoreTimestamp())
	// The wait is wall-clock time: its value is checked by bounds only.
	metadatatest.AssertEqualReceiverExchangeMessageTraceThrottleWait(t, tel, []metricdata.DataPoint[float64]{{Attributes: ofTenant()}},
		metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue())
	m, err := tel.GetMetric("otelcol_receiver_exchange_message_trace_throttle_wait")
	require.NoError(t, err)
	waited := time.Duration(m.Data.(metricdata.Sum[float64]).DataPoints[0].Value * float64(time.Second))
	assert.GreaterOrEqual(t, waited, 900*time.Millisecond, "Retry-After: 1 is waited in full")
	assert.Less(t, waited, 5*time.Second)
	assertNoSecrets(t, logs, simulator.DefaultClientSecret)
}
