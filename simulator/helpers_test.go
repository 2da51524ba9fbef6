package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var testNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func startSim(t *testing.T, cfg Config) *Simulator {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// token gets an app-only token for resource through the identity endpoint.
func token(t testing.TB, s *Simulator, resource string) string {
	t.Helper()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {s.cfg.ClientID},
		"client_secret": {s.cfg.ClientSecret}, "scope": {resource + "/.default"},
	}
	resp, err := http.PostForm(s.HTTPURL+"/"+s.cfg.TenantID+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		t.Fatalf("token: status %d, err %v", resp.StatusCode, err)
	}
	return out.AccessToken
}

const (
	graphAud  = "https://graph.microsoft.com"
	legacyAud = "https://outlook.office365.com"
)

type result struct {
	status int
	header http.Header
	body   []byte
}

func get(t *testing.T, rawURL, tok string) result {
	t.Helper()
	return getWith(t, rawURL, tok, "")
}

func getWith(t *testing.T, rawURL, tok, accept string) result {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, b}
}

func graphURL(s *Simulator, filter string, top int) string {
	u := s.HTTPURL + "/v1.0/admin/exchange/tracing/messageTraces?$filter=" + url.QueryEscape(filter)
	if top > 0 {
		u += "&$top=" + strconv.Itoa(top)
	}
	return u
}

func graphFilter(start, end time.Time) string {
	return "receivedDateTime ge " + start.Format(time.RFC3339) + " and receivedDateTime le " + end.Format(time.RFC3339)
}

type graphPage struct {
	Context  string           `json:"@odata.context"`
	Value    []map[string]any `json:"value"`
	NextLink string           `json:"@odata.nextLink"`
}

// quiet is a model with no late rows, no status changes and no quota, for
// exact comparisons.
func quiet(rowsPerDay float64, clk *clock) Config {
	return Config{Seed: 7, Now: clk.Now, RateLimit: -1, Model: ModelConfig{
		RowsPerDay: rowsPerDay, From: clk.Now().Add(-20 * 24 * time.Hour),
		DelayedFraction: -1, ChangingFraction: -1,
	}}
}
