package simulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func getAs(t *testing.T, client, rawURL, tok string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if client != "" {
		req.Header.Set(ClientHeader, client)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRequestLog: every list, details and legacy request is logged with
// the simulator's time, its X-Sim-Client, its token's tenant, its kind and
// the status answered, whatever answered it (the query, auth, the quota,
// a fault); identity and admin requests are not.
func TestRequestLog(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(2000, clk)
	cfg.RateLimit = 2
	cfg.Rows = []Row{{ID: "static-1", RecipientAddress: "dan@contoso.com", Received: testNow.Add(-30 * time.Minute), Status: StatusFailed}}
	cfg.Tenants = []TenantConfig{{Model: ModelConfig{RowsPerDay: 100}}}
	s := startSim(t, cfg)
	home, customer := s.HomeTenant(), s.Tenants()[1]
	graphTok, legacyTok := token(t, s, graphAud), token(t, s, legacyAud)
	custTok := tenantToken(t, s, customer.ID(), s.cfg.ClientID, s.cfg.ClientSecret, graphAud).token
	list := graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 10)
	legacy := legacyURL(s.HTTPURL, legacyFilter("2026-03-10T10:00:00Z", "2026-03-10T12:00:00Z"), "")
	details := detailsURL(s, "static-1", "dan@contoso.com")

	type step struct {
		client, url, tok string
		want             RequestRecord
	}
	steps := []step{
		{"replica-a", list, graphTok, RequestRecord{Client: "replica-a", Tenant: home.ID(), Kind: "list", Status: 200}},
		{"replica-a", details, graphTok, RequestRecord{Client: "replica-a", Tenant: home.ID(), Kind: "details", Status: 200}},
		{"replica-b", legacy, legacyTok, RequestRecord{Client: "replica-b", Tenant: home.ID(), Kind: "legacy", Status: 429}},
		{"", list, custTok, RequestRecord{Client: "", Tenant: customer.ID(), Kind: "list", Status: 200}},
		{"replica-b", details, "", RequestRecord{Client: "replica-b", Tenant: "", Kind: "details", Status: 401}},
	}
	var want []RequestRecord
	for i, st := range steps {
		if i == 3 {
			clk.Advance(time.Second)
		}
		if got := getAs(t, st.client, st.url, st.tok); got != st.want.Status {
			t.Fatalf("step %d: status %d, want %d", i, got, st.want.Status)
		}
		w := st.want
		w.Time = clk.Now()
		want = append(want, w)
	}
	s.SetFaults(Faults{Reset: 1})
	clk.Advance(6 * time.Minute)
	getAs(t, "replica-a", list, graphTok)
	want = append(want, RequestRecord{Time: clk.Now(), Client: "replica-a", Tenant: home.ID(), Kind: "list", Status: 0})
	s.SetFaults(Faults{})
	get(t, s.HTTPURL+"/admin/counters", "") // not an API request

	if got := s.Requests(); !reflect.DeepEqual(got, want) {
		t.Fatalf("log:\n%+v\nwant\n%+v", got, want)
	}
	if got := s.RequestsSince(testNow.Add(time.Second)); !reflect.DeepEqual(got, want[3:]) {
		t.Fatalf("since: %+v", got)
	}
	if c := s.Counters(); c.APIRequests != 6 || c.Requests["graph_details"][401] != 1 {
		t.Fatalf("counters beside the log: %+v", c)
	}

	readLog := func(query string) []RequestRecord {
		t.Helper()
		r := get(t, s.HTTPURL+"/admin/requests"+query, "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%s: %d %s", query, r.status, r.body)
		}
		var out []RequestRecord
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		for sc.Scan() {
			var rec RequestRecord
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rec); err != nil {
				t.Fatalf("%s: %v", sc.Bytes(), err)
			}
			out = append(out, rec)
		}
		return out
	}
	if got := readLog(""); !reflect.DeepEqual(got, want) {
		t.Fatalf("admin log:\n%+v", got)
	}
	if got := readLog("?since=" + testNow.Add(time.Second).Format(time.RFC3339Nano)); !reflect.DeepEqual(got, want[3:]) {
		t.Fatalf("admin since: %+v", got)
	}
	first, _, _ := bytes.Cut(get(t, s.HTTPURL+"/admin/requests", "").body, []byte("\n"))
	if string(first) != `{"time":"2026-03-10T12:00:00Z","client":"replica-a","tenant":"`+home.ID()+`","kind":"list","status":200}` {
		t.Fatalf("line %s", first)
	}
	if r := get(t, s.HTTPURL+"/admin/requests?since=yesterday", ""); r.status != 400 || !bytes.Contains(r.body, []byte("since:")) {
		t.Fatalf("bad since: %d %s", r.status, r.body)
	}
}

// TestRequestLogBounded: the log keeps the newest requests, in order, and
// interns a bounded number of client names.
func TestRequestLogBounded(t *testing.T) {
	l := newRequestLog(3000)
	for i := range 6123 {
		l.add(testNow.Add(time.Duration(i)), "client-"+strconv.Itoa(i%(maxClientNames+10)), nil, endpointGraph, i)
	}
	got := l.since(time.Time{})
	if len(got) != 3000 || got[0].status != 6123-3000 || got[2999].status != 6122 {
		t.Fatalf("%d entries, %d .. %d", len(got), got[0].status, got[len(got)-1].status)
	}
	if n := len(l.since(testNow.Add(6000))); n != 123 {
		t.Fatalf("since: %d", n)
	}
	if len(l.names) != maxClientNames {
		t.Fatalf("%d interned names", len(l.names))
	}
}
