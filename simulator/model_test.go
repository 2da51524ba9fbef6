package simulator

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestModelIsDeterministic(t *testing.T) {
	from := testNow.Add(-48 * time.Hour)
	a := newModel(42, ModelConfig{RowsPerDay: 50000, From: from}.withDefaults(testNow), nil)
	b := newModel(42, ModelConfig{RowsPerDay: 50000, From: from}.withDefaults(testNow), nil)
	c := newModel(43, ModelConfig{RowsPerDay: 50000, From: from}.withDefaults(testNow), nil)
	ta := a.truth(testNow.Add(-2*time.Hour), testNow, testNow)
	if !reflect.DeepEqual(ta, b.truth(testNow.Add(-2*time.Hour), testNow, testNow)) {
		t.Fatal("same seed, different rows")
	}
	if reflect.DeepEqual(ta, c.truth(testNow.Add(-2*time.Hour), testNow, testNow)) {
		t.Fatal("different seeds, same rows")
	}
}

func TestModelRateAndContent(t *testing.T) {
	for _, perDay := range []float64{5, 2000, 1_000_000} {
		m := newModel(1, ModelConfig{RowsPerDay: perDay, From: testNow.Add(-30 * 24 * time.Hour)}.withDefaults(testNow), nil)
		span := 24 * time.Hour
		if perDay > 100000 {
			span = 3 * time.Hour
		}
		if perDay < 100 {
			span = 20 * 24 * time.Hour
		}
		rows := m.truth(testNow.Add(-span), testNow, testNow)
		want := perDay * span.Hours() / 24
		if got := float64(len(rows)); math.Abs(got-want) > 4*math.Sqrt(want)*2 {
			t.Errorf("%v rows/day: %d rows in %s, want about %.0f", perDay, len(rows), span, want)
		}
		if perDay < 1000 {
			continue
		}
		keys := map[string]bool{}
		var apostrophe, ipv6, emptyToIP, nullMsgID, multi int
		ids := map[string]int{}
		for _, r := range rows {
			k := r.ID + "|" + r.RecipientAddress
			if keys[k] {
				t.Fatalf("duplicate row key %s", k)
			}
			keys[k] = true
			ids[r.ID]++
			if strings.Contains(r.RecipientAddress, "'") {
				apostrophe++
			}
			if strings.Contains(r.FromIP, ":") || strings.Contains(r.ToIP, ":") {
				ipv6++
			}
			if r.ToIP == "" {
				emptyToIP++
			}
			if r.Nulls&NullMessageID != 0 {
				nullMsgID++
			}
		}
		for _, n := range ids {
			if n > 1 {
				multi++
			}
		}
		if apostrophe == 0 || ipv6 == 0 || emptyToIP == 0 || nullMsgID == 0 || multi == 0 {
			t.Errorf("%v rows/day lacks variety: apostrophes %d, IPv6 %d, empty toIP %d, null messageId %d, multi-recipient %d",
				perDay, apostrophe, ipv6, emptyToIP, nullMsgID, multi)
		}
	}
}

// TestVisibilityDelayAndStatusChanges follows rows as the clock moves:
// late rows appear only after their delay, changing rows show gettingStatus
// or pending first and their final status later, and the final picture
// equals the truth.
func TestVisibilityDelayAndStatusChanges(t *testing.T) {
	clk := newClock(testNow)
	cfg := Config{Seed: 3, Now: clk.Now, RateLimit: -1, Model: ModelConfig{
		RowsPerDay: 20000, From: testNow.Add(-24 * time.Hour),
		DelayedFraction: 0.5, MaxVisibilityDelay: 20 * time.Minute,
		ChangingFraction: 0.3, MaxChangeDelay: 30 * time.Minute,
	}}
	s := startSim(t, cfg)
	start, end := testNow.Add(-10*time.Minute), testNow
	fetch := func() map[string]string {
		tok := token(t, s, graphAud) // tokens live an hour
		out := map[string]string{}
		link := graphURL(s, graphFilter(start, end), 5000)
		for link != "" {
			var p graphPage
			r := get(t, link, tok)
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatalf("%v: %s", err, r.body)
			}
			for _, v := range p.Value {
				out[v["id"].(string)+"|"+v["recipientAddress"].(string)] = v["status"].(string)
			}
			link = p.NextLink
		}
		return out
	}
	truth := s.Truth(start, end)
	first := fetch()
	interim := 0
	for _, r := range truth {
		k := r.ID + "|" + r.RecipientAddress
		st, seen := first[k]
		if seen != !testNow.Before(r.Received.Add(r.VisibleAfter)) {
			t.Fatalf("row %s visible=%v with delay %s at age %s", k, seen, r.VisibleAfter, testNow.Sub(r.Received))
		}
		if seen && st != string(r.statusAt(testNow)) {
			t.Fatalf("row %s shows %s, want %s", k, st, r.statusAt(testNow))
		}
		if st == string(StatusGettingStatus) || st == string(StatusPending) {
			interim++
		}
	}
	if len(first) >= len(truth) || interim == 0 {
		t.Fatalf("saw %d of %d rows, %d in an interim status: no late rows or no changes to test", len(first), len(truth), interim)
	}
	clk.Advance(time.Hour)
	final := fetch()
	if len(final) != len(truth) {
		t.Fatalf("an hour later: %d rows, truth %d", len(final), len(truth))
	}
	for _, r := range truth {
		if final[r.ID+"|"+r.RecipientAddress] != string(r.Status) {
			t.Fatalf("final status of %s|%s: %s, truth %s", r.ID, r.RecipientAddress, final[r.ID+"|"+r.RecipientAddress], r.Status)
		}
	}
}

// TestExplicitRowBehaviour covers Config.Rows with a delay and a change.
func TestExplicitRowBehaviour(t *testing.T) {
	clk := newClock(testNow)
	rows, err := ParseRows([]byte(`[{"id":"a","recipientAddress":"r@contoso.com","receivedDateTime":"2026-03-10T11:00:00Z","status":"failed",
		"visibleAfter":"90m","interimStatus":"pending","statusAfter":"2h"}]`))
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, Config{Now: clk.Now, Rows: rows})
	status := func() string {
		tok := token(t, s, graphAud)
		var p graphPage
		_ = json.Unmarshal(get(t, graphURL(s, graphFilter(testNow.Add(-2*time.Hour), testNow.Add(-time.Minute)), 0), tok).body, &p)
		if len(p.Value) == 0 {
			return "invisible"
		}
		return p.Value[0]["status"].(string)
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{0, "invisible"}, {30 * time.Minute, "pending"}, {time.Hour, "failed"}} {
		clk.Advance(step.advance)
		if got := status(); got != step.want {
			t.Fatalf("after %s: %s, want %s", clk.Now().Sub(testNow), got, step.want)
		}
	}
}

func TestDailySwing(t *testing.T) {
	day := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	m := newModel(5, ModelConfig{RowsPerDay: 48000, DailySwing: 0.8, From: day.Add(-time.Hour)}.withDefaults(testNow), nil)
	peak := len(m.truth(day.Add(14*time.Hour), day.Add(16*time.Hour), testNow))
	trough := len(m.truth(day.Add(2*time.Hour), day.Add(4*time.Hour), testNow))
	total := len(m.truth(day, day.Add(24*time.Hour-time.Nanosecond), testNow))
	if peak < 5*trough || math.Abs(float64(total)-48000) > 2000 {
		t.Fatalf("peak %d, trough %d, day %d", peak, trough, total)
	}
}
