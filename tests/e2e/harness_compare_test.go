//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// rowKey is what the delivery promise counts: one line per message,
// recipient and status.
type rowKey struct {
	id, recipient, status string
}

func (k rowKey) String() string { return k.id + "/" + k.recipient + "/" + k.status }

// sumoLine is a line the fake Sumo Logic source received, read in either
// API's field names (Graph's, or the legacy report's).
type sumoLine struct {
	key      rowKey
	received time.Time
	fields   map[string]any
}

func parseLine(b []byte) (sumoLine, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return sumoLine{}, fmt.Errorf("not a JSON object: %v: %s", err, truncate(b, 200))
	}
	str := func(names ...string) string {
		for _, n := range names {
			if s, ok := m[n].(string); ok {
				return s
			}
		}
		return ""
	}
	l := sumoLine{fields: m, key: rowKey{
		id:        str("id", "MessageTraceId"),
		recipient: strings.ToLower(str("recipientAddress", "RecipientAddress")),
		status:    strings.ToLower(str("status", "Status")),
	}}
	if l.key.id == "" || l.key.recipient == "" || l.key.status == "" {
		return l, fmt.Errorf("line without id, recipient or status: %s", truncate(b, 200))
	}
	l.received = parseReceived(str("receivedDateTime", "Received"))
	return l, nil
}

func parseReceived(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func truthKey(r truthRow) rowKey {
	return rowKey{id: r.ID, recipient: strings.ToLower(r.RecipientAddress), status: strings.ToLower(string(r.Status))}
}

// delivery compares what the fake source received with the truth.
type delivery struct {
	Truth      int // rows in the compared window
	Lines      int // lines received (all of them)
	Delivered  int // truth rows found at least once
	Missing    int // truth rows never received
	Duplicated int // lines received more than once (extra copies)
	Beyond     int // lines newer than the compared window (not judged)
	Unexpected int // lines inside the window that match no truth row
	Bad        int // lines that are not a row's JSON
	// DupAt holds the arrival index of each extra copy.
	DupAt   []int
	samples []string
}

func (d delivery) String() string {
	return fmt.Sprintf("truth %d rows, %d lines received: %d delivered, %d missing, %d duplicated, %d unexpected, %d malformed, %d newer than the window",
		d.Truth, d.Lines, d.Delivered, d.Missing, d.Duplicated, d.Unexpected, d.Bad, d.Beyond)
}

// compare matches lines against the truth rows received up to cutoff.
func compare(truth []truthRow, lines [][]byte, cutoff time.Time) delivery {
	d := delivery{Lines: len(lines)}
	want := make(map[rowKey]bool, len(truth))
	for _, r := range truth {
		if !r.Received.After(cutoff) {
			want[truthKey(r)] = true
		}
	}
	d.Truth = len(want)
	seen := make(map[rowKey]bool, len(lines))
	for i, b := range lines {
		l, err := parseLine(b)
		if err != nil {
			d.Bad++
			d.sample("malformed: %v", err)
			continue
		}
		if seen[l.key] {
			d.Duplicated++
			d.DupAt = append(d.DupAt, i)
			continue
		}
		seen[l.key] = true
		switch {
		case want[l.key]:
			d.Delivered++
		case l.received.After(cutoff):
			d.Beyond++
		default:
			d.Unexpected++
			d.sample("unexpected line (received %s): %s", l.received.Format(time.RFC3339Nano), truncate(b, 200))
		}
	}
	for k := range want {
		if !seen[k] {
			d.Missing++
			d.sample("missing: %s", k)
		}
	}
	return d
}

func (d *delivery) sample(format string, args ...any) {
	if len(d.samples) < 10 {
		d.samples = append(d.samples, fmt.Sprintf(format, args...))
	}
}

// requireComplete fails the test unless every truth row arrived, nothing
// unexpected or malformed arrived, and at most maxDup extra copies.
func requireComplete(t *testing.T, d delivery, maxDup int) {
	t.Helper()
	t.Logf("delivery: %s", d)
	if d.Missing > 0 || d.Unexpected > 0 || d.Bad > 0 || d.Duplicated > maxDup {
		t.Errorf("delivery promise broken (allowed duplicates: %d): %s\n  %s", maxDup, d, strings.Join(d.samples, "\n  "))
	}
}

// lineMatchesRow reports how a line differs from its truth row's JSON (the
// Graph row as the API sends it), or "" when it is that row. JSON null and
// "" are the same value (the truth writes nulls as "").
func lineMatchesRow(line sumoLine, r truthRow) string {
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
		gv, ok := line.fields[k]
		if !ok {
			diffs = append(diffs, "no "+k)
			continue
		}
		if k == "receivedDateTime" {
			if !parseReceived(fmt.Sprint(gv)).Equal(parseReceived(fmt.Sprint(wv))) {
				diffs = append(diffs, fmt.Sprintf("%s: %v, want %v", k, gv, wv))
			}
			continue
		}
		if !reflect.DeepEqual(norm(gv), norm(wv)) {
			diffs = append(diffs, fmt.Sprintf("%s: %v, want %v", k, gv, wv))
		}
	}
	for k := range line.fields {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "extra field "+k)
		}
	}
	return strings.Join(diffs, "; ")
}
