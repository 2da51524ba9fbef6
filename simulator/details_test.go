package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func detailsURL(s *Simulator, id, rcpt string) string {
	return s.HTTPURL + "/v1.0/admin/exchange/tracing/messageTraces/" + id +
		"/getDetailsByRecipient(recipientAddress=" + url.PathEscape("'"+strings.ReplaceAll(rcpt, "'", "''")+"'") + ")"
}

func TestDetailsByRecipient(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(5000, clk)
	cfg.Rows = []Row{{ID: "static-1", RecipientAddress: "dan.o'connor@contoso.com", Received: testNow.Add(-30 * time.Minute), Status: StatusFailed}}
	s := startSim(t, cfg)
	tok := token(t, s, graphAud)
	var p graphPage
	if err := json.Unmarshal(get(t, graphURL(s, graphFilter(testNow.Add(-3*time.Hour), testNow), 50), tok).body, &p); err != nil || len(p.Value) < 20 {
		t.Fatalf("list: %v (%d rows)", err, len(p.Value))
	}
	lastEvent := map[string]string{"delivered": "Deliver|Send", "failed": "Fail", "quarantined": "Fail", "expanded": "Expand", "filteredAsSpam": "Deliver"}
	for _, row := range p.Value {
		id, rcpt := row["id"].(string), row["recipientAddress"].(string)
		r := get(t, detailsURL(s, id, rcpt), tok)
		if r.status != 200 {
			t.Fatalf("details of %s|%s: %d %s", id, rcpt, r.status, r.body)
		}
		var d struct {
			Value []struct {
				ID, Event, Description, Data, DateTime string
				MessageID                              *string
			}
		}
		if err := json.Unmarshal(r.body, &d); err != nil || len(d.Value) < 2 {
			t.Fatalf("details body %s", r.body)
		}
		if d.Value[0].Event != "Receive" || !strings.Contains(lastEvent[row["status"].(string)], d.Value[len(d.Value)-1].Event) {
			t.Fatalf("events of a %s row: %s", row["status"], r.body)
		}
		if (d.Value[0].MessageID == nil) != (row["messageId"] == nil) {
			t.Fatalf("messageId differs: %s", r.body)
		}
	}
	if r := get(t, detailsURL(s, "static-1", "DAN.O'CONNOR@contoso.com"), tok); r.status != 200 || !strings.Contains(string(r.body), `"event":"Fail"`) {
		t.Fatalf("static row details: %d %s", r.status, r.body)
	}
	if r := get(t, detailsURL(s, p.Value[0]["id"].(string), "nobody@contoso.com"), tok); r.status != 404 {
		t.Fatalf("unknown recipient: %d", r.status)
	}
	if r := get(t, detailsURL(s, p.Value[0]["id"].(string), "x"), ""); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	if c := s.Counters(); c.Requests["graph_details"][200] != int64(len(p.Value))+1 || c.Requests["graph_details"][404] != 1 {
		t.Fatalf("counters %v", c.Requests)
	}
}

// TestDetailsShareFaultsAndQuota: the details call goes through the same
// fault injection and tenant quota as the list call.
func TestDetailsShareFaultsAndQuota(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(5000, clk)
	cfg.Rows = []Row{{ID: "static-1", RecipientAddress: "dan@contoso.com", Received: testNow.Add(-30 * time.Minute), Status: StatusQuarantined}}
	cases := []struct {
		name        string
		faults      Faults
		status      int
		contentType string
	}{
		{"throttle", Faults{Throttle: 1, RetryAfterSeconds: 7}, 429, "application/json"},
		{"server error", Faults{ServerError: 1}, 500, "application/json"},
		{"unavailable", Faults{Unavailable: 1}, 503, "application/json"},
		{"html", Faults{HTML: 1}, 200, "text/html; charset=utf-8"},
		{"service principal", Faults{ServicePrincipalMissing: true}, 401, "application/json"},
		{"permission", Faults{PermissionMissing: true}, 403, "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t, cfg)
			tok := token(t, s, graphAud)
			s.SetFaults(tc.faults)
			r := get(t, detailsURL(s, "static-1", "dan@contoso.com"), tok)
			if r.status != tc.status || r.header.Get("Content-Type") != tc.contentType {
				t.Fatalf("%d %s: %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			if tc.status == 429 && r.header.Get("Retry-After") != "7" {
				t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
			}
			if c := s.Counters(); c.Requests["graph_details"][tc.status] != 1 {
				t.Fatalf("counters %v", c.Requests)
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		s := startSim(t, cfg)
		tok := token(t, s, graphAud)
		s.SetFaults(Faults{Truncated: 1})
		for range 4 { // either way of truncating
			req, _ := http.NewRequest("GET", detailsURL(s, "static-1", "dan@contoso.com"), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && json.Valid(b) {
				t.Fatalf("a whole body: %s", b)
			}
		}
		if s.Counters().Faults["truncated"] < 4 { // the client may retry a cut GET
			t.Fatalf("faults %v", s.Counters().Faults)
		}
	})
	t.Run("quota shared with the list", func(t *testing.T) {
		c := cfg
		c.RateLimit = 3
		s := startSim(t, c)
		tok := token(t, s, graphAud)
		for i := range 3 {
			if r := get(t, graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 10), tok); r.status != 200 {
				t.Fatalf("list %d: %d", i, r.status)
			}
		}
		r := get(t, detailsURL(s, "static-1", "dan@contoso.com"), tok)
		if r.status != 429 || r.header.Get("Retry-After") == "" {
			t.Fatalf("details after the quota is spent: %d %s", r.status, r.body)
		}
		clk.Advance(6 * time.Minute)
		defer clk.Advance(-6 * time.Minute)
		if r := get(t, detailsURL(s, "static-1", "dan@contoso.com"), tok); r.status != 200 {
			t.Fatalf("details once the window freed: %d", r.status)
		}
	})
}
