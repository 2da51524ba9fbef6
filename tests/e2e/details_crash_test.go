//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// TestDetailsCrashes: the collector is killed with SIGKILL three times
// while it looks up detail events (every API answer slowed, so that the
// lookups take seconds), and restarted on the same file_storage each time.
// No lookup is lost: every chosen row's events arrive; each crash repeats
// the events of at most the one lookup in flight, and sends at most that
// one lookup again; the rows keep their own promise (at most the page in
// flight); the tenant stays within its budget across the restarts.
func TestDetailsCrashes(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	const (
		kills    = 3
		pageSize = 100
		budget   = 100
		share    = 70
		slow     = 250 * time.Millisecond
	)
	fig := recordFigures(t, fmt.Sprintf("%d SIGKILLs during detail lookups (every API answer %s slow), restarted on the same file_storage; %s", kills, slow, detailsMix))
	// ~58 rows of history, ~23 of them chosen, and a few live ones: all
	// their lookups, and a repeat per crash, fit one 5-minute share.
	tb := newTestbed(t, bins, detailsSimArgs(0.004, 14400)...)
	historyStart := tb.sim.started.Add(-time.Hour)
	tb.sim.SetFaults(simulator.Faults{Slow: 1, SlowDelay: simulator.Duration(slow)})

	cfg := tb.config("graph", time.Hour)
	receiverOf(cfg)["page_size"] = pageSize
	receiverOf(cfg)["poll_interval"] = "3s"
	withDetails(cfg, budget, share, 0)

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	lookups := func() int { return quotaOf(tb.sim.Requests()).Details }
	type crash struct {
		after  time.Duration // since this run's first lookup
		lookup int           // lookups sent before the kill
		at     int           // lines the source had when the collector died
	}
	var crashes []crash
	for i := range kills {
		before := lookups()
		col := tb.startCollector(t, bins, cfg)
		if !waitFor(60*time.Second, func() bool { return lookups() > before }) {
			t.Fatalf("run %d: no detail lookup within 60s", i+1)
		}
		after := time.Duration(rng.Int64N(int64(3 * slow)))
		time.Sleep(after)
		if !col.Running() {
			t.Fatalf("the collector exited by itself before crash %d", i+1)
		}
		col.Kill()
		time.Sleep(250 * time.Millisecond) // a body sent in full before the kill still lands
		crashes = append(crashes, crash{after: after, lookup: lookups(), at: len(tb.sim.Lines())})
	}

	// A last run finishes the lookups.
	col := tb.startCollector(t, bins, cfg)
	cutoff := time.Now().Add(-5 * time.Second)
	mustHave := tb.sim.DetailsTruth(historyStart, cutoff, detailStatuses)
	if len(mustHave)+kills > share-10 {
		t.Fatalf("the tenant has %d chosen rows: with %d repeats more lookups than the share (%d) allows in one 5-minute window; shrink the data", len(mustHave), kills, share)
	}
	if !waitFor(90*time.Second, func() bool {
		_, dl, _, _ := splitLines(tb.sim.Lines())
		return len(dl) >= eventCount(mustHave)
	}) {
		t.Errorf("the detail events of %d chosen rows did not all arrive within 90s", len(mustHave))
	}
	time.Sleep(2 * time.Second)
	stopAt := time.Now()
	col.Stop()

	lines := tb.sim.Lines()
	assertNoSecretsInLines(t, lines)
	rows, details, detailAt, bad := splitLines(lines)
	requireDetailFields(t, "", bad)
	requireComplete(t, compare(tb.sim.Truth(historyStart, stopAt), rows, cutoff), kills*pageSize)
	dd := compareDetails(mustHave, tb.sim.DetailsTruth(cutoff.Add(time.Nanosecond), stopAt, detailStatuses), details, detailAt)
	t.Logf("details: %s", dd)
	if dd.Missing > 0 || dd.Unexpected > 0 {
		t.Errorf("lookups lost or events misplaced: %s\n  %s", dd, strings.Join(dd.Samples, "\n  "))
	}

	// Attribute each repeated event to the crash before it arrived: the
	// events of one lookup at most per crash.
	perCrash := make([]map[lookupKey]int, kills)
	for i := range perCrash {
		perCrash[i] = map[lookupKey]int{}
	}
	outside := 0
	for j, at := range dd.RepeatedAt {
		k := -1
		for i := kills - 1; i >= 0; i-- {
			if at >= crashes[i].at {
				k = i
				break
			}
		}
		if k < 0 {
			outside++
			continue
		}
		perCrash[k][dd.RepeatedOf[j]]++
	}
	if outside > 0 {
		t.Errorf("%d events repeated before any crash", outside)
	}
	var report []string
	mostLookups := 0
	for i, c := range crashes {
		mostLookups = max(mostLookups, len(perCrash[i]))
		report = append(report, fmt.Sprintf("#%d %s after the run's first lookup (%d lookups sent): events of %d lookups repeated", i+1, c.after.Round(time.Millisecond), c.lookup, len(perCrash[i])))
		if len(perCrash[i]) > 1 {
			t.Errorf("crash %d repeated the events of %d lookups, more than the one in flight: %v", i+1, len(perCrash[i]), perCrash[i])
		}
	}
	t.Logf("crashes:\n  %s", strings.Join(report, "\n  "))
	q := requireWithinBudget(t, tb.sim, budget, share)
	// Every lookup answers at least one event (Receive): the lookups done
	// are the distinct rows among the detail lines.
	done := map[lookupKey]bool{}
	for _, d := range details {
		done[d.lookup()] = true
	}
	if extra := q.Details - len(done); extra > kills {
		t.Errorf("%d lookups sent for %d rows: %d sent again, more than one per crash (%d)", q.Details, len(done), extra, kills)
	}
	fig.Rows, fig.Lost, fig.Repeated = dd.Events, &dd.Missing, &dd.Repeated
	fig.Promise = "0 lookups lost; at most the one in flight repeated per crash"
	fig.Other = fmt.Sprintf("%d chosen rows; most lookups repeated by one crash: %d; %d lookups sent in all; %s", dd.Lookups, mostLookups, q.Details, q)
}
