package exchangemessagetracereceiver

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/oauth2clientauthextension"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// foreignHost is a server on another origin than the configured API: it
// records what reached it and answers with a Graph page, so that a
// receiver that followed a redirect there would deliver its row.
type foreignHost struct {
	srv *httptest.Server

	mu       sync.Mutex
	hits     int
	sawToken bool // an Authorization header of any kind
}

func newForeignHost(t *testing.T, tlsOn bool) *foreignHost {
	t.Helper()
	f := &foreignHost{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits++
		f.sawToken = f.sawToken || r.Header.Get("Authorization") != ""
		f.mu.Unlock()
		at := time.Now().Add(-90 * time.Minute).UTC().Format(time.RFC3339)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"value":[{"id":"f1000000-0000-4000-8000-0000000000ee","senderAddress":"planted@attacker.example",`+
			`"recipientAddress":"victim@contoso.com","messageId":"<planted@attacker.example>","receivedDateTime":%q,"subject":"planted",`+
			`"size":1,"fromIP":"192.0.2.66","toIP":"","status":"Delivered"}]}`, at)
	})
	if tlsOn {
		f.srv = httptest.NewTLSServer(h)
	} else {
		f.srv = httptest.NewServer(h)
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *foreignHost) seen() (hits int, sawToken bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits, f.sawToken
}

// redirectingAPI answers every request with status and a Location on
// target, keeping the path and query, and counts the requests.
type redirectingAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits int
}

func newRedirectingAPI(t *testing.T, status int, target string) *redirectingAPI {
	t.Helper()
	a := &redirectingAPI{}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.hits++
		a.mu.Unlock()
		http.Redirect(w, r, target+r.URL.RequestURI(), status)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *redirectingAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits
}

// httptestCAFile writes the certificate every httptest TLS server presents
// (one self-signed certificate for 127.0.0.1, shared by all of them), for
// tls.ca_file.
func httptestCAFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "httptest-ca.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	return path
}

// hostileSetup is an identity platform (the simulator's, over httptest
// TLS), an API endpoint that redirects to a foreign host, and a receiver
// config pointed at both.
type hostileSetup struct {
	cfg     *Config
	idp     *httptest.Server
	api     *redirectingAPI
	foreign *foreignHost
}

func newHostileSetup(t *testing.T, status int, foreignTLS bool) *hostileSetup {
	t.Helper()
	const tenant, client = "11111111-2222-3333-4444-555555555555", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	id := identity.New(identity.Config{TenantID: tenant, ClientID: client, ClientSecret: "Zx8Q~redirect-test-secret.abcdefgh"})
	idp := httptest.NewTLSServer(id.Handler())
	t.Cleanup(idp.Close)
	id.SetIssuerURL(idp.URL)
	foreign := newForeignHost(t, foreignTLS)
	api := newRedirectingAPI(t, status, foreign.srv.URL)

	cfg := createDefaultConfig().(*Config)
	cfg.TenantID, cfg.ClientID, cfg.ClientSecret = tenant, client, "Zx8Q~redirect-test-secret.abcdefgh"
	cfg.AuthorityHost = idp.URL
	cfg.Endpoint = api.srv.URL + "/v1.0"
	cfg.TLS.CAFile = httptestCAFile(t, idp)
	cfg.PollInterval = time.Second
	cfg.Delay, cfg.Settle, cfg.MaxRequestsPer5m = 0, 0, 0
	cfg.InitialLookback = 3 * time.Hour
	cfg.RetryOnFailure.InitialInterval = 50 * time.Millisecond
	cfg.RetryOnFailure.MaxInterval = 200 * time.Millisecond
	cfg.RetryOnFailure.MaxElapsedTime = 2 * time.Second
	return &hostileSetup{cfg: cfg, idp: idp, api: api, foreign: foreign}
}

// TestAPIRedirectToAnotherOriginIsNotFollowed: a redirect from the API
// endpoint to another origin (another port on loopback; plain http from
// https) is refused before any request leaves for it, with our own token
// source and with an `auth` extension signing the requests; the foreign
// answer never becomes rows, the status names what happened, and the
// refusal waits for the next poll instead of retrying at once.
func TestAPIRedirectToAnotherOriginIsNotFollowed(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		foreignTLS bool
		extension  bool
	}{
		{name: "302 to another https origin", status: http.StatusFound, foreignTLS: true},
		{name: "307 to another https origin", status: http.StatusTemporaryRedirect, foreignTLS: true},
		{name: "302 from https to plain http", status: http.StatusFound},
		{name: "301 to another https origin", status: http.StatusMovedPermanently, foreignTLS: true},
		{name: "308 from https to plain http", status: http.StatusPermanentRedirect},
		{name: "307 to another origin, auth extension signs", status: http.StatusTemporaryRedirect, foreignTLS: true, extension: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostileSetup(t, tt.status, tt.foreignTLS)
			secret := string(h.cfg.ClientSecret)
			host := newTestHost()
			if tt.extension {
				useOAuth2Extension(t, h, host)
			}
			sink := new(consumertest.LogsSink)
			_, logs := startReceiver(t, h.cfg, sink, host)

			// An error status, or else the foreign host reached or its row
			// delivered: whichever comes first.
			require.Eventually(t, func() bool {
				ev := host.lastEvent()
				hits, _ := h.foreign.seen()
				return hits > 0 || sink.LogRecordCount() > 0 || (ev != nil && ev.Status() == componentstatus.StatusRecoverableError)
			}, 20*time.Second, 20*time.Millisecond)
			// Two more polls' worth of time: a refusal retried at once
			// would hit the API hundreds of times.
			time.Sleep(2500 * time.Millisecond)
			msg := ""
			if ev := host.lastEvent(); ev != nil && ev.Err() != nil {
				msg = ev.Err().Error()
			}
			t.Logf("status: %s", msg)
			hits, sawToken := h.foreign.seen()
			assert.Zero(t, hits, "no request reached the foreign origin")
			assert.False(t, sawToken, "the foreign origin never saw an Authorization header")
			assert.Zero(t, sink.LogRecordCount(), "the foreign answer is not taken as rows")
			for _, want := range []string{fmt.Sprintf("answered %d, redirecting the request to", tt.status), h.foreign.srv.URL, h.api.srv.URL, h.cfg.TenantID} {
				assert.Contains(t, msg, want)
			}
			t.Logf("%d requests to the API in about 2.5 s of refusals (poll_interval 1s)", h.api.count())
			assert.LessOrEqual(t, h.api.count(), 12, "the refusal is not retried in a hot loop")
			assertNoSecrets(t, logs, secret)
		})
	}
}

// useOAuth2Extension makes the contrib oauth2client extension, fetching
// its token from h's identity platform, sign h's API requests.
func useOAuth2Extension(t *testing.T, h *hostileSetup, host *testHost) {
	t.Helper()
	f := oauth2clientauthextension.NewFactory()
	extCfg := f.CreateDefaultConfig().(*oauth2clientauthextension.Config)
	extCfg.ClientID = h.cfg.ClientID
	extCfg.ClientSecret = h.cfg.ClientSecret
	extCfg.TokenURL = h.idp.URL + "/" + h.cfg.TenantID + "/oauth2/v2.0/token"
	extCfg.Scopes = []string{graphScope}
	extCfg.TLS.CAFile = h.cfg.TLS.CAFile
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), extCfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, ext.Shutdown(context.Background())) })
	id := component.NewID(f.Type())
	host.extensions[id] = ext
	h.cfg.ClientSecret = ""
	h.cfg.Auth = configoptional.Some(configauth.Config{AuthenticatorID: id})
}

// TestSameOriginRedirectIsFollowed: a redirect within the API's origin
// (a load balancer moving a path) still works.
func TestSameOriginRedirectIsFollowed(t *testing.T) {
	h := newHostileSetup(t, http.StatusFound, true)
	var inner *httptest.Server
	var mu sync.Mutex
	sawToken := false
	inner = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/moved/") {
			mu.Lock()
			sawToken = sawToken || strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"value":[]}`))
			return
		}
		http.Redirect(w, r, "/moved"+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(inner.Close)
	h.cfg.Endpoint = inner.URL + "/v1.0"
	host := newTestHost()
	startReceiver(t, h.cfg, new(consumertest.LogsSink), host)
	require.Eventually(t, func() bool {
		ev := host.lastEvent()
		return ev != nil && ev.Status() == componentstatus.StatusOK
	}, 20*time.Second, 20*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.True(t, sawToken, "the token goes along a redirect within the origin")
}
