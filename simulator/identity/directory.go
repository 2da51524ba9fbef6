package identity

import (
	"encoding/json"
	"fmt"
	"strings"
)

// A managed provider's setup (message-trace-api.md §5): the application of
// Config is a multi-tenant app registered in the home tenant
// (Config.TenantID); each customer tenant added with AddTenant lets it in
// only once its administrator consented, and may register an application
// of its own (a customer that insists on its own app registration).

// Consent is what a customer tenant's administrator granted the
// provider's multi-tenant application.
type Consent int

const (
	// ConsentGranted: admin consent with the message trace permissions; the
	// app's service principal exists in the tenant and its tokens carry the
	// roles. The zero value: a tenant is consented unless told otherwise.
	ConsentGranted Consent = iota
	// ConsentNone: never consented: client credentials fail with
	// AADSTS700016 (or AADSTS7000229, see TenantConfig.NewerConsentError).
	ConsentNone
	// ConsentWithoutPermission: consented, but without the application
	// permissions: tokens are issued without roles and the APIs answer 403.
	ConsentWithoutPermission
)

var consentNames = []string{"granted", "none", "without_permission"}

func (c Consent) String() string {
	if c >= 0 && int(c) < len(consentNames) {
		return consentNames[c]
	}
	return fmt.Sprintf("Consent(%d)", int(c))
}

// ParseConsent reads "granted", "none" or "without_permission".
func ParseConsent(s string) (Consent, error) {
	for i, n := range consentNames {
		if strings.EqualFold(s, n) {
			return Consent(i), nil
		}
	}
	return 0, fmt.Errorf("consent %q: use one of %s", s, strings.Join(consentNames, ", "))
}

func (c Consent) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

func (c *Consent) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("consent: %w", err)
	}
	v, err := ParseConsent(s)
	*c = v
	return err
}

