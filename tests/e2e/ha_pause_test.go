//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// TestHAFailoverPause: the leader is frozen with SIGSTOP past its lease (a
// long GC pause, a frozen node) 3 times, during the backfill, just after a
// request of its failed (the API answers 503 until it is frozen), so that
// a retry timer comes due while it is frozen; the other replica takes
// over, and then the frozen one is woken with SIGCONT. The woken replica
// sends no request at all, though its retry is overdue and its elector has
// not yet seen the lease lost (each request checks the lease right before
// it leaves), and records nothing (a write finds the newer leader in
// storage); the next leader
// (the stale one of the round before) resumes where the last one stopped,
// so the shared cursor never went backwards or forwards over rows it did
// not deliver. Nothing is lost; the duplicates are counted.
func TestHAFailoverPause(t *testing.T) {
	t.Parallel() // waits on the processes, little CPU
	bins := requireBinaries(t)
	const (
		days, perDay = 1, 20000
		pageSize     = 500
		pauses       = 3
	)
	fig := recordFigures(t, fmt.Sprintf("2 replicas, %d SIGSTOPs of the leader during the backfill, past the lease (%s), then SIGCONT; the source answers in 400ms",
		pauses, haLease))
	tb, rs := startHA(t, bins, append(historyArgs(days, perDay), "-rate-limit", "-1"), days*24*time.Hour+time.Hour, func(cfg yamlMap) {
		receiverOf(cfg)["page_size"] = pageSize
		receiverOf(cfg)["max_requests_per_5m"] = 0
		// A failed request is retried within the pause.
		receiverOf(cfg)["retry_on_failure"] = yamlMap{"initial_interval": "1s", "max_interval": "2s"}
	})
	historyStart := tb.sim.started.Add(-days*24*time.Hour - time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))
	tb.sim.SumoSlow(10*time.Minute, 400*time.Millisecond)

	began, first := rs.StartAllAndWaitLeader()
	leader, leading := first.Client, first.Time

	type pause struct {
		stale              string
		failover           time.Duration
		stoppedFor         time.Duration
		at                 int64 // lines the source had when the leader froze
		staleRequests      int   // sent after waking
		staleLast          time.Duration
		lostLog, newerLogs int
	}
	var ps []pause
	var staleReqs []simRequest // left out of the one-sender check, judged here
	for i := 0; i < pauses; i++ {
		time.Sleep(time.Until(leading.Add(1500 * time.Millisecond)))
		stale := leader
		proc := rs.Proc(stale)
		lostBefore, newerBefore := countLines(proc.Log(), logLostLease), countLines(proc.Log(), logNewerLeader)
		// Freeze the leader just after one of its requests failed: its
		// retry comes due during the pause.
		failAt := time.Now()
		tb.sim.SetFaults(simulator.Faults{Unavailable: 1})
		if !waitFor(30*time.Second, func() bool {
			return slices.ContainsFunc(tb.sim.Requests(failAt), func(r simRequest) bool { return r.Client == stale && r.Status == 503 })
		}) {
			t.Fatalf("pause %d: %s sent no request within 30s", i+1, stale)
		}
		stopAt := time.Now()
		rs.Pause(stale)
		tb.sim.SetFaults(simulator.Faults{})
		p := pause{stale: stale, at: tb.sim.SumoStats().Lines}
		next, ok := rs.waitSender(stopAt, stale, 30*time.Second)
		if !ok {
			t.Fatalf("pause %d: no new leader within 30s of freezing %s", i+1, stale)
		}
		p.failover = next.Time.Sub(stopAt)
		// Past the lease by a second at least, and while the new leader
		// collects.
		time.Sleep(max(time.Until(stopAt.Add(haLease.Duration+time.Second)), time.Second))
		contAt := time.Now()
		p.stoppedFor = contAt.Sub(stopAt)
		rs.Resume(stale)
		time.Sleep(5 * time.Second)
		for _, r := range tb.sim.Requests(contAt) {
			if r.Client != stale {
				continue
			}
			staleReqs = append(staleReqs, r)
			p.staleRequests++
			p.staleLast = r.Time.Sub(contAt)
			t.Errorf("pause %d: the woken replica %s sent a request %s after SIGCONT while %s held the lease", i+1, stale,
				r.Time.Sub(contAt).Round(time.Millisecond), next.Client)
		}
		log := proc.Log()
		p.lostLog = countLines(log, logLostLease) - lostBefore
		p.newerLogs = countLines(log, logNewerLeader) - newerBefore
		if p.lostLog < 1 {
			t.Errorf("pause %d: the woken replica %s did not log %q", i+1, stale, logLostLease)
		}
		if !proc.Running() {
			t.Errorf("pause %d: the woken replica %s exited: %v", i+1, stale, proc.err)
		}
		ps = append(ps, p)
		leader, leading = next.Client, next.Time
	}
	// A last handover, to the replica woken last: it must resume from what
	// the leader before it recorded, whatever the stale one tried.
	handAt := time.Now()
	rs.Stop(leader)
	last, ok := rs.waitSender(handAt, leader, 30*time.Second)
	if !ok {
		t.Fatalf("no replica took over within 30s of stopping %s", leader)
	}
	d := tb.finishAndJudge(t, history, historyStart, rs.StopAll, pauses*pageSize, fig,
		fmt.Sprintf("0 lost; ≤ %d (the page in flight) repeated per failover; the woken replica sends and records nothing", pageSize))

	eventAt := make([]int64, len(ps))
	for i, e := range ps {
		eventAt[i] = e.at
	}
	perPause := repeatsPerEvent(t, d, eventAt, pageSize, "pause")
	var times []time.Duration
	var report []string
	staleTotal, newer := 0, 0
	for i, p := range ps {
		times = append(times, p.failover)
		staleTotal += p.staleRequests
		newer += p.newerLogs
		report = append(report, fmt.Sprintf("#%d: %s frozen for %s, new leader after %s; after SIGCONT %d requests (last at +%s), %q %d, %q %d; %d dup",
			i+1, p.stale, p.stoppedFor.Round(time.Millisecond), p.failover.Round(time.Millisecond), p.staleRequests,
			p.staleLast.Round(time.Millisecond), logLostLease, p.lostLog, logNewerLeader, p.newerLogs, perPause[i]))
	}
	t.Logf("pauses: failover %s (%s); last handover %s; duplicates in total %d\n  %s", spread(times), haLease,
		last.Time.Sub(handAt).Round(time.Millisecond), d.Duplicated, strings.Join(report, "\n  "))

	reqs := slices.DeleteFunc(tb.sim.Requests(began), func(r simRequest) bool {
		return slices.ContainsFunc(staleReqs, func(s simRequest) bool { return s == r })
	})
	t.Logf("%d requests by woken replicas, left out of the one-sender check", len(staleReqs))
	rs.checkOneSender(reqs, pauses+1) // and the last handover
	fig.Other = fmt.Sprintf("failover %s; after waking: %d requests in all, %d %q refusals; most repeated by one failover %d",
		spread(times), staleTotal, newer, logNewerLeader, slices.Max(perPause))
}
