package simulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// servedDetails is a details call's answer, decoded.
type servedDetails struct {
	Value []struct {
		ID, Event, Description, Data string
		DateTime                     time.Time
		Action                       *string
	}
}

// TestDetailsTruthIsWhatTheCallServes: for every row of the truth, a
// details call at the same now serves exactly the truth's events (ids,
// names, times, actions, descriptions, data) once the row shows its final
// status, and the beginning of them before.
func TestDetailsTruthIsWhatTheCallServes(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(4000, clk)
	cfg.Model.DelayedFraction, cfg.Model.ChangingFraction = 0.2, 0.3
	cfg.Model.StatusWeights = map[Status]float64{StatusDelivered: 2, StatusFailed: 1, StatusQuarantined: 1,
		StatusFilteredAsSpam: 1, StatusExpanded: 1, StatusPending: 1}
	s := startSim(t, cfg)
	tok := token(t, s, graphAud)
	start, end := testNow.Add(-3*time.Hour), testNow
	truth := s.DetailsTruth(start, end, nil)
	want := 0
	for _, r := range s.Truth(start, end) {
		if r.Status == StatusFailed || r.Status == StatusQuarantined || r.Status == StatusFilteredAsSpam {
			want++
		}
	}
	if len(truth) != want || want < 50 {
		t.Fatalf("%d rows in the details truth, %d failed/quarantined/filteredAsSpam rows in the truth", len(truth), want)
	}
	final, interim := 0, 0
	for _, d := range truth {
		row, ok := s.HomeTenant().model.findRow(d.ID, d.Recipient)
		if !ok {
			t.Fatalf("truth row %s|%s not found", d.ID, d.Recipient)
		}
		r := get(t, detailsURL(s, d.ID, d.Recipient), tok)
		if !row.visibleAt(testNow) {
			if r.status != 404 {
				t.Fatalf("invisible row %s: %d", d.ID, r.status)
			}
			continue
		}
		var got servedDetails
		if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 {
			t.Fatalf("details %s: %d %v %s", d.ID, r.status, err, r.body)
		}
		n := len(d.Events)
		if row.statusAt(testNow) != row.Status {
			interim++
			n = len(got.Value) // the beginning of the final story
			if n > len(d.Events) {
				t.Fatalf("row %s: %d interim events, %d final", d.ID, n, len(d.Events))
			}
		} else {
			final++
		}
		if len(got.Value) != n {
			t.Fatalf("row %s: served %d events, truth %d", d.ID, len(got.Value), n)
		}
		for i, e := range d.Events[:n] {
			g := got.Value[i]
			action := ""
			if g.Action != nil {
				action = *g.Action
			}
			if g.ID != e.ID || g.Event != e.Event || !g.DateTime.Equal(e.DateTime) || action != e.Action ||
				g.Description != e.Description || g.Data != e.Data {
				t.Fatalf("row %s event %d: served %+v, truth %+v", d.ID, i, g, e)
			}
		}
	}
	if final == 0 || interim == 0 {
		t.Fatalf("%d rows compared in their final status, %d before it", final, interim)
	}
}

func TestDetailsTruthAdmin(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(4000, clk)
	cfg.Model.StatusWeights = map[Status]float64{StatusDelivered: 1, StatusFailed: 1, StatusQuarantined: 1, StatusPending: 1}
	cfg.Tenants = []TenantConfig{{Model: ModelConfig{RowsPerDay: 3000, DelayedFraction: -1, ChangingFraction: -1,
		StatusWeights: map[Status]float64{StatusFilteredAsSpam: 1, StatusDelivered: 1}}}}
	s := startSim(t, cfg)
	start, end := testNow.Add(-2*time.Hour), testNow
	q := "?start=" + start.Format(time.RFC3339) + "&end=" + end.Format(time.RFC3339)
	lines := func(path string) []DetailsTruth {
		t.Helper()
		r := get(t, s.HTTPURL+path, "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var out []DetailsTruth
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var d DetailsTruth
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatalf("%s: %v in %s", path, err, sc.Bytes())
			}
			out = append(out, d)
		}
		return out
	}
	for _, tc := range []struct {
		path     string
		tenant   *Tenant
		statuses []Status
	}{
		{"/admin/details-truth" + q, s.HomeTenant(), nil},
		{"/admin/details-truth" + q + "&statuses=Failed,pending", s.HomeTenant(), []Status{StatusFailed, StatusPending}},
		{"/admin/tenants/customer0001.onmicrosoft.com/details-truth" + q, s.Tenants()[1], nil},
	} {
		got := lines(tc.path)
		want := tc.tenant.DetailsTruth(start, end, tc.statuses)
		if len(want) < 10 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %d lines, Go API %d; first %+v", tc.path, len(got), len(want), got[:min(1, len(got))])
		}
		for _, d := range got {
			if !strings.Contains(tc.path, "pending") && d.Status == StatusPending || len(d.Events) < 2 {
				t.Fatalf("%s: %+v", tc.path, d)
			}
		}
	}
	r := get(t, s.HTTPURL+"/admin/details-truth?statuses=failed,bounced", "")
	if r.status != 400 || !strings.Contains(string(r.body), `statuses: \"bounced\" is not a message trace status`) {
		t.Fatalf("bad statuses: %d %s", r.status, r.body)
	}
	// The line format of the spec.
	raw := get(t, s.HTTPURL+"/admin/details-truth"+q, "").body
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	var m map[string]any
	if err := json.Unmarshal(first, &m); err != nil {
		t.Fatal(err)
	}
	ev := m["events"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "recipient", "status"} {
		if _, ok := m[k].(string); !ok {
			t.Fatalf("line without %s: %s", k, first)
		}
	}
	for _, k := range []string{"id", "event", "dateTime"} {
		if _, ok := ev[k].(string); !ok {
			t.Fatalf("event without %s: %s", k, first)
		}
	}
}
