package simulator

import (
	"encoding/json"
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
