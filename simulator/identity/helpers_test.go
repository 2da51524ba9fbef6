package identity

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t thumbprint
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

const (
	testTenant = "11111111-2222-3333-4444-555555555555"
	testClient = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	testSecret = "s3cr3t~Value.0123456789"
	oldSecret  = "expired~Value.9876543210"
	graph      = "https://graph.microsoft.com"
	outlook    = "https://outlook.office365.com"
)

// clock is an injectable, advanceable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

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

type fixture struct {
	srv   *Server
	ts    *httptest.Server
	clock *clock
}

func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	clk := newClock()
	cfg := Config{TenantID: testTenant, ClientID: testClient, ClientSecret: testSecret,
		ExpiredSecrets: []string{oldSecret}, Now: clk.Now}
	if mutate != nil {
		mutate(&cfg)
	}
	srv := New(cfg)
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(ts.Close)
	srv.SetIssuerURL(ts.URL)
	return &fixture{srv: srv, ts: ts, clock: clk}
}

// post sends a form to path and returns the status and the decoded JSON body.
func (f *fixture) post(t *testing.T, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := f.ts.Client().PostForm(f.ts.URL+path, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode, decode(t, resp.Body)
}

func (f *fixture) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := f.ts.Client().Get(f.ts.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	return resp.StatusCode, decode(t, resp.Body)
}

func decode(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.NewDecoder(r).Decode(&m))
	return m
}

func v1Path(tenant string) string { return "/" + tenant + "/oauth2/token" }
func v2Path(tenant string) string { return "/" + tenant + "/oauth2/v2.0/token" }

func secretForm(secret string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient},
		"client_secret": {secret}, "scope": {graph + "/.default"}}
}

// aadCode returns the single AADSTS code of an error body.
func aadCode(t *testing.T, body map[string]any) int {
	t.Helper()
	codes, ok := body["error_codes"].([]any)
	require.True(t, ok, "error_codes missing: %v", body)
	require.Len(t, codes, 1)
	return int(codes[0].(float64))
}

// redeem turns a fresh code into a v1 token response and returns its refresh token.
func (f *fixture) redeem(t *testing.T) string {
	t.Helper()
	status, body := f.post(t, v1Path(testTenant), url.Values{"grant_type": {"authorization_code"},
		"client_id": {testClient}, "client_secret": {testSecret}, "code": {f.srv.NewAuthCode()},
		"redirect_uri": {"https://localhost"}, "resource": {outlook}})
	require.Equal(t, http.StatusOK, status, body)
	return body["refresh_token"].(string)
}

func (f *fixture) refresh(t *testing.T, rt string) (int, map[string]any) {
	t.Helper()
	return f.post(t, v1Path(testTenant), url.Values{"grant_type": {"refresh_token"},
		"client_id": {testClient}, "client_secret": {testSecret}, "refresh_token": {rt}, "resource": {outlook}})
}

// newCert makes a self-signed RSA certificate, as an operator would upload.
func newCert(t *testing.T) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "collector"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

type assertionSpec struct {
	alg     string // RS256 or PS256 (HS256 to test rejection)
	thumbFn func(cert *x509.Certificate) (string, string)
	claims  jwt.MapClaims
}

func x5t(cert *x509.Certificate) (string, string) {
	sum := sha1.Sum(cert.Raw) //nolint:gosec
	return "x5t", base64.RawURLEncoding.EncodeToString(sum[:])
}

func x5tS256(cert *x509.Certificate) (string, string) {
	sum := sha256.Sum256(cert.Raw)
	return "x5t#S256", base64.RawURLEncoding.EncodeToString(sum[:])
}

// x5tS256Std is how MSAL for Go writes the thumbprint: standard base64.
func x5tS256Std(cert *x509.Certificate) (string, string) {
	sum := sha256.Sum256(cert.Raw)
	return "x5t#S256", base64.StdEncoding.EncodeToString(sum[:])
}

func (f *fixture) claims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{"aud": f.ts.URL + v2Path(testTenant), "iss": testClient, "sub": testClient,
		"jti": "8b1e2c3d-1111-2222-3333-444455556666", "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "iat": now.Unix()}
}

func sign(t *testing.T, spec assertionSpec, cert *x509.Certificate, key *rsa.PrivateKey) string {
	t.Helper()
	method := jwt.GetSigningMethod(spec.alg)
	tok := jwt.NewWithClaims(method, spec.claims)
	if spec.thumbFn != nil {
		k, v := spec.thumbFn(cert)
		tok.Header[k] = v
	}
	var signingKey any = key
	if spec.alg == "HS256" {
		signingKey = []byte("not-an-rsa-key")
	}
	s, err := tok.SignedString(signingKey)
	require.NoError(t, err)
	return s
}

func assertionForm(assertion string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient},
		"client_assertion_type": {jwtBearer}, "client_assertion": {assertion}, "scope": {graph + "/.default"}}
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}
