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

func TestGraphFilterLimits(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(1000, clk))
	tok := token(t, s, graphAud)
	day := 24 * time.Hour
	tests := []struct {
		name, filter string
		top          string
		wantStatus   int
		wantMsg      string
	}{
		{"ten days exactly", graphFilter(testNow.Add(-10*day), testNow), "", 200, ""},
		{"longer than ten days", graphFilter(testNow.Add(-10*day-time.Second), testNow), "", 400, "can't be longer than 10 days"},
		{"older than 90 days", graphFilter(testNow.Add(-92*day), testNow.Add(-85*day)), "", 400, "older than 90 days"},
		{"90 days counted from midnight", graphFilter(testNow.Truncate(day).Add(-90*day), testNow.Truncate(day).Add(-85*day)), "", 200, ""},
		{"end in the future", graphFilter(testNow.Add(-time.Hour), testNow.Add(time.Minute)), "", 400, "future"},
		{"missing end", "receivedDateTime ge " + testNow.Add(-time.Hour).Format(time.RFC3339), "", 400, "EndDate must be specified"},
		{"missing start", "receivedDateTime le " + testNow.Format(time.RFC3339), "", 400, "StartDate must be specified"},
		{"start after end", graphFilter(testNow, testNow.Add(-time.Hour)), "", 400, "later than the EndDate"},
		{"fractional seconds", "receivedDateTime ge 2026-03-10T10:00:00.123Z and receivedDateTime le 2026-03-10T11:00:00.5Z", "", 200, ""},
		{"unknown property", graphFilter(testNow.Add(-time.Hour), testNow) + " and colour eq 'red'", "", 400, "Could not find a property named 'colour'"},
		{"or and ne ignored", graphFilter(testNow.Add(-time.Hour), testNow) + " or status eq 'failed' and status ne 'delivered'", "", 200, ""},
		{"syntax error", "receivedDateTime ge", "", 400, "Invalid filter"},
		{"top 0", graphFilter(testNow.Add(-time.Hour), testNow), "0", 400, "$top"},
		{"top 5001", graphFilter(testNow.Add(-time.Hour), testNow), "5001", 400, "$top"},
		{"top 5000", graphFilter(testNow.Add(-time.Hour), testNow), "5000", 200, ""},
		{"no filter: last 48 hours", "", "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := s.HTTPURL + "/v1.0/admin/exchange/tracing/messageTraces?$filter=" + url.QueryEscape(tt.filter)
			if tt.filter == "" {
				u = s.HTTPURL + "/v1.0/admin/exchange/tracing/messageTraces"
			}
			if tt.top != "" {
				u += "&$top=" + tt.top
			}
			r := get(t, u, tok)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			if tt.wantStatus != 200 {
				var env struct {
					Error struct {
						Code, Message string
						InnerError    map[string]string
					}
				}
				if err := json.Unmarshal(r.body, &env); err != nil {
					t.Fatalf("not a Graph error envelope: %s", r.body)
				}
				if env.Error.Code != "BadRequest" || !strings.Contains(env.Error.Message, tt.wantMsg) || env.Error.InnerError["request-id"] == "" {
					t.Fatalf("error %+v, want message containing %q", env.Error, tt.wantMsg)
				}
			}
		})
	}
}

