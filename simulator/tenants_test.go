package simulator

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// Tenant places in tenantsConfig.
const (
	tenantA         = iota // consented, the provider's app
	tenantB                // consented
	tenantNoConsent        // never consented: AADSTS700016
	tenantNewerCode        // never consented, answered with AADSTS7000229
	tenantNoRoles          // consented without the permission
	tenantOwnApp           // registered its own app (and never consented to the provider's)
	tenantNoSP             // Microsoft's message trace service principal missing
)

const (
	ownAppID     = "0d1e2f3a-4b5c-4d6e-8f70-819203a4b5c6"
	ownAppSecret = "own-app-secret"
)

// tenantsConfig is a provider with seven customer tenants of 2,000 rows a
// day each (quiet: exact comparisons), quota 3 per window.
func tenantsConfig(clk *clock) Config {
	cfg := quiet(2000, clk)
	cfg.RateLimit = 3
	tenants, err := GenerateTenants(7, Spread{Kind: "fixed", Max: 2000}, cfg.Seed, cfg.Model)
	if err != nil {
		panic(err)
	}
	tenants[tenantNoConsent].Consent = identity.ConsentNone
	tenants[tenantNewerCode].Consent = identity.ConsentNone
	tenants[tenantNewerCode].NewerConsentError = true
	tenants[tenantNoRoles].Consent = identity.ConsentWithoutPermission
	tenants[tenantOwnApp].Consent = identity.ConsentNone
	tenants[tenantOwnApp].App = &identity.App{ClientID: ownAppID, ClientSecret: ownAppSecret}
	tenants[tenantNoSP].Faults.ServicePrincipalMissing = true
	cfg.Tenants = tenants
	return cfg
}

// customer is customer tenant i (0-based) of s.
func customer(t *testing.T, s *Simulator, i int) *Tenant {
	t.Helper()
	return s.Tenants()[1+i]
}

// tokenAnswer is a token endpoint's answer.
type tokenAnswer struct {
	status int
	token  string
	code   int    // AADSTS code of an error
	desc   string // error_description
}

// tenantToken asks tenant's v2 token endpoint for an app-only token.
func tenantToken(t *testing.T, s *Simulator, tenant, clientID, secret, resource string) tokenAnswer {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID},
		"client_secret": {secret}, "scope": {resource + "/.default"}}
	resp, err := http.PostForm(s.HTTPURL+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Codes       []int  `json:"error_codes"`
		Desc        string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	a := tokenAnswer{status: resp.StatusCode, token: out.AccessToken, desc: out.Desc}
	if len(out.Codes) > 0 {
		a.code = out.Codes[0]
	}
	return a
}

// providerToken is tenant's token of the provider's app, or a failure.
func providerToken(t *testing.T, s *Simulator, tenant, resource string) string {
	t.Helper()
	a := tenantToken(t, s, tenant, s.cfg.ClientID, s.cfg.ClientSecret, resource)
	if a.status != 200 {
		t.Fatalf("token of tenant %s: %d AADSTS%d %s", tenant, a.status, a.code, a.desc)
	}
	return a.token
}

