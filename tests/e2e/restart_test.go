//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestGracefulRestarts: the collector is stopped with SIGTERM in the middle
// of the backfill (while the exporter is sending a page), up to 8 times, and
// started again. docs/delivery.md, "Delivery promise": a graceful stop lets the page
// in flight finish, so nothing is lost and nothing repeated (only a crash,
// or an export that fails part-way, may repeat a page).
//
// This caught a receiver bug (fixed in 830dd02): Shutdown cancelled the
// context of the ConsumeLogs in flight, the Sumo Logic exporter's POST was
// cancelled after the source had taken the body, the page was not
// committed, and every graceful stop during an export repeated a page.
func TestGracefulRestarts(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	const (
		days, perDay = 1, 20000
		pageSize     = 500
		restarts     = 8
	)
	fig := recordFigures(t, fmt.Sprintf("up to %d SIGTERM stops during the backfill, each while a page is being exported (source answers in 400ms)", restarts))
	tb := newTestbed(t, bins, append(historyArgs(days, perDay), "-rate-limit", "-1")...)
	historyStart := tb.sim.started.Add(-days*24*time.Hour - time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))
	// A source that takes 400ms to answer: most of the time a page is being
	// exported, so that the stops land during an export.
	tb.sim.SumoSlow(10*time.Minute, 400*time.Millisecond)

	cfg := tb.config("graph", days*24*time.Hour+time.Hour)
	receiverOf(cfg)["page_size"] = pageSize
	receiverOf(cfg)["max_requests_per_5m"] = 0

	var stops []int64
	var stopTook []time.Duration
	for i := 0; i < restarts; i++ {
		col := tb.startCollector(t, bins, cfg)
		time.Sleep(1500 * time.Millisecond)
		if tb.sim.SumoStats().Lines >= history {
			break
		}
		began := time.Now()
		col.Stop()
		stopTook = append(stopTook, time.Since(began).Round(time.Millisecond))
		stops = append(stops, tb.sim.SumoStats().Lines)
	}
	col := tb.startCollector(t, bins, cfg)
	tb.sim.SumoSlow(0, 0)
	tb.requireBackfill(t, history)
	time.Sleep(3 * time.Second)
	stopAt := time.Now()
	col.Stop()

	lines := tb.sim.Lines()
	d := compare(tb.sim.Truth(historyStart, stopAt.Add(-5*time.Second)), lines, stopAt.Add(-5*time.Second))
	t.Logf("%d SIGTERM stops during the backfill (lines at each stop %v, stop took %v): %d rows repeated",
		len(stops), stops, stopTook, d.Duplicated)
	requireComplete(t, d, len(stops)*pageSize) // nothing lost, at most a page per stop
	setDelivery(fig, d, "0 lost, 0 repeated")
	fig.Other = fmt.Sprintf("%d stops landed in the backfill", len(stops))
	if d.Duplicated > 0 {
		t.Errorf("%d rows repeated after %d graceful stops: a SIGTERM must let the page in flight finish (export and checkpoint)",
			d.Duplicated, len(stops))
	}
	if len(stops) < 3 {
		t.Errorf("only %d stops landed in the backfill", len(stops))
	}
}
