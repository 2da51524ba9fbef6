//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

// The shipped config/details-sumo.yaml's source categories.
const (
	rowsCategory    = "o365/messagetrace"
	detailsCategory = "o365/messagetrace/details"
)

// TestDetailsSumoCategories: config/details-sumo.yaml run as shipped (only
// the environment pointing it at the simulator): the rows arrive at the
// fake Sumo Logic source under the rows' X-Sumo-Category, each once, and
// the detail events of the first poll's lookups (the default share, 30)
// under their own, so that the Sumo Logic app's row queries never see them.
func TestDetailsSumoCategories(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	tb := newTestbed(t, bins, detailsSimArgs(0.5, 2000)...) // 1,000 rows over 12 hours, ~400 chosen
	cutoff := tb.sim.started.Add(-shippedDelay - 2*time.Second)
	historyStart := tb.sim.started.Add(-13 * time.Hour)
	truth := tb.sim.Truth(historyStart, cutoff)
	col := tb.startShipped(t, bins, "details-sumo.yaml", shippedEnv(t, tb, "graph"))

	lookups := func() int { return quotaOf(tb.sim.Requests(time.Time{})).Details }
	if !waitFor(60*time.Second, func() bool { rows, _, _, _ := splitLines(tb.sim.Lines()); return len(rows) >= len(truth) }) {
		t.Fatalf("%d of %d rows after 60s", tb.sim.SumoStats().Lines, len(truth))
	}
	// The first poll's lookups: until they stop (the share is spent, and
	// the next poll is 5 minutes away) and their events have landed.
	last, lastLines, stable := -1, int64(-1), 0
	waitFor(60*time.Second, func() bool {
		n, l := lookups(), tb.sim.SumoStats().Lines
		if n == last && l == lastLines && n > 0 {
			stable++
		} else {
			stable = 0
		}
		last, lastLines = n, l
		return stable >= 20 // 2 seconds
	})
	col.Stop()

	lines := tb.sim.Lines()
	assertNoSecretsInLines(t, lines)
	rows, details, detailAt, bad := splitLines(lines)
	requireDetailFields(t, "", bad)
	requireComplete(t, compare(truth, rows, cutoff), 0)
	dd := compareDetails(nil, tb.sim.DetailsTruth(historyStart, time.Now(), detailStatuses), details, detailAt)
	if dd.Repeated > 0 || dd.Unexpected > 0 {
		t.Errorf("detail events: %s\n  %s", dd, strings.Join(dd.Samples, "\n  "))
	}
	st := tb.sim.SumoStats()
	t.Logf("%d lookups; lines by X-Sumo-Category %v: %d rows, %d detail events", last, st.Categories, len(rows), len(details))
	if len(details) == 0 {
		t.Errorf("no detail events arrived: the routing shows nothing")
	}
	if st.Categories[rowsCategory] != int64(len(rows)) || st.Categories[detailsCategory] != int64(len(details)) || len(st.Categories) != 2 {
		t.Errorf("lines by X-Sumo-Category %v, want the %d rows under %s and the %d detail events under %s",
			st.Categories, len(rows), rowsCategory, len(details), detailsCategory)
	}
	requireWithinBudget(t, tb.sim, 80, 30) // the receiver's defaults
}
