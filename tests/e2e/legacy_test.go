//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// TestLegacySeedRows: the seed's three sample rows of the legacy report,
// served by the simulator (re-dated, see seedSample), come out of the Sumo
// Logic exporter as three JSON lines from which every field of the Sumo
// Logic app's query extracts with the seed's value: Received is the
// re-dated text, StartDate/EndDate the query range the API echoed, ToIP
// null.
func TestLegacySeedRows(t *testing.T) {
	bins := requireBinaries(t)
	dir := t.TempDir()
	seed := redatedSeed(t, dir, time.Now())
	t.Logf("seed rows re-dated by %d days: Received %v", seed.days, seed.received)
	tb := newTestbed(t, bins, seed.simArgs()...)

	cfg := tb.config("reporting", 26*time.Hour)
	unsampledLogs(cfg)
	col := tb.startCollector(t, bins, cfg)
	if !waitFor(60*time.Second, func() bool { return tb.sim.SumoStats().Lines >= 3 }) {
		t.Fatalf("%d of 3 lines after 60s", tb.sim.SumoStats().Lines)
	}
	time.Sleep(3 * time.Second) // a few more polls: nothing else may arrive
	col.Stop()

	lines := tb.sim.Lines()
	assertNoSecretsInLines(t, lines)
	if len(lines) != 3 {
		t.Fatalf("%d lines, want exactly 3:\n%s", len(lines), indentedLines(lines))
	}
	ranges := legacyRanges(t, col.Log())
	byID := map[string]map[string]any{}
	for _, b := range lines {
		m, err := decodeLineNumbers(b)
		if err != nil {
			t.Fatalf("line is not a JSON object: %v: %s", err, b)
		}
		id, _ := m["MessageTraceId"].(string)
		byID[id] = m
	}
	for i, want := range seed.rows {
		id := want["MessageTraceId"].(string)
		got, ok := byID[id]
		if !ok {
			t.Errorf("seed row %d (%s) was not exported", i, id)
			continue
		}
		for _, f := range seedQueryFields {
			gv, present := got[f]
			if !present {
				t.Errorf("row %d: the app's query finds no %q in the line", i, f)
				continue
			}
			switch f {
			case "Received":
				if gv != seed.received[i] {
					t.Errorf("row %d: Received %v, want the re-dated %q", i, gv, seed.received[i])
				}
			case "ToIP":
				if gv != nil {
					t.Errorf("row %d: ToIP %v, want null", i, gv)
				}
			case "StartDate", "EndDate":
				// checked below against the range the receiver asked for
			default:
				if fmt.Sprint(gv) != fmt.Sprint(want[f]) || fmt.Sprintf("%T", gv) != fmt.Sprintf("%T", want[f]) {
					t.Errorf("row %d: %s = %#v, want the seed's %#v", i, f, gv, want[f])
				}
			}
		}
		if extra := keysBeyond(got, seedQueryFields); len(extra) > 0 {
			t.Errorf("row %d: fields beyond the report's: %v", i, extra)
		}
		checkEchoedWindow(t, i, got, seed.received[i], ranges)
	}
	t.Logf("lines:\n%s", indentedLines(lines))
}

// checkEchoedWindow: StartDate and EndDate are the range of the query that
// returned the row, as the API echoes it (RFC 3339, UTC).
func checkEchoedWindow(t *testing.T, i int, got map[string]any, received string, ranges []loggedRange) {
	t.Helper()
	sd, _ := got["StartDate"].(string)
	ed, _ := got["EndDate"].(string)
	start, err1 := time.Parse(time.RFC3339Nano, sd)
	end, err2 := time.Parse(time.RFC3339Nano, ed)
	if err1 != nil || err2 != nil || !strings.HasSuffix(sd, "Z") || !strings.HasSuffix(ed, "Z") {
		t.Errorf("row %d: StartDate %q / EndDate %q are not UTC RFC 3339 times", i, sd, ed)
		return
	}
	rt, _ := time.Parse(seedReceivedLayout, received)
	if rt.Before(start) || rt.After(end) {
		t.Errorf("row %d: Received %s outside the echoed window [%s, %s]", i, received, sd, ed)
	}
	if end.Sub(start) > time.Hour {
		t.Errorf("row %d: echoed window [%s, %s] is longer than the reporting max_window (1h)", i, sd, ed)
	}
	found := false
	for _, r := range ranges {
		if r.start.Equal(start) && r.end.Equal(end) {
			found = true
		}
	}
	if !found {
		t.Errorf("row %d: echoed window [%s, %s] is not a range the receiver logged as collected: %v", i, sd, ed, ranges)
	}
}

