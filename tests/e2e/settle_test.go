//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// settleTenant is the mail flow of the settling tests: 400,000 rows a day
// (about 4.6 a second), 30% of them visible only after up to 8s (skewed to
// short delays), 30% first shown as pending or gettingStatus and final up to
// 1s + 3s after they became visible. Seconds stand for the minutes and hours
// of a real tenant.
var settleTenant = simulator.Config{
	Seed: 8,
	Model: simulator.ModelConfig{
		RowsPerDay:         400000,
		DelayedFraction:    0.3,
		MaxVisibilityDelay: 8 * time.Second,
		ChangingFraction:   0.3,
		MaxChangeDelay:     3 * time.Second,
	},
	RateLimit: -1,
}

const (
	settleDelay = 2 * time.Second
	settlePoll  = time.Second
	// settleOn is more than the latest final status (8s + 1s + 3s), so the
	// settling pass reads every row in its final state.
	settleOn = 15 * time.Second
	// settleLookback is where the first run starts; rows before
	// settleLookback-2s are not judged (the start is truncated to the second).
	settleLookback = 20 * time.Second
	// settleLive is how long rows arrive in the judged window after start.
	settleLive = 25 * time.Second
	// liveEndTruncation: the live pass reads up to now - delay truncated to
	// the second (window.LiveEnd), which can add up to a second.
	liveEndTruncation = time.Second
	// measureSlack covers export, the sink and its 50ms polling, on a
	// loaded machine (the two runs and their simulators share it).
	measureSlack = time.Second
)

func settleSimArgs() []string {
	m := settleTenant.Model
	return []string{"-seed", fmt.Sprint(settleTenant.Seed), "-days", "0.01", "-daily-swing", "0",
		"-rows-per-day", fmt.Sprint(m.RowsPerDay),
		"-delayed-fraction", fmt.Sprint(m.DelayedFraction), "-max-visibility-delay", m.MaxVisibilityDelay.String(),
		"-changing-fraction", fmt.Sprint(m.ChangingFraction), "-max-change-delay", m.MaxChangeDelay.String(),
		"-rate-limit", fmt.Sprint(settleTenant.RateLimit)}
}

// TestSettle runs the same tenant twice at once, with the settling pass
// (settle 15s) and without it (settle 0), both with delay 2s and 1s polls.
//
// With settle: every row's final status is delivered, no row is missed, no
// (id, recipient, status) is exported twice; a row visible when the live
// pass first reads its time is exported within poll_interval + delay (+ the
// live end's truncation to the second) of becoming visible, the others by
// the settling pass within 2*settle + poll_interval of being received (the
// pass re-reads in steps of min(1h, settle) once the step's end is settle
// old). Without it: the rows and final statuses that became visible after
// the live read are missing, and only those. The request counters of the
// two runs give the settling pass's extra requests per day of data.
func TestSettle(t *testing.T) {
	bins := requireBinaries(t)
	oracleCfg := settleTenant
	oracleCfg.Model.From = time.Now().Add(-time.Hour)
	// The same model in this process: its rows carry what the admin truth
	// leaves out (visibility delay, interim status, when the status changes).
	oracle, err := simulator.Start(oracleCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer oracle.Close()

	runs := map[string]*settleRun{}
	var mu sync.Mutex
	t.Run("runs", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			settle time.Duration
		}{{"settle_15s", settleOn}, {"settle_0", 0}} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				r := runSettle(t, bins, oracle, settleAPI(), c.settle)
				mu.Lock()
				runs[c.name] = r
				mu.Unlock()
			})
		}
	})
	on, off := runs["settle_15s"], runs["settle_0"]
	if on == nil || off == nil {
		t.Fatal("a run did not finish")
	}

	// Every final status the run without settling missed, the run with it
	// delivered.
	for _, e := range off.missingFinal {
		if _, ok := on.arrived[e.key]; !ok && !e.received.Before(on.judgedStart) && !e.received.After(on.end) {
			t.Errorf("%s missed without settling and with it", e.key)
		}
	}

	extra := on.apiRequests - off.apiRequests
	day := 24 * time.Hour
	perDay := func(n int64, span time.Duration) float64 { return float64(n) * float64(day) / float64(span) }
	t.Logf("requests over %s of collection: with settle %d (live pages %d, settle pages %d), without %d (live pages %d)",
		on.ran.Round(time.Second), on.apiRequests, on.pages["live"], on.pages["settle"], off.apiRequests, off.pages["live"])
	t.Logf("extra requests of the settling pass: %d over %s of data = %.0f per day of data, against %.0f per day for the live pass (%.1f%%); "+
		"by the settling pass's own pages: %d pages for %s of settled data = %.0f per day",
		extra, on.ran.Round(time.Second), perDay(extra, on.ran), perDay(off.apiRequests, off.ran),
		100*float64(extra)/float64(off.apiRequests), on.pages["settle"], on.spans["settle"], perDay(int64(on.pages["settle"]), on.spans["settle"]))
	if extra <= 0 || int(extra) > on.pages["settle"]+2 {
		t.Errorf("the settling pass cost %d extra requests for %d pages of its own", extra, on.pages["settle"])
	}
	// Projection (arithmetic, not measured): the same passes at the defaults (poll_interval 5m, settle 24h, so
	// settling in 1h steps, 5000-row pages): each live poll and each settled
	// hour costs one request per started page.
	pagesOf := func(rows float64) int { return int(math.Ceil(rows / 5000)) }
	for _, rowsPerDay := range []float64{100000, settleTenant.Model.RowsPerDay, 1000000} {
		live := 288 * pagesOf(rowsPerDay/288)
		settling := 24 * pagesOf(rowsPerDay/24)
		t.Logf("at the defaults, %.0f rows a day: live pass %d requests a day, settling pass %d more (%.0f%%)",
			rowsPerDay, live, settling, 100*float64(settling)/float64(live))
	}
}

