package simulator

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func legacyURL(base, filter string, extra string) string {
	return base + "/ecp/reportingwebservice/reporting.svc/MessageTrace?$filter=" + url.QueryEscape(filter) + "&$format=json" + extra
}

func legacyFilter(start, end string) string {
	return "StartDate eq datetime'" + start + "' and EndDate eq datetime'" + end + "'"
}

// TestLegacySeedResponse serves the seed's recorded rows back through the
// legacy endpoint and expects the very same rows, byte for byte.
func TestLegacySeedResponse(t *testing.T) {
	seed, err := os.ReadFile("testdata/seed_legacy_response.json")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ParseRows(seed)
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock(time.Date(2022, 11, 29, 17, 8, 30, 0, time.UTC))
	s := startSim(t, Config{Now: clk.Now, Rows: rows})
	tok := token(t, s, legacyAud)
	r := get(t, legacyURL(s.HTTPURL, legacyFilter("2022-11-27T17:08:26.8492706Z", "2022-11-29T17:08:26.8492706Z"), ""), tok)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var want, got struct {
		Meta  string            `json:"odata.metadata"`
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(seed, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(got.Meta, "/ecp/ReportingWebService/Reporting.svc/$metadata#MessageTrace") {
		t.Fatalf("odata.metadata %q", got.Meta)
	}
	if len(got.Value) != len(want.Value) {
		t.Fatalf("%d rows, want %d", len(got.Value), len(want.Value))
	}
	for i := range want.Value {
		var w bytes.Buffer
		_ = json.Compact(&w, want.Value[i])
		if w.String() != string(got.Value[i]) {
			t.Errorf("row %d\n got %s\nwant %s", i, got.Value[i], w.String())
		}
	}
}

func TestLegacyPagingAndShapes(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(4000, clk))
	tok := token(t, s, legacyAud)
	start, end := testNow.Add(-24*time.Hour), testNow.Add(-time.Hour)
	filter := legacyFilter(start.Format(time.RFC3339), end.Format(time.RFC3339))
	link := legacyURL(s.HTTPURL, filter, "&$top=1000")
	var got []map[string]any
	for pages := 0; link != ""; pages++ {
		r := get(t, link, tok)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var p struct {
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"odata.nextLink"`
		}
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Value...)
		link = ""
		if p.NextLink != "" {
			if !strings.HasPrefix(p.NextLink, "../../reportingwebservice/reporting.svc/MessageTrace?") ||
				!strings.HasSuffix(p.NextLink, "$skiptoken="+strconv.Itoa(len(got))) {
				t.Fatalf("nextLink %q", p.NextLink)
			}
			base, _ := url.Parse(s.HTTPURL + "/ecp/reportingwebservice/reporting.svc/MessageTrace")
			ref, _ := url.Parse(p.NextLink)
			link = base.ResolveReference(ref).String()
		}
	}
	truth := s.Truth(start, end)
	if len(got) != len(truth) || len(got) < 3000 {
		t.Fatalf("%d rows, truth %d", len(got), len(truth))
	}
	for i, row := range got {
		if row["MessageTraceId"] != truth[i].ID || row["RecipientAddress"] != truth[i].RecipientAddress || int(row["Index"].(float64)) != i {
			t.Fatalf("row %d = %v, truth %+v", i, row, truth[i])
		}
		recv := row["Received"].(string)
		if len(recv) != len("2022-09-05T18:10:13.4907658") || strings.HasSuffix(recv, "Z") {
			t.Fatalf("Received %q: want 7 fractional digits and no zone", recv)
		}
		if st := row["Status"].(string); st != string(truth[i].Status.Legacy()) {
			t.Fatalf("Status %q", st)
		}
		if truth[i].ToIP == "" && row["ToIP"] != nil {
			t.Fatalf("ToIP %v, want null", row["ToIP"])
		}
	}

	// A skiptoken the process never issued is found by counting.
	r := get(t, legacyURL(s.HTTPURL, filter, "&$top=2&$skiptoken=1500"), tok)
	var p struct{ Value []map[string]any }
	_ = json.Unmarshal(r.body, &p)
	if len(p.Value) != 2 || p.Value[0]["MessageTraceId"] != truth[1500].ID || p.Value[0]["Index"].(float64) != 1500 {
		t.Fatalf("skiptoken 1500: %s", r.body)
	}

	// The verbose shape.
	r = getWith(t, legacyURL(s.HTTPURL, filter, "&$top=2"), tok, "application/json;odata=verbose")
	var v struct {
		D struct {
			Results []map[string]any `json:"results"`
			Next    string           `json:"__next"`
		} `json:"d"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || len(v.D.Results) != 2 || !strings.HasPrefix(v.D.Next, s.HTTPURL) {
		t.Fatalf("verbose: %v %s", err, r.body)
	}
	if recv := v.D.Results[0]["Received"].(string); recv != "/Date("+strconv.FormatInt(truth[0].Received.UnixMilli(), 10)+")/" {
		t.Fatalf("verbose Received %q", recv)
	}
	if v.D.Results[0]["__metadata"] == nil {
		t.Fatal("no __metadata")
	}
}

func TestLegacyErrors(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(1000, clk))
	tok := token(t, s, legacyAud)
	filter := legacyFilter(testNow.Add(-time.Hour).Format(time.RFC3339), testNow.Format(time.RFC3339))
	tests := []struct {
		name, url  string
		wantStatus int
		wantMsg    string
	}{
		{"skiptoken 999999", legacyURL(s.HTTPURL, filter, "&$skiptoken=999999"), 500, "error"},
		{"skiptoken 999998", legacyURL(s.HTTPURL, filter, "&$skiptoken=999998"), 200, ""},
		{"bad skiptoken", legacyURL(s.HTTPURL, filter, "&$skiptoken=abc"), 400, "skip token"},
		{"bad date", legacyURL(s.HTTPURL, legacyFilter("yesterday", "today"), ""), 400, "Invalid"},
		{"unknown field", legacyURL(s.HTTPURL, filter+" and Colour eq 'red'", ""), 400, "Colour"},
		{"start after end", legacyURL(s.HTTPURL, legacyFilter(testNow.Format(time.RFC3339), testNow.Add(-time.Hour).Format(time.RFC3339)), ""), 400, "earlier"},
		{"status filter", legacyURL(s.HTTPURL, filter+" and Status eq 'Failed'", ""), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, tt.url, tok)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantStatus != 200 {
				var e struct {
					Err struct {
						Message struct{ Value string } `json:"message"`
					} `json:"odata.error"`
				}
				if err := json.Unmarshal(r.body, &e); err != nil || !strings.Contains(e.Err.Message.Value, tt.wantMsg) {
					t.Fatalf("odata.error %s, want %q", r.body, tt.wantMsg)
				}
			}
		})
	}
	// A skiptoken past the last row is an empty last page.
	r0 := get(t, legacyURL(s.HTTPURL, filter, "&$skiptoken=999998"), tok)
	if !strings.Contains(string(r0.body), `"value":[]`) || strings.Contains(string(r0.body), "nextLink") {
		t.Fatalf("skiptoken past the end: %s", r0.body)
	}
	// A status filter selects by the legacy spelling.
	r := get(t, legacyURL(s.HTTPURL, filter+" and Status eq 'Failed'", ""), tok)
	var p struct{ Value []map[string]any }
	_ = json.Unmarshal(r.body, &p)
	for _, row := range p.Value {
		if row["Status"] != "Failed" {
			t.Fatalf("status filter let %v through", row["Status"])
		}
	}
}

