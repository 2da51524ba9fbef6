//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestHAPostgresOutage: the replicas' PostgreSQL is stopped for 60s during
// live collection and started again. The leader reports a recoverable
// error (the health check shows it, all through the outage) and moves no
// cursor; once PostgreSQL
// is back, collection resumes by itself and the status is OK again; nothing
// is lost and at most one page repeated. The lease is not PostgreSQL's, so
// the leader stays.
func TestHAPostgresOutage(t *testing.T) {
	t.Parallel() // waits on the processes, little CPU
	bins := requireBinaries(t)
	const (
		days, perDay = 0.02, 200000 // 29 minutes of history, ~2.3 new rows/s
		pageSize     = 1000
		outage       = 60 * time.Second
	)
	fig := recordFigures(t, fmt.Sprintf("2 replicas; their PostgreSQL stopped (fast shutdown) for %s during live collection, then started again", outage))
	tb, rs := startHA(t, bins, historyArgs(days, perDay), time.Hour, func(cfg yamlMap) {
		receiverOf(cfg)["page_size"] = pageSize
	})
	historyStart := tb.sim.started.Add(-time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))

	began, first := rs.StartAllAndWaitLeader()
	leader := first.Client
	if !waitFor(60*time.Second, func() bool { return tb.sim.SumoStats().Lines >= history }) {
		t.Fatalf("backfill incomplete after 60s: %d of %d rows", tb.sim.SumoStats().Lines, history)
	}
	watch := watchReceiverStatus(rs.Proc(leader))
	defer watch.stop()
	time.Sleep(3 * time.Second)

	linesAtDown := tb.sim.SumoStats().Lines
	downAt := time.Now()
	rs.pg.Stop()
	time.Sleep(outage)
	during := watch.snapshot()
	linesDown := tb.sim.SumoStats().Lines
	rs.pg.Start()
	upAt := time.Now()
	recovered := waitFor(60*time.Second, func() bool { return watch.snapshot().toOK > during.toOK })
	recovery := time.Since(upAt)
	// A few polls after, so that the rows of the outage arrive.
	time.Sleep(6 * time.Second)
	after := watch.snapshot()
	stopAt := time.Now()
	rs.StopAll()

	t.Logf("PostgreSQL down %s; leader %s's status during it: %s; after: %s; OK again %s after the restart",
		upAt.Sub(downAt).Round(time.Millisecond), leader, during, after, recovery.Round(time.Millisecond))
	if during.toError == 0 {
		t.Errorf("the leader's status never showed a recoverable error while PostgreSQL was down: %s", during)
	}
	if during.toOK > 0 {
		t.Errorf("the leader's status went back to OK %d times while PostgreSQL was still down (polls that wrote nothing): %s", during.toOK, during)
	}
	if !recovered {
		t.Errorf("the leader's status was not OK within 60s of PostgreSQL's restart: %s", after)
	}
	if after.lastReceiver != "StatusOK" {
		t.Errorf("the leader's status at the end is %s, want StatusOK", after.lastReceiver)
	}

	cutoff := stopAt.Add(-5 * time.Second)
	lines := tb.sim.Lines()
	d := compare(tb.sim.Truth(historyStart, cutoff), lines, cutoff)
	requireComplete(t, d, pageSize)
	setDelivery(fig, d, fmt.Sprintf("0 lost; ≤ %d (one page) repeated; recoverable, then OK", pageSize))
	assertNoSecretsInLines(t, lines)

	t.Logf("%d lines exported during the outage", linesDown-linesAtDown)
	// The lease is not PostgreSQL's: the leader stays.
	all := rs.checkOneSender(tb.sim.Requests(began), 0)
	fig.Other = fmt.Sprintf("status recoverable (%q; back to OK %d times during the outage), then OK %s after PostgreSQL was back; %d handovers",
		truncate([]byte(during.firstErrorText), 80), during.toOK, recovery.Round(100*time.Millisecond), len(all))
}
