//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// The tenant of TestDetailsDelivered: a few minutes of history and a live
// rate that gives the latency enough rows, 40 % of them chosen. Microsoft's
// quota does not compress with the test's clock (100 requests per real 5
// minutes), so every chosen row's lookup and every list call of the run
// must fit in one window: ~55 lookups and ~25 list calls.
const (
	ddDays       = 0.0014 // 2 minutes of history: ~80 rows, ~32 chosen
	ddRowsPerDay = 57600  // 0.67 rows a second live, ~15 chosen in the run
	ddPoll       = 3 * time.Second
	ddDelay      = 2 * time.Second
	ddWindow     = 45 * time.Second // rows received in it are timed
	ddBudget     = 100              // the tenant's whole quota
	ddShare      = 70               // the lookups' part of it; the list calls keep 30
	// ddLatencyBound is the promise for one row: the next poll after its
	// delay, plus export and the source clock's 250ms.
	ddLatencyBound = ddPoll + ddDelay + 5*time.Second
)

// TestDetailsDelivered: two identical simulated tenants (same seed, same
// flags, started together: the same rows), one collected with details off,
// the other with details on, at the same time. With details on, every
// chosen row's detail events arrive exactly once (by event id, against the
// simulator's details truth) and the rows are those of details off, each
// once and unchanged; the live rows' export latency is measured in both
// (details on must not slow the list pass); and the tenant never sees more
// than its budget, nor the lookups more than their share, in any rolling 5
// minutes, with nothing throttled.
func TestDetailsDelivered(t *testing.T) {
	t.Parallel() // waits on the simulators and the collectors, little CPU
	bins := requireBinaries(t)
	fig := recordFigures(t, fmt.Sprintf("details on and off on two identical tenants (%s), max_requests_per_5m %d, details share %d; live rows' export latency compared; counts are detail events",
		detailsMix, ddBudget, ddShare))
	type run struct {
		name  string
		tb    *testbed
		col   *collectorProc
		clock *sinkClock
	}
	runs := []*run{{name: "details off"}, {name: "details on"}}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); r.tb = newTestbed(t, bins, detailsSimArgs(ddDays, ddRowsPerDay)...) }()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	off, on := runs[0], runs[1]
	for _, r := range runs {
		cfg := r.tb.config("graph", time.Hour)
		rcv := receiverOf(cfg)
		rcv["poll_interval"], rcv["delay"] = ddPoll.String(), ddDelay.String()
		rcv["max_requests_per_5m"] = ddBudget
		if r == on {
			withDetails(cfg, ddBudget, ddShare, 0)
		}
		r.col = r.tb.startCollector(t, bins, cfg)
		r.clock = startSinkClockEvery(r.tb.sim, 250*time.Millisecond)
	}
	started := time.Now()
	window := [2]time.Time{started.Add(ddDelay + time.Second), started.Add(ddDelay + time.Second + ddWindow)}
	historyStart := on.tb.sim.started.Add(-time.Hour)
	time.Sleep(time.Until(window[1].Add(ddLatencyBound)))

	// The chosen rows up to the window's end must have their events by now
	// (their lookups run after the poll that emitted them).
	mustHave := on.tb.sim.DetailsTruth(historyStart, window[1], detailStatuses)
	if len(mustHave) > ddShare-5 {
		t.Fatalf("the tenant has %d chosen rows: more lookups than the share (%d) allows in one 5-minute window; shrink the data", len(mustHave), ddShare)
	}
	waitFor(30*time.Second, func() bool {
		_, dl, _, _ := splitLines(on.tb.sim.Lines())
		return len(dl) >= eventCount(mustHave)
	})
	stopAt := time.Now()
	results := map[*run][][]byte{}
	arrived := map[*run][]time.Time{}
	for _, r := range runs {
		r.col.Stop()
		lines, at, err := r.clock.stop()
		if err != nil {
			t.Fatalf("%s: the source clock: %v", r.name, err)
		}
		results[r], arrived[r] = lines, at
		assertNoSecretsInLines(t, lines)
	}

	// Rows: each once, in both runs, and the same rows.
	cutoff := window[1]
	truthOff, truthOn := off.tb.sim.Truth(historyStart, stopAt), on.tb.sim.Truth(historyStart, stopAt)
	// The two histories begin at their own start, milliseconds apart.
	from := later(off.tb.sim.started, on.tb.sim.started).Add(-time.Duration(ddDays*24*float64(time.Hour)) + time.Second)
	if !sameRows(truthOff, truthOn, from, cutoff) {
		t.Fatalf("the two simulators' rows differ up to %s: the runs do not compare the same data", cutoff.Format(time.RFC3339))
	}
	rowLines := map[*run][][]byte{}
	var onDetails []detailLine
	var onDetailAt []int
	for _, r := range runs {
		rows, details, detailAt, bad := splitLines(results[r])
		rowLines[r] = rows
		t.Logf("%s: %d lines, %d rows, %d detail events", r.name, len(results[r]), len(rows), len(details))
		requireDetailFields(t, r.name+": ", bad)
		if r == off && len(details) > 0 {
			t.Errorf("details off: %d detail events arrived", len(details))
		}
		if r == on {
			onDetails, onDetailAt = details, detailAt
		}
		requireComplete(t, compare(r.tb.sim.Truth(historyStart, stopAt), rows, cutoff), 0)
	}
	requireRowsUnchanged(t, rowLines[on], truthOn)

	// Detail events: each chosen row's, once.
	beyond := on.tb.sim.DetailsTruth(window[1].Add(time.Nanosecond), stopAt, detailStatuses)
	dd := compareDetails(mustHave, beyond, onDetails, onDetailAt)
	t.Logf("details: %s", dd)
	if dd.Missing > 0 || dd.Repeated > 0 || dd.Unexpected > 0 {
		t.Errorf("detail events not delivered exactly once: %s\n  %s", dd, strings.Join(dd.Samples, "\n  "))
	}
	if dd.Lookups == 0 {
		t.Errorf("no chosen rows in the truth: the test shows nothing")
	}
	fig.Rows, fig.Lost, fig.Repeated = dd.Events, &dd.Missing, &dd.Repeated
	fig.Promise = "every chosen row's detail events once; rows once and unchanged; within the budget"

	// Latency of the live rows, with and without details.
	lat := map[*run][]time.Duration{}
	for _, r := range runs {
		var missing int
		lat[r], missing = rowLatencies(truthRows(r.tb.sim.Truth(window[0], window[1])), results[r], arrived[r], window)
		t.Logf("%s: export latency of %d live rows: %s", r.name, len(lat[r]), latencyDistribution(lat[r]))
		if missing > 0 {
			t.Errorf("%s: %d live rows never arrived", r.name, missing)
		}
		if len(lat[r]) < 10 {
			t.Errorf("%s: only %d live rows timed", r.name, len(lat[r]))
		}
		if p := quantile(lat[r], 0.99); p > ddLatencyBound {
			t.Errorf("%s: p99 export latency %s above poll_interval + delay + 5s (%s)", r.name, p, ddLatencyBound)
		}
	}

	// Quota: the whole run in one 5-minute window.
	qOff := requireWithinBudget(t, off.tb.sim, ddBudget, ddBudget)
	qOn := requireWithinBudget(t, on.tb.sim, ddBudget, ddShare)
	if qOn.Details < dd.Lookups {
		t.Errorf("%d lookups sent for %d chosen rows", qOn.Details, dd.Lookups)
	}
	fig.Other = fmt.Sprintf("live rows' export latency p50/p99: details off %s/%s, on %s/%s (n=%d, %d); %d chosen rows' %d events; peak requests per 5 minutes %d off, %d on (%d lookups, share %d, budget %d)",
		quantile(lat[off], 0.5).Round(10*time.Millisecond), quantile(lat[off], 0.99).Round(10*time.Millisecond),
		quantile(lat[on], 0.5).Round(10*time.Millisecond), quantile(lat[on], 0.99).Round(10*time.Millisecond),
		len(lat[off]), len(lat[on]), dd.Lookups, dd.Events, qOff.Peak, qOn.Peak, qOn.DetailPeak, ddShare, ddBudget)
	t.Log(fig.Other)
}

