package simulator

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFaultRates checks that each fault shows up at about its configured
// rate and looks like what clients meet in the wild.
func TestFaultRates(t *testing.T) {
	const n = 600
	tests := []struct {
		name   string
		faults Faults
		kind   string
		check  func(t *testing.T, status int, h http.Header, body []byte, err error) bool // true when the fault is seen
	}{
		{"throttle", Faults{Throttle: 0.2, RetryAfterSeconds: 7}, "throttle", func(t *testing.T, st int, h http.Header, _ []byte, _ error) bool {
			if st == 429 && h.Get("Retry-After") != "7" {
				t.Fatalf("Retry-After %q", h.Get("Retry-After"))
			}
			return st == 429
		}},
		{"server error", Faults{ServerError: 0.1}, "server_error", func(t *testing.T, st int, _ http.Header, b []byte, _ error) bool {
			return st == 500 && bytes.HasPrefix(b, []byte(`{"error":{"code":"InternalServerError"`))
		}},
		{"unavailable", Faults{Unavailable: 0.3}, "unavailable", func(t *testing.T, st int, _ http.Header, _ []byte, _ error) bool { return st == 503 }},
		{"html sign-in page", Faults{HTML: 0.15}, "html", func(t *testing.T, st int, h http.Header, b []byte, _ error) bool {
			return st == 200 && strings.HasPrefix(h.Get("Content-Type"), "text/html") && bytes.Contains(b, []byte("<title>Sign in to Outlook</title>"))
		}},
		{"truncated body", Faults{Truncated: 0.2}, "truncated", func(t *testing.T, st int, _ http.Header, b []byte, err error) bool {
			return err != nil || (st == 200 && !json.Valid(b))
		}},
		{"connection reset", Faults{Reset: 0.1}, "reset", func(t *testing.T, _ int, _ http.Header, _ []byte, err error) bool {
			if err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
				t.Logf("reset looked like: %v", err)
			}
			return err != nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(testNow)
			cfg := quiet(20000, clk)
			cfg.Faults = tt.faults
			s := startSim(t, cfg)
			tok := token(t, s, graphAud)
			u := graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 50)
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			seen := 0
			for range n {
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				var body []byte
				var status int
				var h http.Header
				if err == nil {
					status, h = resp.StatusCode, resp.Header
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if tt.check(t, status, h, body, err) {
					seen++
				}
			}
			rate := rateOf(tt.faults)
			want := rate * n
			if math.Abs(float64(seen)-want) > 4*math.Sqrt(want*(1-rate)) {
				t.Fatalf("%d of %d requests hit, want about %.0f", seen, n, want)
			}
			if c := s.Counters(); c.Faults[tt.kind] != int64(seen) {
				t.Fatalf("counted %d %s faults, saw %d", c.Faults[tt.kind], tt.kind, seen)
			}
		})
	}
}

func rateOf(f Faults) float64 {
	return f.Throttle + f.ServerError + f.Unavailable + f.HTML + f.Truncated + f.Reset
}

func TestSlowFault(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(100, clk)
	cfg.Faults = Faults{Slow: 1, SlowDelay: Duration(300 * time.Millisecond)}
	s := startSim(t, cfg)
	tok := token(t, s, graphAud)
	start := time.Now()
	if r := get(t, graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 0), tok); r.status != 200 {
		t.Fatal(r.status)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("answered in %s", d)
	}
}

// TestBadSkipTokenFault: a defective nextLink (doubly-quoted StartDate)
// answers 400 "Cannot process argument transformation on parameter
// 'StartDate'"; restarting the range works.
func TestBadSkipTokenFault(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(20000, clk)
	cfg.Faults = Faults{BadSkipToken: 1}
	s := startSim(t, cfg)
	tok := token(t, s, graphAud)
	var p graphPage
	_ = json.Unmarshal(get(t, graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 10), tok).body, &p)
	r := get(t, p.NextLink, tok)
	if r.status != 400 || !strings.Contains(string(r.body), "Cannot process argument transformation on parameter 'StartDate'") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	s.SetFaults(Faults{})
	if r := get(t, graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 10), tok); r.status != 200 {
		t.Fatalf("restart: %d", r.status)
	}
}

