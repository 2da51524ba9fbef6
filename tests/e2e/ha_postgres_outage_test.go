//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestHAPostgresOutage: the replicas' PostgreSQL is stopped for 60s during
// live collection and started again. The leader reports a recoverable
// error (the health check shows it, all through the outage) and keeps
// delivering what it reads; once PostgreSQL is back, collection resumes by
// itself, the status is OK again, and the first write that succeeds records
// everything delivered meanwhile. The lease is not PostgreSQL's, so the
// leader stays through the outage. Then it is stopped and the standby
// takes over from storage alone: its settling pass re-reads the outage's
// time with the keys the old leader stored, and emits none of its rows
// again. Nothing is lost, nothing repeated.
func TestHAPostgresOutage(t *testing.T) {
	t.Parallel() // waits on the processes, little CPU
	bins := requireBinaries(t)
	const (
		days, perDay = 0.02, 200000 // 29 minutes of history, ~2.3 new rows/s
		pageSize     = 1000
		outage       = 60 * time.Second
		// settle is long enough that the old leader re-reads little of the
		// outage's time before it is stopped: the new leader does, from
		// what storage holds.
		settle = 40 * time.Second
	)
	fig := recordFigures(t, fmt.Sprintf("2 replicas, settle %s; their PostgreSQL stopped (fast shutdown) for %s during live collection, then started again; then the leader stopped (SIGTERM), the standby re-reading the outage's time", settle, outage))
	tb, rs := startHA(t, bins, historyArgs(days, perDay), time.Hour, func(cfg yamlMap) {
		receiverOf(cfg)["page_size"] = pageSize
		receiverOf(cfg)["settle"] = settle.String()
		// The standby takes the request budget over from storage: with 1s
		// polls the leader spends all of it before the stop, and the new
		// leader then waits minutes for the window to roll.
		receiverOf(cfg)["poll_interval"] = "3s"
		receiverOf(cfg)["max_requests_per_5m"] = 100
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
	time.Sleep(10 * time.Second)
	after := watch.snapshot()

	// The standby takes over from storage alone.
	handoverAt := time.Now()
	rs.Stop(leader)
	next, ok := rs.waitSender(handoverAt, leader, 30*time.Second)
	if !ok {
		t.Fatalf("no replica took over within 30s of stopping leader %s", leader)
	}
	// The settling pass reads a step of `settle` once its end is `settle`
	// old: all of the outage's time is read again within 2*settle of its end.
	time.Sleep(time.Until(upAt.Add(2*settle + 5*time.Second)))
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
	requireComplete(t, d, 0)
	setDelivery(fig, d, "0 lost; 0 repeated, also after a failover; recoverable, then OK")
	assertNoSecretsInLines(t, lines)

	t.Logf("%d lines exported during the outage", linesDown-linesAtDown)
	// The lease is not PostgreSQL's: the leader stays through the outage;
	// the one handover is the stop's.
	all := rs.checkOneSender(tb.sim.Requests(began), 1)
	fig.Other = fmt.Sprintf("status recoverable (%q; back to OK %d times during the outage), then OK %s after PostgreSQL was back; %d handovers (the stop's: %s took over)",
		truncate([]byte(during.firstErrorText), 80), during.toOK, recovery.Round(100*time.Millisecond), len(all), next.Client)
}
