package simulator

import (
	"testing"
	"time"
)

func TestRowKeyFoldsLikeTheReceiver(t *testing.T) {
	cases := []struct {
		name       string
		a, b       StatusKey
		equal      bool
		wantString string
	}{
		{"recipient case", NewStatusKey("id1", "Dan.O'Connor@Contoso.com", "delivered"), NewStatusKey("id1", "dan.o'connor@contoso.com", "delivered"), true, "id1/dan.o'connor@contoso.com/delivered"},
		{"status spelling of each API", NewStatusKey("id1", "a@b.c", "FilteredAsSpam"), NewStatusKey("id1", "a@b.c", "filteredAsSpam"), true, "id1/a@b.c/filteredasspam"},
		{"id is exact", NewStatusKey("ID1", "a@b.c", "delivered"), NewStatusKey("id1", "a@b.c", "delivered"), false, "ID1/a@b.c/delivered"},
		// The receiver folds ASCII only: a non-ASCII capital stays a different key.
		{"non-ASCII letters are not folded", NewStatusKey("id1", "ÅSA@b.c", "delivered"), NewStatusKey("id1", "åsa@b.c", "delivered"), false, "id1/Åsa@b.c/delivered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a == tc.b; got != tc.equal {
				t.Errorf("%v == %v: %v, want %v", tc.a, tc.b, got, tc.equal)
			}
			if s := tc.a.String(); s != tc.wantString {
				t.Errorf("String() = %q, want %q", s, tc.wantString)
			}
		})
	}
}

func TestParseExportedLineBothNameSets(t *testing.T) {
	received := time.Date(2022, 11, 29, 5, 35, 8, 265237100, time.UTC)
	cases := []struct {
		name, line string
		want       StatusKey
		received   time.Time
		err        bool
	}{
		{"graph", `{"id":"x","recipientAddress":"A@B.c","status":"delivered","receivedDateTime":"2022-11-29T05:35:08.2652371Z"}`,
			NewStatusKey("x", "a@b.c", "delivered"), received, false},
		{"legacy", `{"MessageTraceId":"x","RecipientAddress":"a@b.c","Status":"Delivered","Received":"2022-11-29T05:35:08.2652371"}`,
			NewStatusKey("x", "a@b.c", "delivered"), received, false},
		{"no received time", `{"id":"x","recipientAddress":"a@b.c","status":"pending"}`, NewStatusKey("x", "a@b.c", "pending"), time.Time{}, false},
		{"no status", `{"id":"x","recipientAddress":"a@b.c"}`, StatusKey{}, time.Time{}, true},
		{"not JSON", `Sign in to Outlook`, StatusKey{}, time.Time{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseExportedLine([]byte(tc.line))
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error: %v", err, tc.err)
			}
			if tc.err {
				return
			}
			if r.Key != tc.want || !r.Received.Equal(tc.received) {
				t.Errorf("got %v received %v, want %v received %v", r.Key, r.Received, tc.want, tc.received)
			}
		})
	}
}

func TestDeliveryCheck(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	row := func(id string, at time.Duration, st Status) Row {
		return Row{ID: id, RecipientAddress: "R@contoso.com", Status: st, Received: t0.Add(at)}
	}
	truth := []Row{row("a", 0, StatusDelivered), row("b", time.Minute, StatusFailed), row("c", 2*time.Minute, StatusDelivered),
		row("late", time.Hour, StatusDelivered)}
	line := func(id, status string, at time.Duration) []byte {
		return []byte(`{"id":"` + id + `","recipientAddress":"r@contoso.com","status":"` + status + `","receivedDateTime":"` +
			t0.Add(at).Format(time.RFC3339) + `"}`)
	}
	lines := [][]byte{
		line("a", "delivered", 0),
		line("b", "pending", time.Minute), // an interim status: not the truth's final one
		line("a", "Delivered", 0),         // a copy, in the legacy spelling
		[]byte("<html>"),
		line("late", "delivered", time.Hour), // beyond the cutoff
	}
	d := CompareLines(truth, lines, t0.Add(10*time.Minute))
	want := Delivery{Truth: 3, Rows: 5, Delivered: 1, Missing: 2, Duplicated: 1, Beyond: 1, Unexpected: 1, Malformed: 1}
	if d.Truth != want.Truth || d.Rows != want.Rows || d.Delivered != want.Delivered || d.Missing != want.Missing ||
		d.Duplicated != want.Duplicated || d.Beyond != want.Beyond || d.Unexpected != want.Unexpected || d.Malformed != want.Malformed {
		t.Errorf("got  %s\nwant %s", d, want)
	}
	if len(d.DupAt) != 1 || d.DupAt[0] != 2 {
		t.Errorf("DupAt %v, want [2]", d.DupAt)
	}
	if len(d.Samples) == 0 {
		t.Errorf("no samples of the problems")
	}
}
