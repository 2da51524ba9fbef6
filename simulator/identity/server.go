package identity

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Stats counts what the token endpoint did, for tests and the simulator's
// own introspection.
type Stats struct {
	// TokensIssued counts access tokens by grant_type
	// (client_credentials, authorization_code, refresh_token) and, for the
	// managed identity endpoints, by source (managed_identity_app_service,
	// managed_identity_cloud_shell).
	TokensIssued map[string]int
	// RefreshTokensRotated counts refresh tokens replaced by a newer one.
	RefreshTokensRotated int
	// StaleRefreshReuse counts refresh tokens presented after a newer one
	// from the same chain had been issued (a client that lost its newest token).
	StaleRefreshReuse int
	CodesRedeemed     int
	CodesReused       int
	// Failures counts error responses by AADSTS code.
	Failures map[int]int
	// ManagedIdentityRefused counts error answers of the managed identity
	// endpoints (unknown identity, wrong secret header, bad request).
	ManagedIdentityRefused int
}

// Server is one simulated tenant's identity platform.
type Server struct {
	cfg Config

	mu             sync.Mutex
	issuerURL      string
	outage         bool
	consentMissing bool
	codes          map[string]*authCode
	refresh        map[string]*refreshChain // every refresh token ever issued → its chain
	access         map[string]accessGrant
	federated      []FederatedCredential
	managed        ManagedIdentityConfig
	stats          Stats

	// tenants are the directory's tenants by lower-case GUID and domain;
	// apps the application registrations by lower-case client id.
	tenants    map[string]*dirTenant
	apps       map[string]*registeredApp
	homeTenant *dirTenant
	homeApp    *registeredApp
}

type authCode struct {
	issued   time.Time
	resource string // from the authorize request; "" when the redemption must name it
	redeemed bool
}

// refreshChain is one sign-in session: each refresh replaces latest.
type refreshChain struct {
	latest     string
	issued     time.Time // when latest was issued
	lastActive time.Time
	resource   string
}

type accessGrant struct {
	audience string
	expires  time.Time
	bearer   Bearer
}

// New returns a server for cfg. Call SetIssuerURL once its address is known.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	home := &dirTenant{id: cfg.TenantID, home: true}
	app := &registeredApp{clientID: cfg.ClientID, secret: cfg.ClientSecret, expired: cfg.ExpiredSecrets,
		tenant: home, multiTenant: true, home: true}
	return &Server{
		cfg:        cfg,
		codes:      map[string]*authCode{},
		refresh:    map[string]*refreshChain{},
		access:     map[string]accessGrant{},
		federated:  slices.Clone(cfg.FederatedCredentials),
		managed:    cfg.ManagedIdentity,
		stats:      Stats{TokensIssued: map[string]int{}, Failures: map[int]int{}},
		tenants:    map[string]*dirTenant{strings.ToLower(cfg.TenantID): home},
		apps:       map[string]*registeredApp{strings.ToLower(cfg.ClientID): app},
		homeTenant: home,
		homeApp:    app,
	}
}

// SetIssuerURL records the https base URL the handler is served at, such as
// https://127.0.0.1:PORT; discovery documents and assertion audiences use it.
func (s *Server) SetIssuerURL(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuerURL = strings.TrimSuffix(base, "/")
}

func (s *Server) issuerBase() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuerBaseLocked()
}

func (s *Server) issuerBaseLocked() string {
	if s.issuerURL == "" {
		return "https://login.microsoftonline.com"
	}
	return s.issuerURL
}

// Handler serves the authority host's endpoints and the Azure host's local
// managed identity endpoints (AppServiceTokenPath, CloudShellTokenPath);
// mount it at the root.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/token", s.serveToken(tokenV1))
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.serveToken(tokenV2))
	mux.HandleFunc("GET /{tenant}/oauth2/authorize", s.serveAuthorize)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.serveAuthorize)
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.serveOpenIDConfiguration(tokenV2))
	mux.HandleFunc("GET /{tenant}/.well-known/openid-configuration", s.serveOpenIDConfiguration(tokenV1))
	mux.HandleFunc("GET /common/discovery/instance", s.serveInstanceDiscovery)
	mux.HandleFunc("GET "+AppServiceTokenPath, s.serveAppServiceToken)
	mux.HandleFunc("POST "+CloudShellTokenPath, s.serveCloudShellToken)
	return mux
}

// NewAuthCode returns a fresh one-time authorization code, as if a user had
// signed in and been redirected with it.
func (s *Server) NewAuthCode() string { return s.newAuthCode("") }

func (s *Server) newAuthCode(resource string) string {
	code := "0.A" + randomToken(96)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = &authCode{issued: s.cfg.Now(), resource: resource}
	return code
}

// SetOutage makes the token endpoint answer 503 while on.
func (s *Server) SetOutage(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = on
}

// SetConsentMissing makes every token request fail with AADSTS65001 while on,
// as when admin consent was never granted or was revoked.
func (s *Server) SetConsentMissing(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consentMissing = on
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.TokensIssued = make(map[string]int, len(s.stats.TokensIssued))
	for k, v := range s.stats.TokensIssued {
		out.TokensIssued[k] = v
	}
	out.Failures = make(map[int]int, len(s.stats.Failures))
	for k, v := range s.stats.Failures {
		out.Failures[k] = v
	}
	return out
}

// knownTenant reports whether tenant names a tenant of the directory. The
// multi-tenant aliases are accepted only where Microsoft accepts them:
// delegated flows.
func (s *Server) knownTenant(tenant string, delegated bool) bool {
	return s.lookupTenant(tenant, delegated) != nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
