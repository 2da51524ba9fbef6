//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestSumoOutage: the fake Sumo Logic source answers 503 for 8s, four times
// the exporter's retry budget (2s), once during the backfill and once during
// live collection. The exporter gives up, the receiver keeps its cursor, and
// once the source is back every row arrives, once.
func TestSumoOutage(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	const (
		days, perDay = 0.25, 200000 // 50,000 rows of history, ~2.3 new rows/s
		outage       = 8 * time.Second
	)
	fig := recordFigures(t, fmt.Sprintf("2 Sumo Logic outages of %s (503 to every request), 4 times the exporter's retry budget: at the start of the backfill and during live collection", outage))
	tb := newTestbed(t, bins, historyArgs(days, perDay)...)
	historyStart := tb.sim.started.Add(-6*time.Hour - time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))

	cfg := tb.config("graph", 7*time.Hour)
	receiverOf(cfg)["page_size"] = 1000
	exporterOf(cfg)["retry_on_failure"] = yamlMap{
		"enabled": true, "initial_interval": "100ms", "max_interval": "500ms", "max_elapsed_time": "2s",
	}

	// Outage 1: the source is down when the backfill begins.
	tb.sim.SumoUnavailable(outage)
	outageEnd := time.Now().Add(outage)
	col := tb.startCollector(t, bins, cfg)
	sawRecoverable := false
	watch := func(until time.Time) {
		for time.Now().Before(until) {
			if h, ok := col.Health(); ok && h.Receiver == "StatusRecoverableError" {
				sawRecoverable = true
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Checked a second before the source's own end of the outage: the two
	// clocks start a request apart.
	watch(outageEnd.Add(-time.Second))
	if got := tb.sim.SumoStats().Lines; got != 0 {
		t.Errorf("the source accepted %d lines while unavailable", got)
	}
	watch(outageEnd)
	if !waitFor(60*time.Second, func() bool { return tb.sim.SumoStats().Lines >= history }) {
		t.Fatalf("backfill incomplete 60s after the outage: %d of %d rows", tb.sim.SumoStats().Lines, history)
	}
	t.Logf("backfill of %d rows complete %s after the first outage ended", history, time.Since(outageEnd).Round(time.Millisecond))

	// Outage 2: during live collection.
	tb.sim.SumoUnavailable(outage)
	watch(time.Now().Add(outage))
	time.Sleep(6 * time.Second) // a few polls after the source is back
	stopAt := time.Now()
	col.Stop()

	st := tb.sim.SumoStats()
	if st.Rejected == 0 {
		t.Errorf("the source refused no request: the outage was not exercised")
	}
	log := col.Log()
	t.Logf("source: %d requests accepted, %d refused with 503; receiver polls that failed: %d; health showed the receiver's recoverable error: %v",
		st.Accepted, st.Rejected, countLines(log, "message trace poll failed"), sawRecoverable)

	cutoff := stopAt.Add(-5 * time.Second)
	lines := tb.sim.Lines()
	d := compare(tb.sim.Truth(historyStart, cutoff), lines, cutoff)
	requireComplete(t, d, 0)
	setDelivery(fig, d, "0 lost, 0 repeated (the outages begin between requests)")
	fig.Other = fmt.Sprintf("%d uploads refused; the health check showed the receiver's recoverable error: %v", st.Rejected, sawRecoverable)
	assertNoSecretsInLines(t, lines)
}
