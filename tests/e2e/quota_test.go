//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// TestQuota: a backfill that needs more requests than the budget allows
// (10,000 rows at 100 per page against max_requests_per_5m: 80): the
// simulator, which keeps Microsoft's 100 per 5 minutes, never sees more
// than 80 in any rolling 5 minutes and never has to throttle.
func TestQuota(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	const budget = 80
	tb := newTestbed(t, bins, historyArgs(0.25, 40000)...)
	historyStart := tb.sim.started.Add(-7 * time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))

	cfg := tb.config("graph", 7*time.Hour)
	receiverOf(cfg)["page_size"] = 100
	receiverOf(cfg)["max_requests_per_5m"] = budget
	col := tb.startCollector(t, bins, cfg)

	if !waitFor(60*time.Second, func() bool { return tb.sim.Counters().APIRequests >= budget }) {
		t.Fatalf("the receiver made only %d requests in 60s", tb.sim.Counters().APIRequests)
	}
	reached := time.Now()
	time.Sleep(10 * time.Second) // the budget must hold the rest back
	c := tb.sim.Counters()
	lines := tb.sim.SumoStats().Lines
	t.Logf("%d requests (peak %d per %s, %d throttled) after %s; %d of %d rows delivered",
		c.APIRequests, c.MaxAPIRequestsInWindow, time.Duration(c.RateWindow), c.Throttled,
		time.Since(reached).Round(time.Second), lines, history)
	if c.MaxAPIRequestsInWindow > budget {
		t.Errorf("the simulator saw %d requests in a rolling %s, more than max_requests_per_5m %d",
			c.MaxAPIRequestsInWindow, time.Duration(c.RateWindow), budget)
	}
	if c.Throttled > 0 {
		t.Errorf("the simulator throttled %d requests", c.Throttled)
	}
	if lines >= history {
		t.Errorf("the whole backfill (%d rows) went through: the test did not need more requests than the budget", history)
	}
	if h, ok := col.Health(); !ok || h.Code != 200 {
		t.Errorf("health while waiting for the budget: %d %s", h.Code, h.Body)
	}
	col.Stop()
	all := tb.sim.Lines()
	d := compare(nil, all, time.Now())
	if d.Duplicated > 0 {
		t.Errorf("%d duplicated rows", d.Duplicated)
	}
	assertNoSecretsInLines(t, all)

	// The budget is stored with the checkpoint: a restart within the 5
	// minutes (a crash loop, a rollout) keeps it instead of starting a
	// fresh one and spending the tenant's quota twice.
	before := tb.sim.Counters().APIRequests
	col = tb.startCollector(t, bins, cfg)
	time.Sleep(5 * time.Second)
	col.Stop()
	c = tb.sim.Counters()
	t.Logf("after a restart within the window: %d requests more, peak %d per %s, %d throttled by the simulator",
		c.APIRequests-before, c.MaxAPIRequestsInWindow, time.Duration(c.RateWindow), c.Throttled)
	if c.MaxAPIRequestsInWindow > budget {
		t.Errorf("after a restart the simulator saw %d requests in a rolling %s, more than max_requests_per_5m %d: the budget was not restored",
			c.MaxAPIRequestsInWindow, time.Duration(c.RateWindow), budget)
	}
	if c.Throttled > 0 {
		t.Errorf("the simulator throttled %d requests after the restart", c.Throttled)
	}
}