// App is an application registration of a customer tenant (single-tenant:
// it works in that tenant only), with a client secret.
type App struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"-"`
}

// TenantConfig is a customer tenant of the directory.
type TenantConfig struct {
	// ID is the tenant's GUID: what tokens carry as tid.
	ID string
	// Domains are its verified domains (e.g. fabrikam.onmicrosoft.com):
	// the token URL may name the tenant by any of them.
	Domains []string
	// Consent is the provider app's consent state in this tenant.
	Consent Consent
	// NewerConsentError answers an unconsented tenant's client credentials
	// with AADSTS7000229 ("missing service principal in the tenant"), as
	// newer responses do, instead of AADSTS700016.
	NewerConsentError bool
	// App, when set, is an application the tenant registered itself.
	App *App
}

// dirTenant is a tenant's state. The home tenant is one too (consented,
// with the application registered in it).
type dirTenant struct {
	id                string
	domains           []string
	consent           Consent
	newerConsentError bool
	home              bool
	// outage and consentMissing are the tenant's own token switches (the
	// Server's hold in every tenant).
	outage, consentMissing bool
	stats                  TenantStats
}

// TenantStats counts one tenant's token endpoint answers.
type TenantStats struct {
	TokensIssued int         `json:"tokens_issued"`
	Failures     map[int]int `json:"failures,omitempty"` // by AADSTS code
}

// registeredApp is an application registration and where it lives.
type registeredApp struct {
	clientID, secret string
	expired          []string
	// tenant is the tenant the application is registered in; multiTenant
	// apps also work where they were consented.
	tenant      *dirTenant
	multiTenant bool
	home        bool // the Config's application: certificate and federated credentials are its
}

// AddTenant adds a customer tenant. Its id and domains must be new.
func (s *Server) AddTenant(c TenantConfig) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &dirTenant{id: c.ID, domains: c.Domains, consent: c.Consent, newerConsentError: c.NewerConsentError}
	for _, name := range append([]string{c.ID}, c.Domains...) {
		if name == "" {
			return fmt.Errorf("tenant %q: an empty id or domain", c.ID)
		}
		if _, dup := s.tenants[strings.ToLower(name)]; dup {
			return fmt.Errorf("tenant %q: %q names another tenant already", c.ID, name)
		}
	}
	if c.App != nil {
		if c.App.ClientID == "" || c.App.ClientSecret == "" {
			return fmt.Errorf("tenant %q: its own app needs a client id and a secret", c.ID)
		}
		if _, dup := s.apps[strings.ToLower(c.App.ClientID)]; dup {
			return fmt.Errorf("tenant %q: client id %s is registered already", c.ID, c.App.ClientID)
		}
		s.apps[strings.ToLower(c.App.ClientID)] = &registeredApp{clientID: c.App.ClientID, secret: c.App.ClientSecret, tenant: t}
	}
	for _, name := range append([]string{c.ID}, c.Domains...) {
		s.tenants[strings.ToLower(name)] = t
	}
	return nil
}

// SetConsent changes the provider app's consent in tenant (GUID or domain),
// as the tenant's administrator granting or revoking it does.
func (s *Server) SetConsent(tenant string, c Consent) error {
	return s.updateTenant(tenant, func(t *dirTenant) { t.consent = c })
}

// SetTenantSwitches sets one tenant's token outage (503) and missing
// delegated consent (AADSTS65001) switches.
func (s *Server) SetTenantSwitches(tenant string, outage, consentMissing bool) error {
	return s.updateTenant(tenant, func(t *dirTenant) { t.outage, t.consentMissing = outage, consentMissing })
}

// TenantStats returns one tenant's token counts.
func (s *Server) TenantStats(tenant string) (TenantStats, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenant)]
	if t == nil {
		return TenantStats{}, false
	}
	out := t.stats
	if t.stats.Failures != nil {
		out.Failures = make(map[int]int, len(t.stats.Failures))
		for k, v := range t.stats.Failures {
			out.Failures[k] = v
		}
	}
	return out, true
}

func (s *Server) updateTenant(tenant string, f func(*dirTenant)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenants[strings.ToLower(tenant)]
	if t == nil {
		return fmt.Errorf("no tenant %q", tenant)
	}
	f(t)
	return nil
}

// lookupTenant resolves a tenant named in a URL: a GUID or domain of the
// directory, or, for delegated flows only (where Microsoft accepts them),
// the multi-tenant aliases, which stand for the home tenant here.
func (s *Server) lookupTenant(name string, delegated bool) *dirTenant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupTenantLocked(name, delegated)
}

func (s *Server) lookupTenantLocked(name string, delegated bool) *dirTenant {
	if t := s.tenants[strings.ToLower(name)]; t != nil {
		return t
	}
	if delegated {
		switch strings.ToLower(name) {
		case "common", "organizations":
			return s.homeTenant
		}
	}
	return nil
}

// appIn resolves the application clientID as tenant t sees it: the
// provider's multi-tenant app where it was consented, a tenant's own app in
// that tenant. Otherwise the error Microsoft gives: the app is not in the
// directory (700016), or, for the newer answer, has no service principal
// there (7000229).
func (s *Server) appIn(clientID, tenantName string, t *dirTenant) (*registeredApp, *aadError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[strings.ToLower(clientID)]
	switch {
	case a == nil:
		return nil, errAppNotFound(clientID, tenantName)
	case a.tenant == t:
		return a, nil
	case a.multiTenant && t.consent != ConsentNone:
		return a, nil
	case a.multiTenant && t.newerConsentError:
		return nil, errMissingServicePrincipal(a.clientID, t.id)
	}
	return nil, errAppNotFound(clientID, tenantName)
}

// rolesIn tells whether app-only tokens of app in t carry the roles.
func (s *Server) rolesIn(a *registeredApp, t *dirTenant) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return a.tenant == t || t.consent == ConsentGranted
}

// countTenant records a token endpoint answer in the tenant's stats; the
// caller holds s.mu.
func (t *dirTenant) count(code int) {
	if code == 0 {
		t.stats.TokensIssued++
		return
	}
	if t.stats.Failures == nil {
		t.stats.Failures = map[int]int{}
	}
	t.stats.Failures[code]++
}