func claims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTenantTokens(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, tenantsConfig(clk))
	id := func(i int) string { return customer(t, s, i).ID() }
	app, secret := s.cfg.ClientID, s.cfg.ClientSecret
	tests := []struct {
		name                   string
		tenant, client, secret string
		status, code           int
		inDesc                 string
		wantRoles              bool
	}{
		{name: "consented tenant", tenant: id(tenantA), client: app, secret: secret, status: 200, wantRoles: true},
		{name: "home tenant", tenant: s.cfg.TenantID, client: app, secret: secret, status: 200, wantRoles: true},
		{name: "by verified domain", tenant: customer(t, s, tenantB).Domain(), client: app, secret: secret, status: 200, wantRoles: true},
		{name: "domain in upper case", tenant: strings.ToUpper(customer(t, s, tenantB).Domain()), client: app, secret: secret, status: 200, wantRoles: true},
		{name: "no consent", tenant: id(tenantNoConsent), client: app, secret: secret, status: 400, code: 700016,
			inDesc: "AADSTS700016: Application with identifier '" + app + "' was not found in the directory '" + id(tenantNoConsent) + "'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."},
		{name: "no consent, even with a wrong secret", tenant: id(tenantNoConsent), client: app, secret: "wrong", status: 400, code: 700016},
		{name: "no consent, newer answer", tenant: id(tenantNewerCode), client: app, secret: secret, status: 401, code: 7000229,
			inDesc: "AADSTS7000229: The client application " + app + " is missing service principal in the tenant " + id(tenantNewerCode) + "."},
		{name: "consent without the permission", tenant: id(tenantNoRoles), client: app, secret: secret, status: 200},
		{name: "own app in its tenant", tenant: id(tenantOwnApp), client: ownAppID, secret: ownAppSecret, status: 200, wantRoles: true},
		{name: "own app, wrong secret", tenant: id(tenantOwnApp), client: ownAppID, secret: secret, status: 401, code: 7000215},
		{name: "own app elsewhere", tenant: id(tenantA), client: ownAppID, secret: ownAppSecret, status: 400, code: 700016},
		{name: "provider app where only the own app is", tenant: id(tenantOwnApp), client: app, secret: secret, status: 400, code: 700016},
		{name: "unknown tenant", tenant: "nobody.onmicrosoft.com", client: app, secret: secret, status: 400, code: 90002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tenantToken(t, s, tt.tenant, tt.client, tt.secret, graphAud)
			if a.status != tt.status || a.code != tt.code {
				t.Fatalf("got %d AADSTS%d %s, want %d AADSTS%d", a.status, a.code, a.desc, tt.status, tt.code)
			}
			if !strings.Contains(a.desc, tt.inDesc) {
				t.Fatalf("description %q lacks %q", a.desc, tt.inDesc)
			}
			if a.status != 200 {
				return
			}
			c := claims(t, a.token)
			want, _ := s.Tenant(tt.tenant)
			if c["tid"] != want.ID() || c["iss"] != "https://sts.windows.net/"+want.ID()+"/" || c["appid"] != tt.client {
				t.Fatalf("claims %v: want tid %s, appid %s", c, want.ID(), tt.client)
			}
			if _, has := c["roles"]; has != tt.wantRoles {
				t.Fatalf("roles %v, want roles: %v", c["roles"], tt.wantRoles)
			}
		})
	}
}

func TestTenantConsentFlipsAtRunTime(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, tenantsConfig(clk))
	tn := customer(t, s, tenantNoConsent)
	if a := tenantToken(t, s, tn.ID(), s.cfg.ClientID, s.cfg.ClientSecret, graphAud); a.code != 700016 {
		t.Fatalf("before consent: %d AADSTS%d", a.status, a.code)
	}
	r := adminPost(t, s, "/admin/tenants/"+tn.Domain(), `{"consent":"granted"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"consent": "granted"`) {
		t.Fatalf("admin: %d %s", r.status, r.body)
	}
	tok := providerToken(t, s, tn.ID(), graphAud)
	if g := get(t, graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 10), tok); g.status != 200 {
		t.Fatalf("after consent: %d %s", g.status, g.body)
	}
	if err := tn.SetConsent(identity.ConsentNone); err != nil {
		t.Fatal(err)
	}
	if a := tenantToken(t, s, tn.ID(), s.cfg.ClientID, s.cfg.ClientSecret, graphAud); a.code != 700016 {
		t.Fatalf("after revoking: %d AADSTS%d", a.status, a.code)
	}
	stats, _ := s.Identity().TenantStats(tn.ID())
	if stats.TokensIssued != 1 || stats.Failures[700016] != 2 {
		t.Fatalf("tenant token stats %+v", stats)
	}
}