// TestGraphPagingMatchesTruth pages a day through small pages and checks
// that the union is exactly the ground truth, newest first, without repeats.
func TestGraphPagingMatchesTruth(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(5000, clk))
	tok := token(t, s, graphAud)
	start, end := testNow.Add(-24*time.Hour), testNow.Add(-time.Hour)
	link := graphURL(s, graphFilter(start, end), 700)
	var got []map[string]any
	pages := 0
	for link != "" {
		r := get(t, link, tok)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		var p graphPage
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(p.Context, "/v1.0/$metadata#admin/exchange/tracing/messageTraces") {
			t.Fatalf("context %q", p.Context)
		}
		if p.NextLink != "" && !strings.HasPrefix(p.NextLink, s.HTTPURL+"/v1.0/admin/exchange/tracing/messageTraces?") {
			t.Fatalf("nextLink not absolute: %q", p.NextLink)
		}
		if p.NextLink != "" && len(p.Value) != 700 {
			t.Fatalf("page %d has %d rows", pages, len(p.Value))
		}
		got = append(got, p.Value...)
		link = p.NextLink
		pages++
	}
	truth := s.Truth(start, end)
	if len(truth) < 4000 || len(got) != len(truth) {
		t.Fatalf("paged %d rows over %d pages, truth has %d", len(got), pages, len(truth))
	}
	seen := map[string]bool{}
	var prev time.Time
	for i, row := range got {
		key := row["id"].(string) + "|" + row["recipientAddress"].(string)
		if seen[key] {
			t.Fatalf("row %d repeated: %s", i, key)
		}
		seen[key] = true
		if key != truth[i].ID+"|"+truth[i].RecipientAddress {
			t.Fatalf("row %d = %s, truth %s|%s", i, key, truth[i].ID, truth[i].RecipientAddress)
		}
		rt, err := time.Parse(time.RFC3339Nano, row["receivedDateTime"].(string))
		if err != nil || !rt.Equal(truth[i].Received) {
			t.Fatalf("row %d received %v (%v), truth %v", i, rt, err, truth[i].Received)
		}
		if i > 0 && rt.After(prev) {
			t.Fatalf("row %d is newer than the row before it", i)
		}
		prev = rt
	}
}

func TestGraphRowShape(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(0, clk)
	cfg.Rows = []Row{
		{ID: "b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f", SenderAddress: "sender@contoso.com", RecipientAddress: "dan.o'connor@contoso.com",
			MessageID: "<1f2e3d4c@contoso.com>", Received: time.Date(2026, 3, 10, 11, 12, 34, 0, time.UTC), Subject: "Monthly report",
			Size: 51234, FromIP: "2001:db8::25", ToIP: "", Status: StatusDelivered},
		{ID: "0c1d5652-d2eb-496c-a741-08dad1cb79be", RecipientAddress: "x@contoso.com", Nulls: NullMessageID | NullSubject | NullSenderAddress,
			Received: time.Date(2026, 3, 10, 11, 0, 0, 120_000_000, time.UTC), Size: 1, FromIP: "203.0.113.25", ToIP: "198.51.100.7", Status: StatusQuarantined},
	}
	s := startSim(t, cfg)
	tok := token(t, s, graphAud)
	r := get(t, graphURL(s, graphFilter(testNow.Add(-2*time.Hour), testNow), 0), tok)
	want := `{"@odata.context":"` + s.HTTPURL + `/v1.0/$metadata#admin/exchange/tracing/messageTraces","value":[` +
		`{"id":"b7c1f4d2-9a6e-4c3b-8f2d-1e0a6c5b4d3f","senderAddress":"sender@contoso.com","recipientAddress":"dan.o'connor@contoso.com","messageId":"<1f2e3d4c@contoso.com>","receivedDateTime":"2026-03-10T11:12:34Z","subject":"Monthly report","size":51234,"fromIP":"2001:db8::25","toIP":"","status":"delivered"},` +
		`{"id":"0c1d5652-d2eb-496c-a741-08dad1cb79be","senderAddress":null,"recipientAddress":"x@contoso.com","messageId":null,"receivedDateTime":"2026-03-10T11:00:00.12Z","subject":null,"size":1,"fromIP":"203.0.113.25","toIP":"198.51.100.7","status":"quarantined"}]}`
	if string(r.body) != want {
		t.Fatalf("body\n%s\nwant\n%s", r.body, want)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	// An apostrophe in a filter literal is doubled, as OData wants.
	r = get(t, graphURL(s, graphFilter(testNow.Add(-2*time.Hour), testNow)+" and recipientAddress eq 'dan.o''connor@contoso.com'", 0), tok)
	var p graphPage
	if err := json.Unmarshal(r.body, &p); err != nil || len(p.Value) != 1 {
		t.Fatalf("filter by apostrophe address: %s", r.body)
	}
	// Beta rows carry @odata.type first.
	r = get(t, strings.Replace(graphURL(s, graphFilter(testNow.Add(-2*time.Hour), testNow), 0), "/v1.0/", "/beta/", 1), tok)
	if !strings.Contains(string(r.body), `"value":[{"@odata.type":"#microsoft.graph.exchangeMessageTrace","id":`) {
		t.Fatalf("beta body %s", r.body)
	}
}

func TestGraphSkipTokenChecks(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(20000, clk))
	tok := token(t, s, graphAud)
	filter := graphFilter(testNow.Add(-time.Hour), testNow)
	var p graphPage
	if err := json.Unmarshal(get(t, graphURL(s, filter, 10), tok).body, &p); err != nil || p.NextLink == "" {
		t.Fatal("no nextLink")
	}
	// The token belongs to its window: reusing it with another one is refused.
	u, _ := url.Parse(p.NextLink)
	q := u.Query()
	q.Set("$filter", graphFilter(testNow.Add(-2*time.Hour), testNow))
	u.RawQuery = q.Encode()
	if r := get(t, u.String(), tok); r.status != 400 {
		t.Fatalf("foreign skiptoken: %d", r.status)
	}
	q.Set("$skiptoken", "not-base64!")
	u.RawQuery = q.Encode()
	if r := get(t, u.String(), tok); r.status != 400 {
		t.Fatalf("garbage skiptoken: %d", r.status)
	}
	// Without a filter (last 48 hours) the window travels in the token.
	if err := json.Unmarshal(get(t, s.HTTPURL+"/v1.0/admin/exchange/tracing/messageTraces?$top=5", tok).body, &p); err != nil || p.NextLink == "" {
		t.Fatal("no nextLink without a filter")
	}
	clk.Advance(time.Minute)
	if r := get(t, p.NextLink, tok); r.status != 200 {
		t.Fatalf("following an unfiltered nextLink: %d %s", r.status, r.body)
	}
}

