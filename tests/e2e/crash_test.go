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

// TestCrashes: the collector is killed with SIGKILL at 20 random moments,
// during the backfill and during live collection, and restarted each time on
// the same file_storage. Nothing is lost; each crash repeats at most the page
// in flight.
func TestCrashes(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	testCrashes(t, bins, "graph", 20)
}

// TestCrashesReporting: the same on the legacy report (numeric skiptokens,
// relative nextLinks, hour windows), with 10 crashes.
func TestCrashesReporting(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	testCrashes(t, bins, "reporting", 10)
}

func testCrashes(t *testing.T, bins binaries, api string, crashes int) {
	const (
		days, perDay = 2, 20000
		pageSize     = 500
	)
	inBackfill := crashes * 3 / 5 // the first crashes are aimed at the backfill
	fig := recordFigures(t, fmt.Sprintf("%d SIGKILLs at random moments (%d aimed at the backfill, %d at live collection), %s API, page_size %d; restarted on the same file_storage",
		crashes, inBackfill, crashes-inBackfill, api, pageSize))
	// No quota: each restart starts a fresh budget, and the quota has its
	// own test.
	tb := newTestbed(t, bins, append(historyArgs(days, perDay), "-rate-limit", "-1")...)
	historyStart := tb.sim.started.Add(-days*24*time.Hour - time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))
	// A slow Sumo Logic source stretches the backfill over several seconds
	// of collector uptime, so that crashes land inside it.
	tb.sim.SumoSlow(10*time.Minute, 100*time.Millisecond)

	cfg := tb.config(api, days*24*time.Hour+time.Hour)
	receiverOf(cfg)["page_size"] = pageSize
	receiverOf(cfg)["max_requests_per_5m"] = 0

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("crash schedule seed %d; history %d rows, page_size %d", seed, history, pageSize)

	type crash struct {
		phase  string
		uptime time.Duration
		at     int64 // lines the source had received when the collector died
	}
	var log []crash
	backfillDone := func() bool { return tb.sim.SumoStats().Lines >= history }
	for i := 0; i < crashes; i++ {
		col := tb.startCollector(t, bins, cfg)
		uptime := 300*time.Millisecond + time.Duration(rng.Int64N(int64(1200*time.Millisecond)))
		if i >= inBackfill {
			tb.requireBackfill(t, history)
			uptime = time.Second + time.Duration(rng.Int64N(int64(2*time.Second)))
		}
		time.Sleep(uptime)
		phase := "backfill"
		if backfillDone() {
			phase = "live"
		}
		if !col.Running() {
			t.Fatalf("collector exited by itself before crash %d", i+1)
		}
		col.Kill()
		// The source answers after its 100ms delay and still stores a body
		// that was sent in full before the kill: wait for it, so that the
		// lines of the killed run count before this crash.
		time.Sleep(250 * time.Millisecond)
		log = append(log, crash{phase: phase, uptime: uptime, at: tb.sim.SumoStats().Lines})
	}

	// A last run finishes the backfill and follows live for a while.
	col := tb.startCollector(t, bins, cfg)
	d := tb.finishAndJudge(t, history, historyStart, col.Stop, crashes*pageSize, fig,
		fmt.Sprintf("0 lost; ≤ %d (the page in flight) repeated per crash", pageSize))

	// Attribute each extra copy to the crash before it arrived.
	eventAt := make([]int64, len(log))
	for i, e := range log {
		eventAt[i] = e.at
	}
	perCrash := repeatsPerEvent(t, d, eventAt, pageSize, "crash")
	var report []string
	phases := map[string]int{}
	for i, c := range log {
		phases[c.phase]++
		report = append(report, fmt.Sprintf("#%d %s after %s: %d dup", i+1, c.phase, c.uptime.Round(time.Millisecond), perCrash[i]))
	}
	fig.Other = fmt.Sprintf("most repeated by one crash: %d", slices.Max(perCrash))
	t.Logf("crashes: %v; duplicates in total %d (%.1f per crash)\n  %s", phases, d.Duplicated,
		float64(d.Duplicated)/float64(crashes), strings.Join(report, "\n  "))
	if phases["backfill"] == 0 || phases["live"] == 0 {
		t.Errorf("crashes did not cover both phases: %v", phases)
	}
}
