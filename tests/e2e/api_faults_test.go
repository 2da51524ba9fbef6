//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// TestAPIFaults: every API fault at once, on each API: 10% 5xx, 10% HTML
// sign-in pages (legacy report), 5% truncated bodies, 429s with Retry-After
// and a 429 storm, 5% responses slower than the client timeout, and a token
// endpoint outage. Nothing is lost; the health_check extension shows the
// receiver's recoverable error during the faults and OK after them.
func TestAPIFaults(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	for _, api := range []string{"graph", "reporting"} {
		t.Run(api, func(t *testing.T) {
			t.Parallel() // mostly waiting on injected delays and backoffs
			testAPIFaults(t, bins, api)
		})
	}
}

func testAPIFaults(t *testing.T, bins binaries, api string) {
	const days, perDay = 0.25, 40000 // 10,000 rows over 6 hours
	what := "token endpoint down at start; then 10% 5xx, 5% truncated bodies, 10% 429 (Retry-After 1s) and a 3s 429 storm, 5% answers slower than the 2s timeout"
	if api == "reporting" {
		what += ", 10% HTML sign-in pages"
	}
	fig := recordFigures(t, what+"; then a 5xx storm live ("+api+" API)")
	tb := newTestbed(t, bins, append(historyArgs(days, perDay), "-rate-limit", "-1")...)
	historyStart := tb.sim.started.Add(-6*time.Hour - time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))

	faults := simulator.Faults{
		ServerError: 0.05, Unavailable: 0.05, // 10% 5xx
		Truncated: 0.05,
		Throttle:  0.1, RetryAfterSeconds: 1,
		Slow: 0.05, SlowDelay: simulator.Duration(3 * time.Second), // over the 2s client timeout
	}
	if api == "reporting" {
		faults.HTML = 0.1 // the legacy report's "Sign in to Outlook" page
	}
	cfg := tb.config(api, 7*time.Hour)
	rcv := receiverOf(cfg)
	rcv["page_size"] = 100 // ~100 pages: enough requests for every fault to occur
	rcv["max_requests_per_5m"] = 0
	rcv["timeout"] = "2s"
	// A short retry budget, so that faults outlast it now and then and show
	// as the receiver's status, as a long outage would with the defaults.
	rcv["retry_on_failure"] = yamlMap{"enabled": true, "initial_interval": "200ms", "max_interval": "1s", "max_elapsed_time": "3s"}

	statuses := map[string]int{}
	var col *collectorProc
	sawUnhealthy := map[string]int{} // receiver errors shown with a non-200 answer, by their first words
	probe := func() healthStatus {
		h, ok := col.Health()
		if !ok {
			return h
		}
		statuses[fmt.Sprintf("%d %s", h.Code, h.Receiver)]++
		if h.Receiver == "StatusRecoverableError" && h.Code != 200 {
			sawUnhealthy[truncate([]byte(h.ReceiverError), 60)]++
		}
		return h
	}

	// Phase 1: the token endpoint is down when the collector starts, and
	// every other fault is on.
	withOutage := faults
	withOutage.TokenOutage = true
	tb.sim.SetFaults(withOutage)
	start := time.Now()
	col = tb.startCollector(t, bins, cfg)
	if !waitFor(30*time.Second, func() bool {
		h := probe()
		return h.Receiver == "StatusRecoverableError" && h.Code != 200 && strings.Contains(h.ReceiverError, "token")
	}) {
		h, _ := col.Health()
		t.Errorf("during the token outage, health never showed the receiver's recoverable token error: %d %s", h.Code, h.Body)
	}
	if got := tb.sim.SumoStats().Lines; got != 0 {
		t.Errorf("%d rows delivered without a token", got)
	}

	// Phase 2: tokens again; the API faults go on through the backfill,
	// with a 429 storm after half of it.
	tb.sim.SetFaults(faults)
	stormDone := false
	if !waitFor(180*time.Second, func() bool {
		probe()
		if n := tb.sim.SumoStats().Lines; !stormDone && n >= history/2 {
			storm := faults
			storm.Throttle = 1
			tb.sim.SetFaults(storm)
			for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
				probe()
			}
			tb.sim.SetFaults(faults)
			stormDone = true
		}
		return tb.sim.SumoStats().Lines >= history
	}) {
		t.Fatalf("backfill under faults incomplete after 180s: %d of %d rows", tb.sim.SumoStats().Lines, history)
	}
	t.Logf("backfill of %d rows under faults took %s", history, time.Since(start).Round(time.Millisecond))

	// Phase 3: live collection under the same faults. The receiver reports
	// its status once per poll (a backfill is one long poll), and the
	// collector keeps the first error of a run of errors, so the API's own
	// error shows once a live poll has brought the status back to OK: a 5xx
	// storm longer than the retry budget (3s) then fails a poll.
	var last healthStatus
	if !waitFor(60*time.Second, func() bool {
		last = probe()
		return last.Code == 200 && last.Receiver == "StatusOK"
	}) {
		t.Errorf("live polls under faults never brought the status back to OK: %d %s", last.Code, last.Body)
	}
	storm := faults
	storm.ServerError, storm.Unavailable = 0.5, 0.5
	tb.sim.SetFaults(storm)
	apiErrorShown := waitFor(15*time.Second, func() bool {
		h := probe()
		return h.Code != 200 && h.Receiver == "StatusRecoverableError" && !strings.Contains(h.ReceiverError, "token")
	})
	tb.sim.SetFaults(faults)
	if !apiErrorShown {
		t.Errorf("health never showed the API's recoverable error during a 5xx storm")
	}
	time.Sleep(3 * time.Second)

	// Phase 4: faults off; the receiver's status must return to OK.
	tb.sim.SetFaults(simulator.Faults{})
	if !waitFor(60*time.Second, func() bool {
		last = probe()
		return last.Code == 200 && last.Healthy && last.Receiver == "StatusOK"
	}) {
		t.Errorf("health did not return to OK after the faults: %d %s", last.Code, last.Body)
	}
	time.Sleep(4 * time.Second)
	if h := probe(); h.Code != 200 || h.Receiver != "StatusOK" {
		t.Errorf("health after the faults: %d %s", h.Code, h.Body)
	}
	stopAt := time.Now()
	col.Stop()

	if len(sawUnhealthy) == 0 {
		t.Errorf("health never showed a recoverable error during the faults")
	}
	if !apiErrorShown {
		t.Errorf("health never showed the API's recoverable error during the 5xx storm")
	}
	c := tb.sim.Counters()
	var kinds []string
	for k, v := range c.Faults {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(kinds)
	t.Logf("simulator: %d API requests, faults injected: %s; identity: %v", c.APIRequests, strings.Join(kinds, " "), c.Requests["identity"])
	t.Logf("health answers seen (code, receiver status: count): %v; unhealthy answers by receiver error: %v", statuses, sawUnhealthy)
	want := map[string]int64{
		"5xx":       c.Faults["server_error"] + c.Faults["unavailable"],
		"truncated": c.Faults["truncated"], "throttle": c.Faults["throttle"], "slow": c.Faults["slow"],
	}
	if api == "reporting" {
		want["html"] = c.Faults["html"]
	}
	for k, n := range want {
		if n == 0 {
			t.Errorf("fault %s was never injected", k)
		}
	}

	cutoff := stopAt.Add(-5 * time.Second)
	lines := tb.sim.Lines()
	d := compare(tb.sim.Truth(historyStart, cutoff), lines, cutoff)
	requireComplete(t, d, 0)
	setDelivery(fig, d, "0 lost, 0 repeated")
	var injected int64
	for _, n := range c.Faults {
		injected += n
	}
	fig.Other = fmt.Sprintf("%d faults injected in %d API requests", injected, c.APIRequests)
	assertNoSecretsInLines(t, lines)
}
