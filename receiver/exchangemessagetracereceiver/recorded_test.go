package exchangemessagetracereceiver

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// Where the API clients keep the response bodies recorded from the two APIs.
const (
	graphRecorded     = "internal/graph/testdata"
	reportingRecorded = "internal/reporting/testdata"
)

// reply is one recorded API response: a status, a body file and headers
// ("Key: value").
type reply struct {
	status  int
	file    string
	headers []string
}

func recorded(file string) reply { return reply{status: http.StatusOK, file: file} }

// recordedAPI replays recorded responses, in order, to the API requests of
// a receiver over HTTPS on loopback, with the simulated identity platform
// answering the token requests. {{BASE}} in a body becomes the server's
// URL, as in the API clients' own tests.
type recordedAPI struct {
	URL    string
	CAFile string

	t       *testing.T
	mu      sync.Mutex
	replies []reply
	served  []string // request URIs, in order
}

func startRecordedAPI(t *testing.T, replies ...reply) *recordedAPI {
	t.Helper()
	a := &recordedAPI{t: t, replies: replies}
	id := identity.New(identity.Config{
		TenantID: simulator.DefaultTenantID, ClientID: simulator.DefaultClientID, ClientSecret: simulator.DefaultClientSecret,
	})
	tokens := id.Handler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1.0/") || strings.HasPrefix(r.URL.Path, "/ecp/") {
			a.serve(w, r)
			return
		}
		tokens.ServeHTTP(w, r)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	id.SetIssuerURL(srv.URL)

	a.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	require.NoError(t, os.WriteFile(a.CAFile, ca, 0o600))
	return a
}

func (a *recordedAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	n := len(a.served)
	a.served = append(a.served, r.URL.RequestURI())
	a.mu.Unlock()
	if n >= len(a.replies) {
		a.t.Errorf("request %d past the recorded replies: %s", n+1, r.URL.RequestURI())
		http.Error(w, "no more recorded replies", http.StatusTeapot)
		return
	}
	rep := a.replies[n]
	body, err := os.ReadFile(rep.file)
	if err != nil {
		a.t.Errorf("recorded reply %d: %v", n+1, err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range rep.headers {
		k, v, _ := strings.Cut(h, ":")
		w.Header().Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write([]byte(strings.ReplaceAll(string(body), "{{BASE}}", a.URL)))
}

// requests returns the API requests served so far.
func (a *recordedAPI) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.served...)
}

// recordedConfig is the factory's default config for api, pointed at a:
// only what a deployment must set (tenant, app, secret, endpoints, CA) and
// a lookback of an hour, so that the one poll is one range.
func recordedConfig(a *recordedAPI, api msgtrace.API) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = api
	cfg.TenantID, cfg.ClientID = simulator.DefaultTenantID, simulator.DefaultClientID
	cfg.ClientSecret = configopaque.String(simulator.DefaultClientSecret)
	cfg.AuthorityHost = a.URL
	cfg.Endpoint = a.URL + "/v1.0"
	if api == apiReporting {
		cfg.Endpoint = a.URL + "/ecp/reportingwebservice/reporting.svc"
	}
	cfg.TLS.CAFile = a.CAFile
	cfg.InitialLookback = time.Hour
	return cfg
}
