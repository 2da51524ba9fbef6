//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// TestDetailsCrashes: the collector is killed with SIGKILL three times
// while it looks up detail events, and restarted on the same file_storage
// each time. Every API answer and every upload to the fake Sumo Logic
// source is slowed, so that each lookup takes most of a second and a kill
// lands where it is meant to: the first while a lookup's request is in
// flight, the other two while a lookup's events are being uploaded (sent
// in full, not yet acknowledged: the worst moment, the events land but the
// lookup is not recorded). No lookup is lost: every chosen row's events
// arrive; each crash repeats the events of at most the one lookup in
// flight, and sends at most that one lookup again; the rows keep their own
// promise (at most the page in flight); the tenant stays within its budget
// and the share across the restarts.
func TestDetailsCrashes(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	const (
		kills      = 3
		pageSize   = 100
		budget     = 100
		share      = 70
		apiSlow    = 250 * time.Millisecond
		uploadSlow = 400 * time.Millisecond
	)
	fig := recordFigures(t, fmt.Sprintf("%d SIGKILLs during detail lookups (1 while a lookup's request is in flight, 2 while its events are uploaded; API answers %s and uploads %s slow), restarted on the same file_storage; %s; counts are detail events",
		kills, apiSlow, uploadSlow, detailsMix))
	// ~58 rows of history, ~23 of them chosen, and a few live ones: all
	// their lookups, and a repeat per crash, fit one 5-minute share.
	tb := newTestbed(t, bins, detailsSimArgs(0.004, 14400)...)
	historyStart := tb.sim.started.Add(-time.Hour)
	tb.sim.SetFaults(simulator.Faults{Slow: 1, SlowDelay: simulator.Duration(apiSlow)})
	tb.sim.SumoSlow(10*time.Minute, uploadSlow)

	cfg := tb.config("graph", time.Hour)
	receiverOf(cfg)["page_size"] = pageSize
	receiverOf(cfg)["poll_interval"] = "3s"
	withDetails(cfg, budget, share, 0)

	lookups := func() int { return quotaOf(tb.sim.Requests(time.Time{})).Details }
	// uploading: an upload has reached the source and waits for its answer.
	uploading := func() bool { st := tb.sim.SumoStats(); return st.Requests > st.Accepted+st.Rejected }
	type crash struct {
		moment string
		lookup int // lookups sent before the kill
		at     int // lines the source had when the collector died
	}
	var crashes []crash
	for i := range kills {
		before := lookups()
		col := tb.startCollector(t, bins, cfg)
		if !waitFor(60*time.Second, func() bool { return lookups() > before }) {
			t.Fatalf("run %d: no detail lookup within 60s", i+1)
		}
		moment := "a lookup's request in flight"
		inFlight := func() bool { return lookups() > before && !uploading() }
		if i > 0 {
			moment = "a lookup's events being uploaded"
			inFlight = uploading
		}
		if !waitFor(30*time.Second, inFlight) {
			t.Fatalf("run %d: never caught %s", i+1, moment)
		}
		if !col.Running() {
			t.Fatalf("the collector exited by itself before crash %d", i+1)
		}
		col.Kill()
		// The source stores a body sent in full after its delay, although
		// its sender died: wait for it, so that its lines count before this
		// crash.
		time.Sleep(uploadSlow + 300*time.Millisecond)
		crashes = append(crashes, crash{moment: moment, lookup: lookups(), at: len(tb.sim.Lines())})
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
		report = append(report, fmt.Sprintf("#%d during %s (%d lookups sent): events of %d lookups repeated", i+1, c.moment, c.lookup, len(perCrash[i])))
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
	sentAgain := q.DetailsAnswered - len(done)
	if sentAgain > kills {
		t.Errorf("%d lookups answered for %d rows: %d sent again, more than one per crash (%d)", q.DetailsAnswered, len(done), sentAgain, kills)
	}
	fig.Rows, fig.Lost, fig.Repeated = dd.Events, &dd.Missing, &dd.Repeated
	fig.Promise = "0 lookups lost; at most the one in flight repeated per crash"
	fig.Other = fmt.Sprintf("%d chosen rows; lookups whose events one crash repeated: at most %d; lookups sent again: %d in all; %s", dd.Lookups, mostLookups, sentAgain, q)
}
