//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// TestReportingHTMLPages: the legacy report answers 30% of requests with its
// HTTP 200 "Sign in to Outlook" HTML page. No row is lost or repeated, and
// the receiver's component status flips to a recoverable error when a poll
// gives up on such pages and back to OK when a poll succeeds.
func TestReportingHTMLPages(t *testing.T) {
	bins := requireBinaries(t)
	const days, perDay = 0.25, 16000 // 4,000 rows over 6 hours
	fig := recordFigures(t, `30% of the legacy report's answers are its HTTP 200 "Sign in to Outlook" HTML page, through the backfill and live`)
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
	tb.requireBackfill(t, history)
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
	total := tb.sim.ReportingRequests()
	t.Logf("simulator: %d reporting requests, %d HTML pages injected (%.0f%%)", total, c.Faults["html"], 100*float64(c.Faults["html"])/float64(total))
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
	setDelivery(fig, d, "0 lost, 0 repeated")
	fig.Other = fmt.Sprintf("%d HTML pages in %d requests", c.Faults["html"], total)
	assertNoSecretsInLines(t, lines)
}