// TestTenantAPIAnswers: each tenant's switches answer its own requests only.
func TestTenantAPIAnswers(t *testing.T) {
	clk := newClock(testNow)
	cfg := tenantsConfig(clk)
	cfg.RateLimit = -1
	cfg.Tenants[tenantB].Faults.ServerError = 1
	s := startSim(t, cfg)
	graph := graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 5)
	legacy := s.HTTPURL + "/ecp/reportingwebservice/reporting.svc/MessageTrace?$format=json"
	id := func(i int) string { return customer(t, s, i).ID() }
	tests := []struct {
		name, tenant, url, resource string
		status                      int
		inBody                      string
	}{
		{name: "healthy tenant", tenant: id(tenantA), url: graph, resource: graphAud, status: 200},
		{name: "home tenant", tenant: s.cfg.TenantID, url: graph, resource: graphAud, status: 200},
		{name: "server errors injected", tenant: id(tenantB), url: graph, resource: graphAud, status: 500, inBody: "InternalServerError"},
		{name: "service principal missing", tenant: id(tenantNoSP), url: graph, resource: graphAud, status: 401,
			inBody: "Service principal-less Authentication failed: the service principal for App ID 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 was not found."},
		{name: "the legacy report needs no service principal", tenant: id(tenantNoSP), url: legacy, resource: legacyAud, status: 200},
		{name: "token without roles: Graph", tenant: id(tenantNoRoles), url: graph, resource: graphAud, status: 403,
			inBody: "API requires one of 'ExchangeMessageTrace.Read.All'. Roles on the request ''."},
		{name: "token without roles: legacy", tenant: id(tenantNoRoles), url: legacy, resource: legacyAud, status: 403,
			inBody: "No permission to access the report for the organization ."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, tt.url, providerToken(t, s, tt.tenant, tt.resource))
			if r.status != tt.status || !strings.Contains(string(r.body), tt.inBody) {
				t.Fatalf("got %d %.300s, want %d with %q", r.status, r.body, tt.status, tt.inBody)
			}
		})
	}
	if c := customer(t, s, tenantA).Counters(); c.Requests["graph"][200] != 1 || c.APIRequests != 1 || len(c.Faults) != 0 {
		t.Fatalf("tenant A counters %+v", c)
	}
	if c := customer(t, s, tenantB).Counters(); c.Requests["graph"][500] != 1 || c.Faults["server_error"] != 1 {
		t.Fatalf("tenant B counters %+v", c)
	}
	if c := s.Counters(); c.APIRequests != int64(len(tests)) || c.Faults["server_error"] != 1 {
		t.Fatalf("global counters %+v", c)
	}
}

func TestTenantQuotaIsolation(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, tenantsConfig(clk)) // 3 per window
	graph := graphURL(s, graphFilter(testNow.Add(-time.Hour), testNow), 5)
	a, b := customer(t, s, tenantA), customer(t, s, tenantB)
	tokA, tokB := providerToken(t, s, a.ID(), graphAud), providerToken(t, s, b.ID(), graphAud)
	for i, want := range []int{200, 200, 200, 429, 429} {
		if r := get(t, graph, tokA); r.status != want {
			t.Fatalf("tenant A request %d: %d, want %d", i, r.status, want)
		}
	}
	for i := range 3 {
		if r := get(t, graph, tokB); r.status != 200 {
			t.Fatalf("tenant B request %d: %d %s: A's requests spent B's quota", i, r.status, r.body)
		}
	}
	ca, cb := a.Counters(), b.Counters()
	if ca.Throttled != 2 || ca.MaxAPIRequestsInWindow != 5 || cb.Throttled != 0 || cb.MaxAPIRequestsInWindow != 3 {
		t.Fatalf("A %+v\nB %+v", ca, cb)
	}
	if g := s.Counters(); g.Throttled != 2 || g.MaxAPIRequestsInWindow != 8 {
		t.Fatalf("global %+v", g)
	}
	clk.Advance(5 * time.Minute)
	if r := get(t, graph, tokA); r.status != 200 {
		t.Fatalf("tenant A after the window: %d", r.status)
	}
}

