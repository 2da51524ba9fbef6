package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

const (
	tenantID   = "11111111-2222-3333-4444-555555555555"
	clientID   = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	secret     = "Zx8Q~s3cr3tValue.abcdefghijklmnop"
	oldSecret  = "Zx8Q~expiredValue.qrstuvwxyz012345"
	graphScope = "https://graph.microsoft.com/.default"
	legacy     = "https://outlook.office365.com/.default"
	fedIssuer  = "https://oidc.prod-aks.azure.com/tenant/cluster/"
	keyPrefix  = "v1/reporting/" + tenantID
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sim is a simulated authority over real HTTPS on loopback, plus a client
// that trusts only its certificate authority.
type sim struct {
	srv    *identity.Server
	ts     *httptest.Server
	client *http.Client
	clock  *clock
}

func newSim(t *testing.T, mutate func(*identity.Config)) *sim {
	t.Helper()
	return newWrappedSim(t, mutate, nil)
}

// newWrappedSim is newSim with the authority's handler behind wrap (when
// set): a hostile or broken authority in front of the simulated one.
func newWrappedSim(t *testing.T, mutate func(*identity.Config), wrap func(http.Handler) http.Handler) *sim {
	t.Helper()
	clk := &clock{now: time.Now()}
	cfg := identity.Config{TenantID: tenantID, ClientID: clientID, ClientSecret: secret,
		ExpiredSecrets: []string{oldSecret}, FederatedIssuers: []string{fedIssuer}, Now: clk.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	srv := identity.New(cfg)
	handler := srv.Handler()
	if wrap != nil {
		handler = wrap(handler)
	}
	ts := httptest.NewTLSServer(handler)
	t.Cleanup(ts.Close)
	srv.SetIssuerURL(ts.URL)
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	t.Cleanup(client.CloseIdleConnections)
	return &sim{srv: srv, ts: ts, client: client, clock: clk}
}

func (s *sim) settings() Settings {
	return Settings{TenantID: tenantID, ClientID: clientID, AuthorityHost: s.ts.URL, Scope: graphScope, HTTPClient: s.client, KeyPrefix: keyPrefix}
}

// resourceServer stands for Graph or the legacy service: it accepts only
// tokens the simulator issued for audience.
func (s *sim) resourceServer(t *testing.T, audience string) *httptest.Server {
	t.Helper()
	rs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, body, ok := s.srv.Authenticate(r, audience); !ok {
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rs.Close)
	return rs
}

// memStore is an in-memory Store whose writes can be made to fail.
type memStore struct {
	mu         sync.Mutex
	data       map[string][]byte
	failSet    bool
	failDelete bool
	sets       int
}

func newMemStore() *memStore { return &memStore{data: map[string][]byte{}} }

func (m *memStore) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data[key], nil
}

func (m *memStore) Set(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSet {
		return errors.New("disk full")
	}
	m.sets++
	m.data[key] = append([]byte(nil), value...)
	return nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failSet || m.failDelete {
		return errors.New("disk full")
	}
	delete(m.data, key)
	return nil
}

func (m *memStore) setFailing(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failSet = on
}

func (m *memStore) dump() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := ""
	for k, v := range m.data {
		out += k + "=" + string(v) + "\n"
	}
	return out
}

// newCertFiles writes a self-signed certificate and its key as one PEM
// file, and returns the certificate for the simulator to register.
func newCertFiles(t *testing.T) (*x509.Certificate, *rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "otel-collector"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "collector.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	pemData = append(pemData, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	require.NoError(t, os.WriteFile(path, pemData, 0o600))
	return cert, key, path
}

// audienceOf is the Audience of an API at base.
func audienceOf(t *testing.T, base string) Audience {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	return Audience{Origin: u, Service: "Microsoft Graph", Tenant: tenantID}
}

func apiError(t *testing.T, err error) *msgtrace.APIError {
	t.Helper()
	require.Error(t, err)
	var ae *msgtrace.APIError
	require.True(t, errors.As(err, &ae), "want *msgtrace.APIError, got %T: %v", err, err)
	return ae
}
