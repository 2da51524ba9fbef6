//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestDetailsCheckerCatchesBreakage: the detail checks of the details tests
// are not vacuous: a missing, repeated or misplaced event, and requests
// above the budget or the share, are each caught; lines in either API's
// field names are read.
func TestDetailsCheckerCatchesBreakage(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	truth := []truthDetail{
		{ID: "T1", Recipient: "a@contoso.com", Status: "quarantined", Events: []truthEvent{{ID: "E1", Event: "Receive", DateTime: at}, {ID: "E2", Event: "Fail", DateTime: at.Add(time.Second)}}},
		{ID: "T2", Recipient: "b@contoso.com", Status: "failed", Events: []truthEvent{{ID: "E3", Event: "Fail", DateTime: at}}},
	}
	graph := func(trace, rcpt, id, event string, when time.Time) []byte {
		return fmt.Appendf(nil, `{"messageTraceId":%q,"recipientAddress":%q,"id":%q,"event":%q,"dateTime":%q}`, trace, rcpt, id, event, when.Format(time.RFC3339Nano))
	}
	legacy := func(trace, rcpt, event string, when time.Time) []byte {
		return fmt.Appendf(nil, `{"MessageTraceId":%q,"RecipientAddress":%q,"Event":%q,"Date":%q}`, trace, rcpt, event, when.Format("2006-01-02T15:04:05.0000000"))
	}
	row := []byte(`{"id":"T1","recipientAddress":"a@contoso.com","status":"Quarantined","receivedDateTime":"2026-12-01T10:00:00Z"}`)
	all := [][]byte{row, graph("T1", "a@contoso.com", "E1", "Receive", at), graph("t1", "A@contoso.com", "E2", "Fail", at.Add(time.Second)), legacy("T2", "b@contoso.com", "Fail", at)}
	cases := []struct {
		name                          string
		lines                         [][]byte
		missing, repeated, unexpected int
	}{
		{"every event once (case of ids aside, legacy names too)", all, 0, 0, 0},
		{"one missing", all[:3], 1, 0, 0},
		{"one repeated", append(append([][]byte{}, all...), legacy("T1", "a@contoso.com", "Receive", at)), 0, 1, 0},
		{"under another row", append(append([][]byte{}, all[:3]...), graph("T1", "a@contoso.com", "E3", "Fail", at)), 1, 0, 1},
		{"of no row", append(append([][]byte{}, all...), graph("T9", "z@contoso.com", "E9", "Fail", at)), 0, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, details, detailAt, bad := splitLines(tc.lines)
			if len(rows) != 1 || len(bad) > 0 {
				t.Fatalf("split: %d rows (want 1), unreadable detail lines %v", len(rows), bad)
			}
			d := compareDetails(truth, nil, details, detailAt)
			if d.Missing != tc.missing || d.Repeated != tc.repeated || d.Unexpected != tc.unexpected || d.Lookups != 2 || d.Events != 3 {
				t.Errorf("%s; want %d missing, %d repeated, %d unexpected of 2 lookups with 3 events (%v)", d, tc.missing, tc.repeated, tc.unexpected, d.Samples)
			}
			if d.Repeated > 0 && (d.RepeatedAt[0] != len(tc.lines)-1 || d.RepeatedOf[0] != (lookupKey{"t1", "a@contoso.com"})) {
				t.Errorf("repeat at line %d of %v, want the last line's, of t1/a@contoso.com", d.RepeatedAt[0], d.RepeatedOf[0])
			}
		})
	}

	// Rolling 5 minutes: 3 list calls and 2 lookups within one window, a
	// third lookup 5 minutes after the first.
	reqs := []simRequest{
		{Time: at, Kind: "list", Status: 200}, {Time: at.Add(time.Second), Kind: "details", Status: 200},
		{Time: at.Add(2 * time.Second), Kind: "details", Status: 200}, {Time: at.Add(3 * time.Second), Kind: "list", Status: 429},
		{Time: at.Add(4 * time.Second), Kind: "list", Status: 200}, {Time: at.Add(5*time.Minute + time.Second), Kind: "details", Status: 200},
	}
	q := quotaOf(reqs)
	if want := (quotaUse{List: 3, Details: 3, DetailsAnswered: 3, Throttled: 1, Peak: 5, DetailPeak: 2}); q != want {
		t.Errorf("quota %s, want %s", q, want)
	}
}
