// Package identity simulates the Microsoft identity platform token endpoints
// (login.microsoftonline.com) for one tenant and one application: the v1 and
// v2 token endpoints, the authorize endpoint, OpenID discovery and instance
// discovery, with the rules that bite real integrations: single-use
// authorization codes, rotating refresh tokens that expire after inactivity,
// expired secrets, certificate and federated assertions, missing consent and
// outages. It also serves the local managed identity endpoints of an Azure
// host (App Service, Cloud Shell) for the same tenant.
package identity

import (
	"crypto/x509"
	"time"
)

// Config describes the simulated tenant and its one application registration.
type Config struct {
	TenantID, ClientID, ClientSecret string

	// ExpiredSecrets are secrets that were registered once but have expired:
	// presenting one yields AADSTS7000222 rather than AADSTS7000215.
	ExpiredSecrets []string

	// Certificate, when set, is the certificate registered on the application;
	// client assertions signed by its key are accepted.
	Certificate *x509.Certificate

	// FederatedCredentials are the application's federated identity
	// credentials (workload identity); see FederatedCredential.
	FederatedCredentials []FederatedCredential
	// FederatedIssuers is a shorthand: a FederatedCredential for each, with
	// any subject and no signature check.
	FederatedIssuers []string

	// ManagedIdentity describes the managed identities of the Azure host the
	// simulator's local managed identity endpoints stand for.
	ManagedIdentity ManagedIdentityConfig

	RedirectURI string // default https://localhost

	AccessTokenTTL  time.Duration // default 1h
	RefreshTokenTTL time.Duration // inactivity lifetime, default 90 days
	AuthCodeTTL     time.Duration // default 10 minutes

	Now func() time.Time // default time.Now
}

func (c Config) withDefaults() Config {
	if c.RedirectURI == "" {
		c.RedirectURI = "https://localhost"
	}
	if c.AccessTokenTTL <= 0 {
		c.AccessTokenTTL = time.Hour
	}
	if c.RefreshTokenTTL <= 0 {
		c.RefreshTokenTTL = 90 * 24 * time.Hour
	}
	if c.AuthCodeTTL <= 0 {
		c.AuthCodeTTL = 10 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	for _, iss := range c.FederatedIssuers {
		c.FederatedCredentials = append(c.FederatedCredentials, FederatedCredential{Issuer: iss})
	}
	c.FederatedIssuers = nil
	c.ManagedIdentity = c.ManagedIdentity.withDefaults()
	return c
}
