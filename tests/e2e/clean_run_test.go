//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// TestCleanRun: a tenant with 150,000 rows over 3 days, backfilled
// and then followed live, arrives exactly once, each line the row's JSON.
func TestCleanRun(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	const days, perDay = 3, 50000 // 150,000 rows; ~0.6 new rows a second
	fig := recordFigures(t, "no fault (the baseline): 3 days of 50,000 rows backfilled, then live collection")
	tb := newTestbed(t, bins, historyArgs(days, perDay)...)
	historyStart := tb.sim.started.Add(-days*24*time.Hour - time.Hour)
	history := len(tb.sim.Truth(historyStart, tb.sim.started))
	if history < 100000 {
		t.Fatalf("the simulated tenant has %d rows of history, want at least 100000", history)
	}

	cfg := tb.config("graph", days*24*time.Hour+time.Hour)
	start := time.Now()
	col := tb.startCollector(t, bins, cfg)
	tb.requireBackfill(t, int64(history))
	backfill := time.Since(start)
	t.Logf("backfill: %d rows in %s (%.0f rows/s)", history, backfill.Round(time.Millisecond), float64(history)/backfill.Seconds())

	// Follow the live model for a while: new rows keep arriving.
	time.Sleep(15 * time.Second)
	h, ok := col.Health()
	if !ok || h.Code != 200 || !h.Healthy || h.Receiver != "StatusOK" {
		t.Errorf("health while following live: code %d healthy %v receiver %q: %s", h.Code, h.Healthy, h.Receiver, h.Body)
	}
	stopAt := time.Now()
	col.Stop()

	// The last poll read up to (its start - delay); allow one poll interval
	// and some slack.
	cutoff := stopAt.Add(-2*time.Second - time.Second - 2*time.Second)
	truth := tb.sim.Truth(historyStart, cutoff)
	lines := tb.sim.Lines()
	d := compare(truth, lines, cutoff)
	requireComplete(t, d, 0)
	setDelivery(fig, d, "0 lost, 0 repeated")
	assertNoSecretsInLines(t, lines)

	live, newest := 0, time.Time{}
	byKey := make(map[rowKey]truthRow, len(truth))
	for _, r := range truth {
		byKey[r.StatusKey()] = r
		if r.Received.After(tb.sim.started) {
			live++
		}
	}
	// ~0.6 new rows a second arrive at random: a quiet stretch of a loaded
	// run may bring only a few. compare() above already proved every one of
	// them up to the cutoff arrived.
	if live < 1 {
		t.Errorf("no live rows (received after the simulator started) in the compared window")
	}
	mismatched, samples := 0, []string{}
	for _, b := range lines {
		l, err := parseLine(b)
		if err != nil {
			continue // counted by compare
		}
		if l.Received.After(newest) {
			newest = l.Received
		}
		r, ok := byKey[l.Key]
		if !ok {
			continue
		}
		if diff := lineMatchesRow(l, r); diff != "" {
			mismatched++
			if len(samples) < 5 {
				samples = append(samples, l.Key.String()+": "+diff)
			}
		}
	}
	if mismatched > 0 {
		t.Errorf("%d lines are not their row's JSON, e.g.:\n  %v", mismatched, samples)
	}
	st := tb.sim.SumoStats()
	t.Logf("live: %d rows received after start delivered; newest delivered row was %s old at stop; sink: %d requests, formats %v",
		live, stopAt.Sub(newest).Round(time.Millisecond), st.Accepted, st.ByFormat)
	// The newest row that existed by the cutoff was delivered (compare), so
	// the lag is only the gap since the tenant's last row; report it.
	c := tb.sim.Counters()
	t.Logf("simulator: %d API requests, peak %d per %s, %d throttled", c.APIRequests, c.MaxAPIRequestsInWindow, time.Duration(c.RateWindow), c.Throttled)
	if c.MaxAPIRequestsInWindow > 80 {
		t.Errorf("quota: %d requests in a rolling window, configured 80", c.MaxAPIRequestsInWindow)
	}
}