// settleRun is what one run delivered, judged against the oracle.
type settleRun struct {
	settle           time.Duration
	started          time.Time // rows received before were backfilled: no latency
	judgedStart, end time.Time
	ran              time.Duration
	arrived          map[rowKey]time.Time
	missingFinal     []settleEvent
	apiRequests      int64
	pages            map[string]int
	spans            map[string]time.Duration
}

// settleEvent is a (row, status) the API showed from visible on.
type settleEvent struct {
	key      rowKey
	received time.Time
	visible  time.Time
	final    bool
}

// settleAPI is the API the settling tests read: Graph, or the legacy report
// with E2E_SETTLE_API=reporting.
func settleAPI() string {
	if api := os.Getenv("E2E_SETTLE_API"); api != "" {
		return api
	}
	return "graph"
}

func runSettle(t *testing.T, bins binaries, oracle *simulator.Simulator, api string, settle time.Duration) *settleRun {
	tb := newTestbed(t, bins, settleSimArgs()...)
	cfg := tb.config(api, settleLookback)
	rcv := receiverOf(cfg)
	rcv["delay"] = settleDelay.String()
	rcv["settle"] = settle.String()
	rcv["poll_interval"] = settlePoll.String()
	rcv["max_requests_per_5m"] = 0
	unsampledLogs(cfg)

	clock := startSinkClock(tb.sim)
	started := time.Now()
	col := tb.startCollector(t, bins, cfg)
	run := &settleRun{settle: settle, started: started, judgedStart: started.Add(-settleLookback + 2*time.Second), end: started.Add(settleLive)}
	// Both runs last as long as the run with settling needs to settle the
	// window's last row, so that their request counts compare.
	stopAt := run.end.Add(2*settleOn + settlePoll + 3*time.Second)
	time.Sleep(time.Until(stopAt))
	if h, ok := col.Health(); !ok || h.Code != 200 || h.Receiver != "StatusOK" {
		t.Errorf("health: %d %s", h.Code, h.Body)
	}
	col.Stop()
	run.ran = time.Since(started)
	lines, at, err := clock.stop()
	if err != nil {
		t.Fatalf("polling the sink: %v", err)
	}
	assertNoSecretsInLines(t, lines)
	for _, n := range tb.sim.Counters().Requests[map[string]string{"graph": "graph", "reporting": "legacy"}[api]] {
		run.apiRequests += n
	}
	run.pages, run.spans = passPages(col.Log())

	truth := oracle.Truth(run.judgedStart, run.end)
	checkOracle(t, truth, tb.sim.Truth(run.judgedStart, run.end))
	run.judge(t, truth, lines, at)
	return run
}

