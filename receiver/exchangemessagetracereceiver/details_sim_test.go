//go:build integration

package exchangemessagetracereceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/detailevents"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// detailRecords splits what a sink received: rows, and the detail events
// by row with their event ids in order.
func detailRecords(logs []plog.Logs) (rows int, events map[simulator.RowKey][]string) {
	events = map[simulator.RowKey][]string{}
	for _, ld := range logs {
		for i := range ld.ResourceLogs().Len() {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := range sls.Len() {
				recs := sls.At(j).LogRecords()
				for k := range recs.Len() {
					lr := recs.At(k)
					if lr.EventName() != detailevents.EventName {
						rows++
						continue
					}
					id, _ := lr.Attributes().Get(detailevents.AttributeTraceID)
					rcpt, _ := lr.Attributes().Get(detailevents.AttributeRecipient)
					ev, _ := lr.Body().Map().Get("id")
					key := simulator.NewRowKey(id.Str(), rcpt.Str())
					events[key] = append(events[key], ev.Str())
				}
			}
		}
	}
	return rows, events
}

// TestDetailsOfChosenRowsOnceWithinTheShare: every row emitted in a chosen
// status gets exactly the events the simulator serves for it, once; other
// rows get none; the lookups stay within their share, and the list calls
// are not held by them.
func TestDetailsOfChosenRowsOnceWithinTheShare(t *testing.T) {
	now := time.Now().UTC()
	sc := simulator.Config{Seed: 11, RateLimit: -1, Model: simulator.ModelConfig{
		RowsPerDay: 1200, From: now.Add(-3 * time.Hour), To: now.Add(-time.Minute),
		DelayedFraction: -1, ChangingFraction: -1,
		StatusWeights: map[simulator.Status]float64{simulator.StatusDelivered: 60, simulator.StatusFailed: 15,
			simulator.StatusQuarantined: 15, simulator.StatusFilteredAsSpam: 10},
	}}
	sim := startSimulator(t, sc)
	rowTruth := sim.Truth(now.Add(-4*time.Hour), now)
	chosen := sim.DetailsTruth(now.Add(-4*time.Hour), now, nil)
	require.NotEmpty(t, chosen)
	const share = 40
	require.Greater(t, len(chosen), share, "the lookups need more than one poll's share")

	cfg := simConfig(sim)
	cfg.InitialLookback = 4 * time.Hour
	cfg.MaxWindow = time.Hour
	cfg.MaxRequestsPer5m = 100
	cfg.BodyFormat = logmap.BodyMap
	host := newTestHost()
	cfg.StorageID = host.withFileStorage(t, t.TempDir())
	cfg.Details.GetOrInsertDefault().MaxRequestsPer5m = share
	sink := new(consumertest.LogsSink)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	rcv, _, tick := startManualReceiver(t, cfg, sink, host, tel)

	tick.poll(t)
	tick.waitIdle(t)
	rows, events := detailRecords(sink.AllLogs())
	assert.Equal(t, len(rowTruth), rows, "every row delivered by the first poll")
	assert.Len(t, events, share, "the first poll's lookups stop at the share")
	assert.Positive(t, sumMetric(t, tel, "otelcol_receiver_exchange_message_trace_details_throttled"), "the share ran out")
	require.NoError(t, rcv.Shutdown(context.Background()))

	// The lookups still queued were stored: a restarted collector with a
	// larger share answers them, and only them.
	cfg2 := *cfg
	cfg2.Details.GetOrInsertDefault().MaxRequestsPer5m = 90
	tel2 := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel2.Shutdown(context.Background())) })
	_, logs, tick2 := startManualReceiver(t, &cfg2, sink, host, tel2)
	tick2.pollUntil(t, func() bool { _, ev := detailRecords(sink.AllLogs()); return len(ev) >= len(chosen) }, 3)
	tick2.poll(t)
	tick2.waitIdle(t)

	rows, events = detailRecords(sink.AllLogs())
	assert.Equal(t, len(rowTruth), rows, "rows are not repeated by the lookups")
	require.Len(t, events, len(chosen))
	for _, c := range chosen {
		want := make([]string, len(c.Events))
		for i, ev := range c.Events {
			want[i] = ev.ID
		}
		assert.Equal(t, want, events[simulator.NewRowKey(c.ID, c.Recipient)], "events of %s (%s), once, in order", c.ID, c.Status)
	}
	assert.Equal(t, int64(len(chosen)-share), sumMetric(t, tel2, "otelcol_receiver_exchange_message_trace_details_lookups"))
	assert.Zero(t, logs.FilterMessageSnippet("detail lookups dropped").Len())
	assert.Zero(t, sim.Counters().Requests["graph"][429], "never throttled by Microsoft")
	t.Logf("rows %d, chosen rows %d, their events %d", rows, len(chosen), countEvents(events))
}

func countEvents(events map[simulator.RowKey][]string) (n int) {
	for _, ids := range events {
		n += len(ids)
	}
	return n
}