// TestTenantTruthIsItsOwn: paging with a tenant's token returns exactly that
// tenant's truth, and no two tenants share a row.
func TestTenantTruthIsItsOwn(t *testing.T) {
	clk := newClock(testNow)
	cfg := tenantsConfig(clk)
	cfg.RateLimit = -1
	s := startSim(t, cfg)
	start, end := testNow.Add(-6*time.Hour), testNow.Add(-time.Hour)
	owner := map[RowKey]string{}
	for _, tn := range []*Tenant{s.HomeTenant(), customer(t, s, tenantA), customer(t, s, tenantB)} {
		name := tn.ID()
		if tn.Domain() != "" {
			name = tn.Domain() // by domain: routing goes by the token's tid all the same
		}
		tok := providerToken(t, s, name, graphAud)
		var got []string
		for link := graphURL(s, graphFilter(start, end), 200); link != ""; {
			r := get(t, link, tok)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", name, r.status, r.body)
			}
			var p graphPage
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatal(err)
			}
			for _, row := range p.Value {
				got = append(got, row["id"].(string)+"|"+row["recipientAddress"].(string))
			}
			link = p.NextLink
		}
		truth := tn.Truth(start, end)
		if len(truth) < 200 || len(got) != len(truth) || tn.TruthCount(start, end) != len(truth) {
			t.Fatalf("%s: paged %d rows, truth %d (count %d)", name, len(got), len(truth), tn.TruthCount(start, end))
		}
		for i, row := range truth {
			if got[i] != row.ID+"|"+row.RecipientAddress {
				t.Fatalf("%s: row %d = %s, truth %s|%s", name, i, got[i], row.ID, row.RecipientAddress)
			}
			if prev, dup := owner[row.Key()]; dup {
				t.Fatalf("row %v of %s is also %s's", row.Key(), name, prev)
			}
			owner[row.Key()] = name
			if !strings.HasSuffix(row.RecipientAddress, "@"+tn.Config().Model.Domain) && !strings.HasSuffix(row.SenderAddress, "@"+tn.Config().Model.Domain) && !tn.Home() {
				t.Fatalf("%s: row %s|%s is not of its mail domain %s", name, row.SenderAddress, row.RecipientAddress, tn.Config().Model.Domain)
			}
		}
	}
}

func TestTenantsAdmin(t *testing.T) {
	clk := newClock(testNow)
	s := startSim(t, tenantsConfig(clk))
	r := get(t, s.HTTPURL+"/admin/tenants?truth=1", "")
	var list struct{ Tenants []TenantInfo }
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != 200 {
		t.Fatalf("%d %s %v", r.status, r.body, err)
	}
	if len(list.Tenants) != 8 || !list.Tenants[0].Home || list.Tenants[0].ID != s.cfg.TenantID {
		t.Fatalf("tenants %+v", list.Tenants)
	}
	own := list.Tenants[1+tenantOwnApp]
	if own.Domain != "customer0006.onmicrosoft.com" || own.AppClientID != ownAppID || own.Consent != identity.ConsentNone ||
		own.TruthRows == nil || *own.TruthRows != customer(t, s, tenantOwnApp).TruthCount(testNow.Add(-48*time.Hour), testNow) {
		t.Fatalf("own-app tenant %+v", own)
	}
	if strings.Contains(string(r.body), ownAppSecret) {
		t.Fatal("the admin API shows a tenant's client secret")
	}
	tn := customer(t, s, tenantA)
	if r := adminPost(t, s, "/admin/tenants/"+tn.ID(), `{"service_principal_missing":true}`); r.status != 200 || !tn.Faults().ServicePrincipalMissing {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := adminPost(t, s, "/admin/tenants/"+tn.ID(), `{"faults":{"throttle":1}}`); r.status != 200 || tn.Faults() != (Faults{Throttle: 1}) {
		t.Fatalf("%d %s %+v", r.status, r.body, tn.Faults())
	}
	for _, bad := range []struct{ path, body, inErr string }{
		{"/admin/tenants/nobody", `{}`, "no tenant nobody"},
		{"/admin/tenants/" + tn.ID(), `{"consent":"maybe"}`, `consent \"maybe\": use one of granted, none, without_permission`},
		{"/admin/tenants/" + tn.ID(), `{"sp":true}`, "unknown field"},
		{"/admin/tenants/" + s.cfg.TenantID, `{"consent":"none"}`, "home tenant"},
	} {
		if r := adminPost(t, s, bad.path, bad.body); r.status == 200 || !strings.Contains(string(r.body), bad.inErr) {
			t.Fatalf("%s %s: %d %s", bad.path, bad.body, r.status, r.body)
		}
	}
	r = get(t, s.HTTPURL+"/admin/tenants/"+tn.Domain()+"/truth?start="+testNow.Add(-time.Hour).Format(time.RFC3339), "")
	if n := strings.Count(string(r.body), "\n"); r.status != 200 || n != len(tn.Truth(testNow.Add(-time.Hour), testNow)) || n == 0 {
		t.Fatalf("truth: %d, %d lines", r.status, n)
	}
}

func adminPost(t *testing.T, s *Simulator, path, body string) result {
	t.Helper()
	resp, err := http.Post(s.HTTPURL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: []byte(b.String())}
}
