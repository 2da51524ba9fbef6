//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHAFailoverKill: two replicas on one lease and one PostgreSQL; the
// leader is killed with SIGKILL 10 times, during the backfill and during
// live collection, and started again as the standby once the other has
// taken over. Nothing is lost, each failover repeats at most the page in
// flight, no two replicas send within one lease period, and the failover
// time (the kill to the new leader's first request) is measured against
// the lease settings.
func TestHAFailoverKill(t *testing.T) {
	t.Parallel() // waits on the processes, little CPU
	bins := requireBinaries(t)
	const (
		days, perDay = 2, 20000
		pageSize     = 500
		failovers    = 10
		inBackfill   = 6
	)
	fig := recordFigures(t, fmt.Sprintf("2 replicas, %d SIGKILLs of the leader (%d aimed at the backfill, %d at live collection), each restarted as the standby; page_size %d; %s",
		failovers, inBackfill, failovers-inBackfill, pageSize, haLease))
	tb, rs := startHA(t, bins, append(historyArgs(days, perDay), "-rate-limit", "-1"), days*24*time.Hour+time.Hour, func(cfg yamlMap) {
		receiverOf(cfg)["page_size"] = pageSize
		receiverOf(cfg)["max_requests_per_5m"] = 0
	})
	historyStart := tb.sim.started.Add(-days*24*time.Hour - time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))
	// A slow source stretches the backfill over the leaders' uptimes, as in
	// TestCrashes.
	tb.sim.SumoSlow(10*time.Minute, 100*time.Millisecond)
	backfillDone := func() bool { return tb.sim.SumoStats().Lines >= history }

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("kill schedule seed %d; history %d rows", seed, history)

	began, first := rs.StartAllAndWaitLeader()
	leader, leading := first.Client, first.Time

	type kill struct {
		phase    string
		leader   string
		uptime   time.Duration
		failover time.Duration
		at       int64 // lines the source had when the leader died
	}
	var kills []kill
	for i := 0; i < failovers; i++ {
		uptime := 300*time.Millisecond + time.Duration(rng.Int64N(int64(1200*time.Millisecond)))
		if i >= inBackfill {
			tb.requireBackfill(t, history)
			uptime = time.Second + time.Duration(rng.Int64N(int64(2*time.Second)))
		}
		time.Sleep(time.Until(leading.Add(uptime)))
		phase := "backfill"
		if backfillDone() {
			phase = "live"
		}
		if !rs.Proc(leader).Running() {
			t.Fatalf("replica %s exited by itself before kill %d", leader, i+1)
		}
		killAt := time.Now()
		rs.Kill(leader)
		// The source answers after its 100ms delay and still stores a body
		// sent in full before the kill: count its lines with this kill.
		time.Sleep(250 * time.Millisecond)
		k := kill{phase: phase, leader: leader, uptime: uptime, at: tb.sim.SumoStats().Lines}
		next, ok := rs.waitSender(killAt, leader, 30*time.Second)
		if !ok {
			t.Fatalf("kill %d: no new leader within 30s of killing %s", i+1, leader)
		}
		k.failover = next.Time.Sub(killAt)
		kills = append(kills, k)
		rs.Start(leader) // back as the standby
		leader, leading = next.Client, next.Time
	}

	d := tb.finishAndJudge(t, history, historyStart, rs.StopAll, failovers*pageSize, fig,
		fmt.Sprintf("0 lost; ≤ %d (the page in flight) repeated per failover; one replica at a time", pageSize))

	eventAt := make([]int64, len(kills))
	for i, e := range kills {
		eventAt[i] = e.at
	}
	perKill := repeatsPerEvent(t, d, eventAt, pageSize, "failover")
	var times []time.Duration
	var report []string
	phases := map[string]int{}
	for i, k := range kills {
		phases[k.phase]++
		times = append(times, k.failover)
		report = append(report, fmt.Sprintf("#%d %s: %s killed after %s, new leader after %s, %d dup",
			i+1, k.phase, k.leader, k.uptime.Round(time.Millisecond), k.failover.Round(time.Millisecond), perKill[i]))
	}
	t.Logf("failovers: %v; failover time %s (%s); duplicates in total %d\n  %s", phases, spread(times), haLease,
		d.Duplicated, strings.Join(report, "\n  "))
	if phases["backfill"] == 0 || phases["live"] == 0 {
		t.Errorf("failovers did not cover both phases: %v", phases)
	}

	rs.checkOneSender(tb.sim.Requests(began), failovers)
	fig.Other = fmt.Sprintf("failover (kill to the new leader's first request) %s, lease_duration %s; most repeated by one failover %d",
		spread(times), haLease.Duration, slices.Max(perKill))
}