// unsampledLogs turns off the collector's log sampling (by default only the
// first 10 lines of a message per second are written), so that every
// "range collected" line is in the log.
func unsampledLogs(cfg yamlMap) {
	logs := cfg["service"].(yamlMap)["telemetry"].(yamlMap)["logs"].(yamlMap)
	logs["sampling"] = yamlMap{"enabled": false}
}

type loggedRange struct{ start, end time.Time }

// legacyRanges returns the ranges the receiver logged as collected.
func legacyRanges(t *testing.T, log string) []loggedRange {
	var out []loggedRange
	for _, m := range rangeLine.FindAllStringSubmatch(log, -1) {
		var f struct {
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
		}
		if err := json.Unmarshal([]byte(m[1]), &f); err == nil && !f.Start.IsZero() {
			out = append(out, loggedRange{f.Start, f.End})
		} else {
			t.Logf("unparsed range line (%v): %s", err, m[1])
		}
	}
	return out
}

func keysBeyond(m map[string]any, known []string) []string {
	k := map[string]bool{}
	for _, n := range known {
		k[n] = true
	}
	var extra []string
	for n := range m {
		if !k[n] {
			extra = append(extra, n)
		}
	}
	return extra
}

func indentedLines(lines [][]byte) string {
	var s []string
	for _, l := range lines {
		s = append(s, "  "+string(l))
	}
	return strings.Join(s, "\n")
}

// TestLegacyHTMLPages: the legacy report answers 30% of requests with its
// HTTP 200 "Sign in to Outlook" HTML page. No row is lost or repeated, and
// the receiver's component status flips to a recoverable error when a poll
// gives up on such pages and back to OK when a poll succeeds.
func TestLegacyHTMLPages(t *testing.T) {
	bins := requireBinaries(t)
	const days, perDay = 0.25, 16000 // 4,000 rows over 6 hours
	tb := newTestbed(t, bins, append(historyArgs(days, perDay), "-rate-limit", "-1", "-faults", `{"html":0.3}`)...)
	historyStart := tb.sim.started.Add(-6*time.Hour - time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))

	cfg := tb.config("reporting", 7*time.Hour)
	rcv := receiverOf(cfg)
	rcv["page_size"] = 100 // 40+ pages: enough requests for many HTML answers
	rcv["max_requests_per_5m"] = 0
	// A retry budget of about two attempts, so that a poll now and then gives
	// up on HTML pages (about 9% of requests) and the status shows it (the
	// default budget of 5 minutes would hide a 30% fault rate entirely).
	rcv["retry_on_failure"] = yamlMap{"enabled": true, "initial_interval": "50ms", "max_interval": "50ms", "max_elapsed_time": "60ms"}

	col := tb.startCollector(t, bins, cfg)
	watch := watchReceiverStatus(col)
	if !waitFor(90*time.Second, func() bool { return tb.sim.SumoStats().Lines >= history }) {
		t.Fatalf("backfill incomplete after 90s: %d of %d rows", tb.sim.SumoStats().Lines, history)
	}
	time.Sleep(8 * time.Second) // live collection, still with 30% HTML pages
	faulty := watch.snapshot()
	tb.sim.SetFaults(simulator.Faults{})
	var last healthStatus
	if !waitFor(20*time.Second, func() bool {
		last, _ = col.Health()
		return last.Code == 200 && last.Receiver == "StatusOK"
	}) {
		t.Errorf("status not OK 20s after the HTML pages stopped: %d %s", last.Code, last.Body)
	}
	stopAt := time.Now()
	watch.stop()
	col.Stop()

	c := tb.sim.Counters()
	legacy := c.Requests["legacy"]
	var total int64
	for _, n := range legacy {
		total += n
	}
	t.Logf("simulator: %d legacy requests, %d HTML pages injected (%.0f%%)", total, c.Faults["html"], 100*float64(c.Faults["html"])/float64(total))
	t.Logf("receiver status while HTML pages were injected: %s", faulty)
	if c.Faults["html"] == 0 {
		t.Errorf("no HTML page was injected")
	}
	if faulty.toError == 0 || faulty.toOK == 0 {
		t.Errorf("status did not flip and recover under HTML pages: %s", faulty)
	}
	if n := countLines(col.Log(), "HTML"); n == 0 {
		t.Errorf("the collector's log never names the HTML answer")
	}

	cutoff := stopAt.Add(-5 * time.Second)
	lines := tb.sim.Lines()
	d := compare(tb.sim.Truth(historyStart, cutoff), lines, cutoff)
	requireComplete(t, d, 0)
	assertNoSecretsInLines(t, lines)
}