// sameRows reports whether two truths hold the same rows received in
// [from, cutoff].
func sameRows(a, b []truthRow, from, cutoff time.Time) bool {
	keys := func(rows []truthRow) map[rowKey]bool {
		m := map[rowKey]bool{}
		for _, r := range rows {
			if !r.Received.Before(from) && !r.Received.After(cutoff) {
				m[r.StatusKey()] = true
			}
		}
		return m
	}
	ka, kb := keys(a), keys(b)
	if len(ka) != len(kb) {
		return false
	}
	for k := range ka {
		if !kb[k] {
			return false
		}
	}
	return true
}

// requireRowsUnchanged: every row line is its truth row's JSON, field by
// field (details on adds records, never fields to rows).
func requireRowsUnchanged(t *testing.T, lines [][]byte, truth []truthRow) {
	t.Helper()
	byKey := map[rowKey]truthRow{}
	for _, r := range truth {
		byKey[r.StatusKey()] = r
	}
	changed := 0
	for _, l := range lines {
		row, err := parseLine(l)
		if err != nil {
			continue // requireComplete counts it
		}
		r, ok := byKey[row.Key]
		if !ok {
			continue
		}
		if diff := lineMatchesRow(row, r); diff != "" {
			if changed++; changed <= 3 {
				t.Errorf("row %v differs from the truth: %s", row.Key, diff)
			}
		}
	}
}

// rowLatencies are the export latencies (first seen at the source minus
// received: no row is delayed here) of truth's rows received in window,
// from all the lines the source received and when it did.
func rowLatencies(truth []simulator.Row, all [][]byte, at []time.Time, window [2]time.Time) (d []time.Duration, missing int) {
	firstSeen := map[rowKey]time.Time{}
	for i, l := range all {
		if isDetailLine(l) {
			continue
		}
		row, err := parseLine(l)
		if err != nil {
			continue
		}
		if _, ok := firstSeen[row.Key]; !ok {
			firstSeen[row.Key] = at[i]
		}
	}
	for _, r := range truth {
		if r.Received.Before(window[0]) || r.Received.After(window[1]) {
			continue
		}
		seen, ok := firstSeen[r.StatusKey()]
		if !ok {
			missing++
			continue
		}
		d = append(d, seen.Sub(r.Received))
	}
	return d, missing
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