func TestFaultsAreReproducible(t *testing.T) {
	run := func() []int {
		clk := newClock(testNow)
		cfg := quiet(100, clk)
		cfg.Faults = Faults{ServerError: 0.2, Unavailable: 0.2, HTML: 0.2}
		s := startSim(t, cfg)
		tok := token(t, s, graphAud)
		var out []int
		for range 50 {
			out = append(out, get(t, graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 1), tok).status)
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d then %d", i, a[i], b[i])
		}
	}
}

func TestAdminAPI(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(3000, clk))
	// HTTPS is trusted through the CA file, as a collector's tls.ca_file would.
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	for _, host := range []string{s.HTTPSURL, strings.Replace(s.HTTPSURL, "127.0.0.1", "localhost", 1)} {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := hc.Get(host + "/admin/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatal(resp.StatusCode)
		}
	}
	start, end := testNow.Add(-6*time.Hour), testNow.Add(-time.Hour)
	r := get(t, s.HTTPURL+"/admin/truth?start="+start.Format(time.RFC3339)+"&end="+end.Format(time.RFC3339), "")
	truth := s.Truth(start, end)
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	i := 0
	for ; sc.Scan(); i++ {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		if row["id"] != truth[i].ID || row["status"] != string(truth[i].Status) {
			t.Fatalf("line %d: %s", i, sc.Bytes())
		}
	}
	if i != len(truth) || i == 0 {
		t.Fatalf("%d lines, truth %d", i, len(truth))
	}
	r = get(t, s.HTTPURL+"/admin/truth?format=legacy&start="+start.Format(time.RFC3339)+"&end="+end.Format(time.RFC3339), "")
	if !bytes.HasPrefix(r.body, []byte(`{"Organization":"contoso.onmicrosoft.com","MessageId":`)) {
		t.Fatalf("legacy truth %.200s", r.body)
	}

	resp, err := http.Post(s.HTTPURL+"/admin/authcode", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var code struct{ Code string }
	_ = json.NewDecoder(resp.Body).Decode(&code)
	resp.Body.Close()
	if code.Code == "" {
		t.Fatal("no authorization code")
	}
	resp, err = http.Post(s.HTTPURL+"/admin/faults", "application/json", strings.NewReader(`{"throttle":0.5,"slow_delay":"2s","permission_missing":true}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f := s.CurrentFaults(); f.Throttle != 0.5 || time.Duration(f.SlowDelay) != 2*time.Second || !f.PermissionMissing {
		t.Fatalf("faults %+v", f)
	}
	resp, _ = http.Post(s.HTTPURL+"/admin/faults", "application/json", strings.NewReader(`{"throtle":1}`))
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("misspelt fault accepted: %d", resp.StatusCode)
	}
	var c Counters
	if err := json.Unmarshal(get(t, s.HTTPURL+"/admin/counters", "").body, &c); err != nil || c.Requests["admin"][200] < 3 {
		t.Fatalf("counters %+v %v", c, err)
	}
}

// TestLegacyFaultShapes: the legacy report's faults wear its own clothes.
func TestLegacyFaultShapes(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(1000, clk))
	tok := token(t, s, legacyAud)
	u := legacyURL(s.HTTPURL, legacyFilter(testNow.Add(-time.Hour).Format(time.RFC3339), testNow.Format(time.RFC3339)), "")
	tests := []struct {
		faults     Faults
		wantStatus int
		wantBody   string
	}{
		{Faults{HTML: 1}, 200, "<title>Sign in to Outlook</title>"},
		{Faults{Throttle: 1}, 429, `{"odata.error":{"code":"","message":{"lang":"en-US","value":"Your recent queries have surpassed the permitted limit`},
		{Faults{ServerError: 1}, 500, `{"odata.error":`},
		{Faults{Unavailable: 1}, 503, `{"odata.error":`},
	}
	for _, tt := range tests {
		s.SetFaults(tt.faults)
		r := get(t, u, tok)
		if r.status != tt.wantStatus || !strings.Contains(string(r.body), tt.wantBody) {
			t.Fatalf("%+v: %d %.200s", tt.faults, r.status, r.body)
		}
	}
}