// TestGraphOverHTTPS pages over HTTPS with the simulator's own client:
// nextLinks keep the https scheme.
func TestGraphOverHTTPS(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(20000, clk))
	tok := token(t, s, graphAud)
	link := s.HTTPSURL + "/v1.0/admin/exchange/tracing/messageTraces?$top=1000&$filter=" + url.QueryEscape(graphFilter(testNow.Add(-2*time.Hour), testNow))
	hc := s.Client()
	pages := 0
	for ; link != ""; pages++ {
		req, _ := http.NewRequest("GET", link, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p graphPage
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, err)
		}
		if p.NextLink != "" && !strings.HasPrefix(p.NextLink, s.HTTPSURL+"/") {
			t.Fatalf("nextLink %q", p.NextLink)
		}
		link = p.NextLink
	}
	if pages < 2 {
		t.Fatalf("%d pages", pages)
	}
}

// Graph adds enum members after unknownFutureValue (status: recalled) and
// sends them only to a client that asks with a Prefer header.
func TestGraphRecalledNeedsPreferHeader(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(0, clk)
	cfg.Rows = []Row{{ID: "0c1d5652-d2eb-496c-a741-08dad1cb79be", RecipientAddress: "x@contoso.com",
		Received: testNow.Add(-time.Hour), Size: 1, FromIP: "203.0.113.25", Status: StatusRecalled}}
	s := startSim(t, cfg)
	tok := token(t, s, graphAud)
	tests := []struct {
		prefer []string
		want   string
	}{
		{nil, `"status":"unknownFutureValue"`},
		{[]string{"include-unknown-enum-members"}, `"status":"recalled"`},
		{[]string{"odata.maxpagesize=10, Include-Unknown-Enum-Members"}, `"status":"recalled"`},
		{[]string{"odata.maxpagesize=10", "include-unknown-enum-members"}, `"status":"recalled"`},
		{[]string{"return=minimal"}, `"status":"unknownFutureValue"`},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, graphURL(s, graphFilter(testNow.Add(-2*time.Hour), testNow), 0), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		for _, p := range tt.prefer {
			req.Header.Add("Prefer", p)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), tt.want) {
			t.Errorf("Prefer %q: body %s, want %s", tt.prefer, body, tt.want)
		}
	}
}
