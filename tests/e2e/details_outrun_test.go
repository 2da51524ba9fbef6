//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// detailsMetric is the prefix of the receiver's detail self-metrics as the
// collector's Prometheus endpoint names them (metadata.yaml's
// receiver_exchange_message_trace_details_*, with otelcol_ before and the
// exporter's suffixes after).
const detailsMetric = "otelcol_receiver_exchange_message_trace_details_"

// TestDetailsOutrunShare: a tenant whose chosen rows outrun the lookups'
// share (5 per 5 minutes, at most 20 pending, ~160 chosen rows): the
// receiver drops the oldest pending lookups, counts them
// (details.dropped) and warns "detail lookups dropped"; never more than
// max_pending wait; the rows are all delivered once, as fast as without
// details, and the tenant stays within its budget and the share, also
// across a restart within the 5 minutes.
func TestDetailsOutrunShare(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	const (
		budget, share, maxPending = 80, 5, 20
		poll, delay               = 2 * time.Second, 2 * time.Second
		latencyBound              = poll + delay + 5*time.Second
	)
	fig := recordFigures(t, fmt.Sprintf("chosen rows outrun the details share (%d per 5 minutes, max_pending %d, budget %d); %s", share, maxPending, budget, detailsMix))
	tb := newTestbed(t, bins, detailsSimArgs(0.005, 80000)...) // ~400 rows over 7 minutes, ~160 chosen; ~18 live in the timed window
	historyStart := tb.sim.started.Add(-time.Hour)
	cfg := tb.config("graph", time.Hour)
	receiverOf(cfg)["poll_interval"], receiverOf(cfg)["delay"] = poll.String(), delay.String()
	withDetails(cfg, budget, share, maxPending)
	metrics := freeAddr(t)
	withPrometheus(cfg, metrics)
	col := tb.startCollector(t, bins, cfg)
	clock := startSinkClockEvery(tb.sim, 250*time.Millisecond)
	started := time.Now()

	history := tb.sim.Truth(historyStart, tb.sim.started)
	if !waitFor(60*time.Second, func() bool { rows, _, _, _ := splitLines(tb.sim.Lines()); return len(rows) >= len(history) }) {
		t.Fatalf("backfill of %d rows incomplete after 60s", len(history))
	}
	window := [2]time.Time{started.Add(delay + time.Second), started.Add(delay + time.Second + 20*time.Second)}
	time.Sleep(time.Until(window[1].Add(latencyBound)))

	var pending float64
	var names []string
	dropped, dropNames, err := scrapeMetric(metrics, detailsMetric+"dropped")
	if err == nil {
		pending, names, err = scrapeMetric(metrics, detailsMetric+"pending")
	}
	if err != nil {
		t.Fatalf("scraping the collector's metrics on %s: %v", metrics, err)
	}
	lookedUp, lookupNames, _ := scrapeMetric(metrics, detailsMetric+"lookups")
	// The scrape reads the receiver's metrics at all: its emitted rows.
	if emitted, _, _ := scrapeMetric(metrics, "otelcol_receiver_exchange_message_trace_rows_emitted"); emitted < float64(len(history)) {
		t.Errorf("the collector's metrics on %s say %.0f rows emitted, want at least %d: the scrape misses the receiver's metrics", metrics, emitted, len(history))
	}
	t.Logf("metrics %v: dropped %.0f, pending %.0f, lookups %.0f", append(append(dropNames, names...), lookupNames...), dropped, pending, lookedUp)
	stopAt := time.Now()
	col.Stop()
	lines, at, err := clock.stop()
	if err != nil {
		t.Fatalf("the source clock: %v", err)
	}
	assertNoSecretsInLines(t, lines)

	chosen := tb.sim.DetailsTruth(historyStart, stopAt, detailStatuses)
	chosenHistory := len(tb.sim.DetailsTruth(historyStart, tb.sim.started, detailStatuses))
	if want := float64(chosenHistory - maxPending - share); dropped < want {
		t.Errorf("details.dropped is %.0f, want at least %.0f (chosen history rows less max_pending and the share)", dropped, want)
	}
	if len(dropNames) == 0 {
		t.Errorf("the collector's metrics hold no %sdropped", detailsMetric)
	}
	if pending > maxPending {
		t.Errorf("details.pending is %.0f, above max_pending %d", pending, maxPending)
	}
	if n := countLines(col.Log(), "detail lookups dropped"); n == 0 {
		t.Errorf(`the log has no warning "detail lookups dropped"`)
	} else {
		t.Logf(`%d log lines "detail lookups dropped"`, n)
	}

	rows, details, detailAt, bad := splitLines(lines)
	requireDetailFields(t, "", bad)
	cutoff := stopAt.Add(-latencyBound)
	requireComplete(t, compare(tb.sim.Truth(historyStart, stopAt), rows, cutoff), 0)
	// Some lookups were dropped: judge only that what arrived is right.
	dd := compareDetails(nil, chosen, details, detailAt)
	if dd.Repeated > 0 || dd.Unexpected > 0 {
		t.Errorf("detail events: %s\n  %s", dd, strings.Join(dd.Samples, "\n  "))
	}
	lat, missing := rowLatencies(truthRows(tb.sim.Truth(window[0], window[1])), lines, at, window)
	t.Logf("export latency of %d live rows with the share outrun: %s", len(lat), latencyDistribution(lat))
	if missing > 0 {
		t.Errorf("%d live rows never arrived", missing)
	}
	if p := quantile(lat, 0.99); p > latencyBound {
		t.Errorf("p99 export latency %s above poll_interval + delay + 5s (%s)", p, latencyBound)
	}
	q := requireWithinBudget(t, tb.sim, budget, share)

	// A restart within the 5 minutes (a crash loop, a rollout) keeps the
	// spent share, as it keeps the tenant's budget: still 20 lookups
	// pending, none may be sent.
	col = tb.startCollector(t, bins, cfg)
	time.Sleep(2*poll + time.Second)
	col.Stop()
	if again := quotaOf(tb.sim.Requests(time.Time{})); again.DetailPeak > share {
		t.Errorf("after a restart within the window: %d lookups per rolling 5 minutes, above the share %d: the spent share was not restored (%s)", again.DetailPeak, share, again)
	} else {
		t.Logf("after a restart within the window: %s", again)
	}

	d := compare(tb.sim.Truth(historyStart, stopAt), rows, cutoff)
	setDelivery(fig, d, "every row once; oldest lookups dropped with a counter and a warning; within the budget and the share")
	fig.Other = fmt.Sprintf("%d chosen rows; details.dropped %.0f, pending %.0f (max %d), lookups %.0f; live rows' export latency p50/p99 %s/%s; %s",
		len(chosen), dropped, pending, maxPending, lookedUp,
		quantile(lat, 0.5).Round(10*time.Millisecond), quantile(lat, 0.99).Round(10*time.Millisecond), q)
	t.Log(fig.Other)
}