// checkOracle: the in-process model is the tenant the binary serves.
func checkOracle(t *testing.T, oracle []simulator.Row, served []truthRow) {
	t.Helper()
	want := map[rowKey]bool{}
	for _, r := range oracle {
		want[r.StatusKey()] = true
	}
	same := len(served) == len(oracle)
	for _, r := range served {
		if !want[r.StatusKey()] {
			same = false
		}
	}
	if !same || len(oracle) == 0 {
		t.Fatalf("the in-process model (%d rows) is not the simulator's tenant (%d rows): the test cannot know visibility times", len(oracle), len(served))
	}
}

func (run *settleRun) judge(t *testing.T, truth []simulator.Row, lines [][]byte, at []time.Time) {
	t.Helper()
	events := map[rowKey]settleEvent{}
	rows := map[simulator.RowKey]simulator.Row{}
	for _, r := range truth {
		rows[r.Key()] = r
		final := settleEvent{key: r.StatusKey(), received: r.Received,
			visible: r.Received.Add(r.VisibleAfter), final: true}
		if r.InterimStatus != "" {
			final.visible = r.Received.Add(r.StatusAfter)
			interim := simulator.NewStatusKey(r.ID, r.RecipientAddress, string(r.InterimStatus))
			events[interim] = settleEvent{key: interim, received: r.Received, visible: r.Received.Add(r.VisibleAfter)}
		}
		events[final.key] = final
	}

	run.arrived = map[rowKey]time.Time{}
	var dups, unexpected []string
	for i, b := range lines {
		l, err := parseLine(b)
		if err != nil {
			t.Errorf("malformed line: %v", err)
			continue
		}
		if _, ok := run.arrived[l.Key]; ok {
			dups = append(dups, l.Key.String())
			continue
		}
		run.arrived[l.Key] = at[i]
		if l.Received.Before(run.judgedStart) || l.Received.After(run.end) {
			continue
		}
		if _, ok := events[l.Key]; !ok {
			unexpected = append(unexpected, l.Key.String())
		}
	}
	if len(dups) > 0 {
		t.Errorf("%d (id, recipient, status) exported more than once, e.g. %v", len(dups), dups[:min(5, len(dups))])
	}
	if len(unexpected) > 0 {
		t.Errorf("%d lines in the window match no row or status the API ever showed, e.g. %v", len(unexpected), unexpected[:min(5, len(unexpected))])
	}

	// Latency: from becoming visible (live-readable events), and from being
	// received (events only the settling pass can see).
	var live, late, lateFromReceived []time.Duration
	var overLiteral int
	var liveMissed, lateMissedRows, lateMissedStatus []string
	liveBound := settlePoll + settleDelay + liveEndTruncation + measureSlack
	lateBound := 2*run.settle + settlePoll + liveEndTruncation + measureSlack
	var finals, interims, interimsDelivered int
	for k, e := range events {
		arr, ok := run.arrived[k]
		liveReadable := !e.visible.After(e.received.Add(settleDelay))
		if !e.final {
			interims++
			if ok {
				interimsDelivered++
			}
			continue // an interim status may be overtaken before any read
		}
		finals++
		if !ok {
			run.missingFinal = append(run.missingFinal, e)
			switch r := rows[k.RowKey]; {
			case liveReadable:
				liveMissed = append(liveMissed, fmt.Sprintf("%s (visible %s after received)", k, e.visible.Sub(e.received)))
			case r.Received.Add(r.VisibleAfter).After(r.Received.Add(settleDelay)):
				lateMissedRows = append(lateMissedRows, fmt.Sprintf("%s (visible %s after received)", k, r.VisibleAfter))
			default:
				lateMissedStatus = append(lateMissedStatus, fmt.Sprintf("%s (was %s until %s after received)", k, r.InterimStatus, r.StatusAfter))
			}
			continue
		}
		if e.received.Before(run.started) {
			continue // backfilled at start: no latency to speak of
		}
		if liveReadable {
			d := arr.Sub(e.visible)
			live = append(live, d)
			if d > settlePoll+settleDelay {
				overLiteral++
			}
			if d > liveBound {
				t.Errorf("%s: exported %s after becoming visible, more than poll_interval + delay + truncation (%s)", k, d.Round(time.Millisecond), liveBound)
			}
		} else {
			late = append(late, arr.Sub(e.visible))
			lateFromReceived = append(lateFromReceived, arr.Sub(e.received))
			if run.settle > 0 && arr.Sub(e.received) > lateBound {
				t.Errorf("%s: late row exported %s after received, more than 2*settle + poll (%s)", k, arr.Sub(e.received).Round(time.Millisecond), lateBound)
			}
		}
	}
	t.Logf("settle %s: %d rows in the judged window, %d lines received in all; %d interim statuses shown, %d of them exported",
		run.settle, finals, len(lines), interims, interimsDelivered)
	t.Logf("latency of final statuses visible when the live pass reads their time (%d), from becoming visible: %s; %d over the literal poll_interval + delay (%s)",
		len(live), latencyDistribution(live), overLiteral, settlePoll+settleDelay)
	if len(late) > 0 {
		t.Logf("latency of final statuses visible only after received + delay (%d; the settling pass's, or a live read late enough to see them): from becoming visible %s; from received %s",
			len(late), latencyDistribution(late), latencyDistribution(lateFromReceived))
	}
	if len(liveMissed) > 0 {
		t.Errorf("%d final statuses visible at the live read were never exported, e.g. %v", len(liveMissed), liveMissed[:min(5, len(liveMissed))])
	}
	missed := len(lateMissedRows) + len(lateMissedStatus)
	switch {
	case run.settle > 0 && missed > 0:
		t.Errorf("with settling, %d rows and %d final statuses were missed, e.g. %v %v", len(lateMissedRows), len(lateMissedStatus),
			lateMissedRows[:min(3, len(lateMissedRows))], lateMissedStatus[:min(3, len(lateMissedStatus))])
	case run.settle == 0:
		t.Logf("without settling: %d of %d rows never exported (visible after the live read), %d rows exported only with their interim status; e.g.\n  %s\n  %s",
			len(lateMissedRows), finals, len(lateMissedStatus),
			strings.Join(lateMissedRows[:min(5, len(lateMissedRows))], "\n  "), strings.Join(lateMissedStatus[:min(5, len(lateMissedStatus))], "\n  "))
		if missed == 0 {
			t.Errorf("without settling nothing was missed: the test does not show what the settling pass catches")
		}
	}
}

