// Package auth obtains access tokens for the message trace APIs from the
// Microsoft identity platform: client secret, certificate, managed identity
// and workload identity through azidentity, and the delegated authorization
// code flow with refresh tokens that survive restarts.
package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"
)

// DefaultAuthorityHost is the global cloud's authority.
const DefaultAuthorityHost = "https://login.microsoftonline.com"

// Settings select and configure one way to obtain tokens.
type Settings struct {
	TenantID, ClientID string

	ClientSecret string // plain value (from configopaque)

	// CertificatePath names a PEM file (certificate and key) or a PKCS#12
	// file (.pfx/.p12) protected by CertificatePassword.
	CertificatePath, CertificatePassword string

	ManagedIdentity         bool
	ManagedIdentityClientID string // user-assigned identity; empty for system-assigned

	WorkloadIdentity   bool
	FederatedTokenFile string // default AZURE_FEDERATED_TOKEN_FILE

	// AuthorizationCode selects the delegated flow (the legacy report's
	// ReportingWebService.Read, as the Sumo Logic source does): the code is
	// redeemed once, then the refresh token is rotated and persisted in Store.
	AuthorizationCode string
	RedirectURI       string // default https://localhost

	AuthorityHost string // default https://login.microsoftonline.com
	Scope         string // e.g. https://graph.microsoft.com/.default

	HTTPClient *http.Client // reaches the authority (TLS, proxy)
	Store      Store        // persists refresh-token state of the authorization code flow
	// KeyPrefix is the receiver's checkpoint prefix (checkpoint.Prefix):
	// the refresh token is stored under it.
	KeyPrefix string
	Logger    *zap.Logger
	// Exchanges counts the authorization code flow's exchanges that
	// outlive their caller (see Exchanges); nil counts nothing.
	Exchanges *Exchanges

	// guard wraps HTTPClient once NewTokenSource applied the defaults.
	guard *identityGuard
}

// Store persists small values; Get returns nil, nil for a missing key.
// A storage extension client satisfies it.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// TokenSource returns a valid access token, refreshing it when needed.
// Its errors are *msgtrace.APIError.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// NewTokenSource returns the token source the settings select, in this
// order: authorization code, managed identity, workload identity,
// certificate, client secret.
func NewTokenSource(s Settings) (TokenSource, error) {
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	// Every request of the source, whoever makes it (azidentity, MSAL, the
	// authorization code flow), goes through the guard: no redirect off
	// the origin it was sent to, no answer over MaxTokenResponseBytes.
	authority, _ := url.Parse(s.AuthorityHost) // withDefaults checked it
	s.HTTPClient, s.guard = guardedClient(s.HTTPClient, s.ManagedIdentity, authority, s.TenantID)
	switch {
	case s.AuthorizationCode != "":
		return newAuthCodeSource(s)
	case s.ManagedIdentity:
		return newManagedIdentitySource(s)
	case s.WorkloadIdentity:
		return newWorkloadIdentitySource(s)
	case s.CertificatePath != "":
		return newCertificateSource(s)
	case s.ClientSecret != "":
		return newSecretSource(s)
	}
	return nil, errors.New("auth: no credential configured: set client_secret, certificate.path, managed_identity or workload_identity (authorization_code also needs client_secret or certificate.path)")
}

func (s Settings) withDefaults() (Settings, error) {
	if s.AuthorityHost == "" {
		s.AuthorityHost = DefaultAuthorityHost
	}
	s.AuthorityHost = strings.TrimSuffix(s.AuthorityHost, "/")
	u, err := url.Parse(s.AuthorityHost)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return s, errors.New("auth: authority_host must be an https URL such as " + DefaultAuthorityHost)
	}
	if s.RedirectURI == "" {
		s.RedirectURI = "https://localhost"
	}
	if s.Scope == "" {
		return s, errors.New("auth: scope is required")
	}
	if s.HTTPClient == nil {
		s.HTTPClient = http.DefaultClient
	}
	if s.Logger == nil {
		s.Logger = zap.NewNop()
	}
	if !s.ManagedIdentity && (s.TenantID == "" || s.ClientID == "") {
		return s, errors.New("auth: tenant_id and client_id are required")
	}
	return s, nil
}

// microsoftHosts are the authorities MSAL knows; elsewhere (a simulator,
// a private proxy) instance discovery must be off or MSAL asks
// login.microsoftonline.com to vouch for the host, and fails.
var microsoftHosts = map[string]bool{
	"login.microsoftonline.com":        true,
	"login.windows.net":                true,
	"login.microsoft.com":              true,
	"sts.windows.net":                  true,
	"login.microsoftonline.us":         true,
	"login.usgovcloudapi.net":          true,
	"login.chinacloudapi.cn":           true,
	"login.partner.microsoftonline.cn": true,
	"login.microsoftonline.de":         true,
	"login-us.microsoftonline.com":     true,
}

func (s Settings) isMicrosoftAuthority() bool {
	u, err := url.Parse(s.AuthorityHost)
	return err == nil && microsoftHosts[strings.ToLower(u.Hostname())]
}

// resource is the v1 resource of the scope: https://outlook.office365.com/.default
// becomes https://outlook.office365.com.
func (s Settings) resource() string {
	return strings.TrimSuffix(strings.TrimSuffix(s.Scope, "/.default"), "/")
}

// authorizeURL is the page an operator opens to get a new authorization code.
// adminConsentURL is where a tenant's administrator grants the app admin
// consent (which creates its service principal in that tenant).
func (s Settings) adminConsentURL() string {
	return s.AuthorityHost + "/" + url.PathEscape(s.TenantID) + "/adminconsent?" + url.Values{"client_id": {s.ClientID}}.Encode()
}

func (s Settings) authorizeURL() string {
	q := url.Values{"response_type": {"code"}, "resource": {s.resource()}, "client_id": {s.ClientID}, "redirect_uri": {s.RedirectURI}}
	return s.AuthorityHost + "/" + url.PathEscape(s.TenantID) + "/oauth2/authorize?" + q.Encode()
}