// TestLegacyRetention: the report keeps 30 days; older windows answer
// with what is left (nothing), echoing the window as asked.
func TestLegacyRetention(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(2000, clk)
	cfg.Model.From = testNow.Add(-60 * 24 * time.Hour)
	s := startSim(t, cfg)
	tok := token(t, s, legacyAud)
	old := testNow.Add(-40 * 24 * time.Hour)
	r := get(t, legacyURL(s.HTTPURL, legacyFilter(old.Format(time.RFC3339), old.Add(24*time.Hour).Format(time.RFC3339)), ""), tok)
	if r.status != 200 || !strings.Contains(string(r.body), `"value":[]`) {
		t.Fatalf("40 days back: %d %.300s", r.status, r.body)
	}
	start := testNow.Add(-30*24*time.Hour - time.Hour)
	r = get(t, legacyURL(s.HTTPURL, legacyFilter(start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339)), "&$top=5000"), tok)
	var p struct{ Value []map[string]any }
	if err := json.Unmarshal(r.body, &p); err != nil || len(p.Value) == 0 {
		t.Fatalf("straddling the retention edge: %v %.300s", err, r.body)
	}
	for _, row := range p.Value {
		recv, _ := parseTime(row["Received"].(string))
		if recv.Before(testNow.Add(-30 * 24 * time.Hour)) {
			t.Fatalf("row older than 30 days: %v", row["Received"])
		}
		if row["StartDate"] != start.Format(time.RFC3339) {
			t.Fatalf("StartDate %v, want the window as asked", row["StartDate"])
		}
	}
}
