package exchangemessagetracereceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// Graph writes "unknownFutureValue" for a recalled message unless asked
// for the enum's newer members: the receiver always asks.
func TestRecalledStatusIsAskedFor(t *testing.T) {
	tenant := fixedTenant(400, 1)
	tenant.Model.StatusWeights = map[simulator.Status]float64{simulator.StatusDelivered: 1, simulator.StatusRecalled: 1}
	sim := startSimulator(t, tenant)
	recalled := 0
	truth := sim.Truth(time.Now().Add(-2*24*time.Hour), time.Now())
	for _, r := range truth {
		if r.Status == simulator.StatusRecalled {
			recalled++
		}
	}
	require.Positive(t, recalled)

	cfg := simConfig(sim)
	cfg.InitialLookback = 25 * time.Hour
	sink := new(consumertest.LogsSink)
	startReceiver(t, cfg, sink, newTestHost())
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= len(truth) }, 30*time.Second, 50*time.Millisecond)

	statuses := map[string]int{}
	for _, ld := range sink.AllLogs() {
		lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := range lrs.Len() {
			v, _ := lrs.At(i).Attributes().Get(logmap.AttributeStatus)
			statuses[v.Str()]++
		}
	}
	assert.Equal(t, recalled, statuses["recalled"])
	assert.Zero(t, statuses["unknownFutureValue"])
	assert.Equal(t, len(truth)-recalled, statuses["delivered"])
}
