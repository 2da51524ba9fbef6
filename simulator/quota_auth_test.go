package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRollingQuota(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(100, clk)
	cfg.RateLimit, cfg.RateWindow = 5, time.Minute
	s := startSim(t, cfg)
	tok := token(t, s, graphAud)
	u := graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow.Add(-time.Minute)), 0)
	legacy := legacyURL(s.HTTPURL, legacyFilter(testNow.Add(-time.Hour).Format(time.RFC3339), testNow.Format(time.RFC3339)), "")
	ltok := token(t, s, legacyAud)

	// Three Graph requests at t0, two legacy ones 20 s later: the tenant's
	// quota is shared by both APIs.
	for range 3 {
		if r := get(t, u, tok); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	clk.Advance(20 * time.Second)
	for range 2 {
		if r := get(t, legacy, ltok); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	}
	r := get(t, u, tok)
	if r.status != 429 {
		t.Fatalf("sixth request: %d", r.status)
	}
	// The oldest requests leave the window 40 s from now.
	if ra := r.header.Get("Retry-After"); ra != "40" {
		t.Fatalf("Retry-After %q, want 40", ra)
	}
	if !strings.Contains(string(r.body), "Your recent queries have surpassed the permitted limit, please try again later.") {
		t.Fatalf("429 body %s", r.body)
	}
	if r := get(t, legacy, ltok); r.status != 429 || !strings.Contains(string(r.body), "odata.error") {
		t.Fatalf("legacy over quota: %d %s", r.status, r.body)
	}
	clk.Advance(40 * time.Second)
	if r := get(t, u, tok); r.status != 200 {
		t.Fatalf("after the window: %d", r.status)
	}
	c := s.Counters()
	// 3 + 2 + 2 refused + 1, of which at most 7 (5 + the 2 refused) in one minute.
	if c.APIRequests != 8 || c.Throttled != 2 || c.MaxAPIRequestsInWindow != 7 || c.Requests["graph"][429] != 1 || c.Requests["legacy"][200] != 2 {
		t.Fatalf("counters %+v", c)
	}

	// A forced Retry-After wins.
	s.SetFaults(Faults{RetryAfterSeconds: 7})
	for range 5 {
		get(t, u, tok)
	}
	if r := get(t, u, tok); r.status != 429 || r.header.Get("Retry-After") != "7" {
		t.Fatalf("forced Retry-After: %d %q", r.status, r.header.Get("Retry-After"))
	}
}

func TestQuotaOff(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(100, clk)) // RateLimit -1
	tok := token(t, s, graphAud)
	for range 150 {
		if r := get(t, graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 1), tok); r.status != 200 {
			t.Fatalf("%d", r.status)
		}
	}
	if c := s.Counters(); c.MaxAPIRequestsInWindow != 150 {
		t.Fatalf("max in window %d", c.MaxAPIRequestsInWindow)
	}
}

func TestAuthAndSwitches(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(100, clk)
	cfg.AccessTokenTTL = 10 * time.Minute
	s := startSim(t, cfg)
	gtok, ltok := token(t, s, graphAud), token(t, s, legacyAud)
	gu := graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 0)
	lu := legacyURL(s.HTTPURL, legacyFilter(testNow.Add(-time.Hour).Format(time.RFC3339), testNow.Format(time.RFC3339)), "")

	tests := []struct {
		name       string
		faults     Faults
		url, tok   string
		wantStatus int
		wantBody   string
	}{
		{"graph without token", Faults{}, gu, "", 401, ""},
		{"legacy without token", Faults{}, lu, "", 401, ""},
		{"graph with a legacy token", Faults{}, gu, ltok, 401, ""},
		{"service principal missing", Faults{ServicePrincipalMissing: true}, gu, gtok, 401,
			`{"error":{"code":"Unauthorized","message":"Service principal-less Authentication failed: the service principal for App ID 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 was not found.`},
		{"service principal missing leaves legacy alone", Faults{ServicePrincipalMissing: true}, lu, ltok, 200, ""},
		{"graph permission missing", Faults{PermissionMissing: true}, gu, gtok, 403, `{"error":{"code":"Forbidden"`},
		{"legacy permission missing", Faults{PermissionMissing: true}, lu, ltok, 403,
			`{"ErrorCode":"","Message":"No permission to access the report for the organization ."}`},
		{"all well", Faults{}, gu, gtok, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetFaults(tt.faults)
			r := get(t, tt.url, tt.tok)
			if r.status != tt.wantStatus || !strings.HasPrefix(string(r.body), tt.wantBody) {
				t.Fatalf("got %d %s, want %d %s", r.status, r.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	s.SetFaults(Faults{})
	clk.Advance(11 * time.Minute)
	if r := get(t, gu, gtok); r.status != 401 || !strings.Contains(string(r.body), "expired") {
		t.Fatalf("expired token: %d %s", r.status, r.body)
	}
}

func TestTokenOutageSwitch(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, quiet(100, clk))
	resp, err := http.Post(s.HTTPURL+"/admin/faults", "application/json", strings.NewReader(`{"token_outage":true}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.PostForm(s.HTTPURL+"/"+s.cfg.TenantID+"/oauth2/v2.0/token", map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {s.cfg.ClientID}, "client_secret": {s.cfg.ClientSecret},
		"scope": {graphAud + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("token endpoint during outage: %d", resp.StatusCode)
	}
	s.SetFaults(Faults{ConsentMissing: true})
	resp, err = http.PostForm(s.HTTPURL+"/"+s.cfg.TenantID+"/oauth2/v2.0/token", map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {s.cfg.ClientID}, "client_secret": {s.cfg.ClientSecret},
		"scope": {graphAud + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 400 || !strings.Contains(string(body), "65001") {
		t.Fatalf("consent missing: %d %s", resp.StatusCode, body)
	}
	s.SetFaults(Faults{})
	token(t, s, graphAud)
	if c := s.Counters(); c.Requests["identity"][503] != 1 || c.Requests["identity"][200] != 1 {
		t.Fatalf("identity counters %v", c.Requests["identity"])
	}
	var f Faults
	r := get(t, s.HTTPURL+"/admin/faults", "")
	if err := json.Unmarshal(r.body, &f); err != nil || f.TokenOutage {
		t.Fatalf("faults %s", r.body)
	}
}
