//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"encoding/json"
)

// TestReportingSeedRows: the seed's three sample rows of the legacy report,
// served by the simulator (re-dated, see seedSample), come out of the Sumo
// Logic exporter as three JSON lines from which every field of the Sumo
// Logic app's query extracts with the seed's value: Received is the
// re-dated text, StartDate/EndDate the query range the API echoed, ToIP
// null.
func TestReportingSeedRows(t *testing.T) {
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
	ranges := reportingRanges(t, col.Log())
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

// reportingRanges returns the ranges the receiver logged as collected.
func reportingRanges(t *testing.T, log string) []loggedRange {
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