// latencyDistribution summarises latencies: min, percentiles, max.
func latencyDistribution(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	p := func(q float64) time.Duration {
		return s[min(len(s)-1, int(q*float64(len(s))))].Round(10 * time.Millisecond)
	}
	return fmt.Sprintf("min %s p50 %s p90 %s p99 %s max %s (n=%d)", s[0].Round(10*time.Millisecond), p(0.5), p(0.9), p(0.99), s[len(s)-1].Round(10*time.Millisecond), len(s))
}

// rangeLine matches the receiver's "range collected" log line (the JSON
// context of the console encoder).
var rangeLine = regexp.MustCompile(`range collected\s+(\{.*\})`)

// passPages reads the receiver's "range collected" lines: pages read and
// time covered, by pass (needs unsampled logs).
func passPages(log string) (map[string]int, map[string]time.Duration) {
	pages, spans := map[string]int{}, map[string]time.Duration{}
	for _, m := range rangeLine.FindAllStringSubmatch(log, -1) {
		var f struct {
			Pass  string    `json:"pass"`
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
			Pages int       `json:"pages"`
		}
		if json.Unmarshal([]byte(m[1]), &f) == nil {
			pages[f.Pass] += f.Pages
			spans[f.Pass] += f.End.Sub(f.Start)
		}
	}
	return pages, spans
}
