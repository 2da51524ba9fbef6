//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// rowKey is what the delivery promise counts, one line per message,
// recipient and status, with the receiver's own case rule (one home:
// simulator.StatusKey, which the demo's summary and the receiver's tests
// use too).
type rowKey = simulator.StatusKey

// parseLine reads a line the fake Sumo Logic source received, in either
// API's field names.
func parseLine(b []byte) (simulator.ExportedRow, error) { return simulator.ParseExportedLine(b) }

// truthRows drops the JSON the rows came in.
func truthRows(truth []truthRow) []simulator.Row {
	rows := make([]simulator.Row, len(truth))
	for i, r := range truth {
		rows[i] = r.Row
	}
	return rows
}

// compare matches lines against the truth rows received up to cutoff.
func compare(truth []truthRow, lines [][]byte, cutoff time.Time) simulator.Delivery {
	return simulator.CompareLines(truthRows(truth), lines, cutoff)
}

// requireComplete fails the test unless every truth row arrived, nothing
// unexpected or malformed arrived, and at most maxDup extra copies.
func requireComplete(t *testing.T, d simulator.Delivery, maxDup int) {
	t.Helper()
	t.Logf("delivery: %s", d)
	if d.Missing > 0 || d.Unexpected > 0 || d.Malformed > 0 || d.Duplicated > maxDup {
		t.Errorf("delivery promise broken (allowed duplicates: %d): %s\n  %s", maxDup, d, strings.Join(d.Samples, "\n  "))
	}
}

// lineMatchesRow reports how a line differs from its truth row's JSON (the
// Graph row as the API sends it), or "" when it is that row. JSON null and
// "" are the same value (the truth writes nulls as "").
func lineMatchesRow(line simulator.ExportedRow, r truthRow) string {
	var want map[string]any
	if err := json.Unmarshal(r.raw, &want); err != nil {
		return err.Error()
	}
	norm := func(v any) any {
		if v == nil {
			return ""
		}
		return v
	}
	var diffs []string
	for k, wv := range want {
		gv, ok := line.Fields[k]
		if !ok {
			diffs = append(diffs, "no "+k)
			continue
		}
		if k == "receivedDateTime" {
			if !simulator.ParseReceived(fmt.Sprint(gv)).Equal(simulator.ParseReceived(fmt.Sprint(wv))) {
				diffs = append(diffs, fmt.Sprintf("%s: %v, want %v", k, gv, wv))
			}
			continue
		}
		if !reflect.DeepEqual(norm(gv), norm(wv)) {
			diffs = append(diffs, fmt.Sprintf("%s: %v, want %v", k, gv, wv))
		}
	}
	for k := range line.Fields {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "extra field "+k)
		}
	}
	return strings.Join(diffs, "; ")
}

// copiesPerEvent attributes each extra copy (dupAt: arrival indexes) to the
// last event (a crash, a failover) before it arrived; eventAt holds the
// lines the source had received at each event, in order. Copies before
// the first event are not counted.
func copiesPerEvent(dupAt []int, eventAt []int64) []int {
	per := make([]int, len(eventAt))
	for _, at := range dupAt {
		for i := len(eventAt) - 1; i >= 0; i-- {
			if int64(at) >= eventAt[i] {
				per[i]++
				break
			}
		}
	}
	return per
}

// requireBackfill stops the test unless the source holds history lines
// (the whole backfill, at least once) within 90 s.
func (tb *testbed) requireBackfill(t *testing.T, history int64) {
	t.Helper()
	if !waitFor(90*time.Second, func() bool { return tb.sim.SumoStats().Lines >= history }) {
		t.Fatalf("backfill incomplete after 90s: %d of %d rows", tb.sim.SumoStats().Lines, history)
	}
}

// finishAndJudge ends a fault test over a history: once the backfill is in
// and live collection ran 4 s more, stop ends collection; what arrived
// until 5 s before that is compared with the truth since historyStart
// (every row, at most maxDup repeats), recorded in fig under promise, and
// scanned for secrets.
func (tb *testbed) finishAndJudge(t *testing.T, history int64, historyStart time.Time, stop func(), maxDup int, fig *readme.Figure, promise string) simulator.Delivery {
	t.Helper()
	tb.requireBackfill(t, history)
	time.Sleep(4 * time.Second)
	stopAt := time.Now()
	stop()
	cutoff := stopAt.Add(-5 * time.Second)
	lines := tb.sim.Lines()
	d := compare(tb.sim.Truth(historyStart, cutoff), lines, cutoff)
	requireComplete(t, d, maxDup)
	setDelivery(fig, d, promise)
	assertNoSecretsInLines(t, lines)
	return d
}

// repeatsPerEvent attributes the repeated rows to the event (a crash, a
// failover) before them (see copiesPerEvent) and fails the test for any
// event that repeated more than one page.
func repeatsPerEvent(t *testing.T, d simulator.Delivery, eventAt []int64, pageSize int, event string) []int {
	t.Helper()
	per := copiesPerEvent(d.DupAt, eventAt)
	for i, n := range per {
		if n > pageSize {
			t.Errorf("%s %d repeated %d rows, more than one page (%d)", event, i+1, n, pageSize)
		}
	}
	return per
}