// statusWatch samples the receiver's component status every 100ms and
// counts its transitions.
type statusWatch struct {
	mu      sync.Mutex
	done    chan struct{}
	stopped chan struct{}
	s       statusSummary
}

type statusSummary struct {
	samples         int
	byStatus        map[string]int
	toError, toOK   int
	firstErrorText  string
	lastReceiver    string
	unhealthyAnswer int // non-200 answers
}

func (h statusSummary) String() string {
	return fmt.Sprintf("%d samples %v; to error %d times, error->OK %d times, non-200 answers %d; first error: %q",
		h.samples, h.byStatus, h.toError, h.toOK, h.unhealthyAnswer, truncate([]byte(h.firstErrorText), 160))
}

func watchReceiverStatus(col *collectorProc) *statusWatch {
	w := &statusWatch{done: make(chan struct{}), stopped: make(chan struct{}), s: statusSummary{byStatus: map[string]int{}}}
	go func() {
		defer close(w.stopped)
		for {
			select {
			case <-w.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			h, ok := col.Health()
			if !ok || h.Receiver == "" {
				continue
			}
			w.mu.Lock()
			s := &w.s
			s.samples++
			s.byStatus[h.Receiver]++
			if h.Code != 200 {
				s.unhealthyAnswer++
			}
			switch {
			// From OK, or from the start (a first poll that already failed).
			case h.Receiver == "StatusRecoverableError" && s.lastReceiver != "StatusRecoverableError":
				s.toError++
			case h.Receiver == "StatusOK" && s.lastReceiver == "StatusRecoverableError":
				s.toOK++
			}
			if h.Receiver == "StatusRecoverableError" && s.firstErrorText == "" {
				s.firstErrorText = h.ReceiverError
			}
			s.lastReceiver = h.Receiver
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *statusWatch) snapshot() statusSummary {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.s
	s.byStatus = map[string]int{}
	for k, v := range w.s.byStatus {
		s.byStatus[k] = v
	}
	return s
}

func (w *statusWatch) stop() {
	close(w.done)
	<-w.stopped
}

// TestLegacyAuthCodeRotation: the delegated flow of the Sumo Logic
// cloud-to-cloud source. The receiver redeems the authorization code once;
// with 2-second access tokens every token request is a refresh, and each
// refresh rotates the refresh token. After 10 rotations the collector is
// killed (SIGKILL) the moment the simulator has issued a new refresh token,
// and restarted on the same storage and config: collection continues with
// no new code, and the simulator never sees a replaced refresh token again.
// Three such crashes.
func TestLegacyAuthCodeRotation(t *testing.T) {
	bins := requireBinaries(t)
	const (
		kills      = 3
		rotations  = 10 // per run, before the kill
		pageSize   = 200
		days       = 0.05 // 1,000 rows over 72 minutes, then live
		perDay     = 20000
		afterLast  = 5 // rotations the last run must make
		statsEvery = 2 * time.Millisecond
	)
	tb := newTestbed(t, bins, append(historyArgs(days, perDay), "-token-ttl", "2s", "-rate-limit", "-1")...)
	historyStart := tb.sim.started.Add(-2 * time.Hour)

	before := tb.identityStats(t)
	code := tb.sim.NewAuthCode()
	addKnownSecret(code)
	cfg := tb.config("reporting", 2*time.Hour)
	rcv := receiverOf(cfg)
	rcv["client_secret"] = simSecret
	rcv["authorization_code"] = code
	rcv["redirect_uri"] = "https://localhost"
	rcv["storage"] = "file_storage"
	rcv["page_size"] = pageSize
	rcv["max_requests_per_5m"] = 0

	var report []string
	for i := 0; i <= kills; i++ {
		col := tb.startCollector(t, bins, cfg)
		base := tb.identityStats(t).RefreshRotated
		want := rotations
		if i == kills {
			want = afterLast
		}
		if !waitFor(60*time.Second, func() bool { return tb.identityStats(t).RefreshRotated >= base+want-1 }) {
			st := tb.identityStats(t)
			t.Fatalf("run %d: %d rotations in 60s, want %d (stats %+v)", i+1, st.RefreshRotated-base, want, st)
		}
		if i == kills {
			if !waitFor(20*time.Second, func() bool { return tb.identityStats(t).RefreshRotated >= base+want }) {
				t.Fatalf("last run: fewer than %d rotations", want)
			}
			if h, ok := col.Health(); !ok || h.Code != 200 || h.Receiver != "StatusOK" {
				t.Errorf("last run: health %d %s", h.Code, h.Body)
			}
			col.Stop()
			break
		}
		// Wait for the next API request and kill the collector at once.
		// Every token request is a refresh (2-second tokens), and the
		// receiver hands out the new access token only once the new refresh
		// token is in storage: a request means its rotation just completed.
		// A kill between the token endpoint's answer and the storage write
		// is TestLegacyAuthCodeKillBeforeSave.
		n, r := tb.identityStats(t).RefreshRotated, legacyRequests(tb.sim)
		var detected time.Time
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(statsEvery) {
			if legacyRequests(tb.sim) > r {
				detected = time.Now()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: no request within 20s", i+1)
			}
		}
		col.Kill()
		st := tb.identityStats(t)
		if st.RefreshRotated <= n {
			t.Fatalf("run %d: an API request without a rotation before it (2-second tokens must be refreshed for each)", i+1)
		}
		report = append(report, fmt.Sprintf("run %d: killed %s after the API request that followed rotation #%d (%d rotations in this run)",
			i+1, time.Since(detected).Round(time.Microsecond), st.RefreshRotated-before.RefreshRotated, st.RefreshRotated-base))
		if i > 0 && strings.Contains(col.Log(), "Redeemed the authorization code") {
			t.Errorf("run %d redeemed the authorization code again", i+1)
		}
	}
	stopAt := time.Now()

	st := tb.identityStats(t)
	t.Logf("%s", strings.Join(report, "\n"))
	t.Logf("identity platform: codes redeemed %d (reused %d), refresh tokens rotated %d, stale refresh token reuse %d, tokens issued %v",
		st.CodesRedeemed-before.CodesRedeemed, st.CodesReused-before.CodesReused, st.RefreshRotated-before.RefreshRotated,
		st.StaleRefreshUsed-before.StaleRefreshUsed, st.TokensIssued)
	if st.CodesRedeemed-before.CodesRedeemed != 1 || st.CodesReused != before.CodesReused {
		t.Errorf("authorization code redeemed %d times (reused %d), want once: restarts must resume from the stored refresh token",
			st.CodesRedeemed-before.CodesRedeemed, st.CodesReused-before.CodesReused)
	}
	if st.StaleRefreshUsed != before.StaleRefreshUsed {
		t.Errorf("the simulator saw %d refresh token(s) presented after a newer one had been issued: a crash lost the newest refresh token",
			st.StaleRefreshUsed-before.StaleRefreshUsed)
	}
	if st.RefreshRotated-before.RefreshRotated < kills*rotations+afterLast {
		t.Errorf("only %d rotations", st.RefreshRotated-before.RefreshRotated)
	}

	cutoff := stopAt.Add(-5 * time.Second)
	lines := tb.sim.Lines()
	d := compare(tb.sim.Truth(historyStart, cutoff), lines, cutoff)
	requireComplete(t, d, kills*pageSize)
	assertNoSecretsInLines(t, lines)
}

// legacyRequests counts the legacy report requests the simulator received.
func legacyRequests(s *sim) int64 {
	var n int64
	for _, c := range s.Counters().Requests["legacy"] {
		n += c
	}
	return n
}
