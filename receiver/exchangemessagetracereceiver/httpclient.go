package exchangemessagetracereceiver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/auth"
)

// buildHTTPClients makes the API client from the confighttp settings, and
// the client that reaches the identity platform: the same TLS and proxy
// settings (so the simulator's CA, or a corporate proxy, apply to it too)
// without the API's extra headers. Every tenant shares both, and so their
// connection pools. With an `auth` extension the API client signs requests
// itself; otherwise each tenant wraps the transport with its token source.
func (r *messageTraceReceiver) buildHTTPClients(ctx context.Context, host component.Host) (api, tokenHTTP *http.Client, err error) {
	apiCfg := r.cfg.ClientConfig
	if r.cfg.multiTenant() && apiCfg.MaxIdleConnsPerHost == 0 {
		// Up to max_concurrent_tenants polls talk to the same two hosts
		// (login and Graph); Go keeps 2 idle connections per host unless
		// told, and every poll beyond them would pay a new TLS handshake.
		apiCfg.MaxIdleConnsPerHost = r.cfg.MaxConcurrentTenants
		apiCfg.MaxIdleConns = max(apiCfg.MaxIdleConns, 2*r.cfg.MaxConcurrentTenants)
	}
	api, err = apiCfg.ToClient(ctx, host.GetExtensions(), r.settings.TelemetrySettings)
	if err != nil {
		return nil, nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	// confighttp sets no redirect policy, and http.Client would follow a
	// redirect anywhere: api is never used as it is, only through
	// tenantAPIClient, which names the tenant and keeps every request and
	// redirect on the endpoint's origin.
	tokenCfg := apiCfg
	tokenCfg.Headers = nil
	tokenCfg.Auth = configoptional.None[configauth.Config]()
	tokenHTTP, err = tokenCfg.ToClient(ctx, host.GetExtensions(), r.settings.TelemetrySettings)
	if err != nil {
		return nil, nil, fmt.Errorf("building the identity platform's HTTP client: %w", err)
	}
	return api, tokenHTTP, nil
}

// apiAudience is where the API credential of cfg's tenant may go: the
// origin of endpoint.
func apiAudience(cfg *Config) auth.Audience {
	origin, _ := url.Parse(cfg.endpoint()) // Validate checked it; nil refuses everything
	service := "Microsoft Graph"
	if cfg.API == apiReporting {
		service = "The Reporting Web Service"
	}
	return auth.Audience{Origin: origin, Service: service, Tenant: cfg.TenantID}
}

// tenantAPIClient is the API client of one tenant over the shared one:
// signed by tokens, or by the `auth` extension (inside api's transport)
// when tokens is nil, and in both cases never redirected, nor a request
// sent, off the endpoint's origin (see auth.Audience): the origin is
// checked before the request reaches the signer.
func tenantAPIClient(api *http.Client, cfg *Config, tokens auth.TokenSource) *http.Client {
	aud := apiAudience(cfg)
	transport := auth.NewOriginTransport(api.Transport, aud)
	if tokens != nil {
		transport = auth.NewTransport(api.Transport, tokens, aud)
	}
	return &http.Client{Transport: transport, CheckRedirect: aud.CheckRedirect, Jar: api.Jar, Timeout: api.Timeout}
}

// tokenSettings translates the credential part of the config for the token
// source.
func tokenSettings(cfg *Config, tokenHTTP *http.Client, store storage.Client, logger *zap.Logger) auth.Settings {
	settings := auth.Settings{
		TenantID:            cfg.TenantID,
		ClientID:            cfg.ClientID,
		ClientSecret:        string(cfg.ClientSecret),
		CertificatePath:     cfg.Certificate.Path,
		CertificatePassword: string(cfg.Certificate.Password),
		AuthorizationCode:   string(cfg.AuthorizationCode),
		RedirectURI:         cfg.RedirectURI,
		AuthorityHost:       cfg.authorityHost(),
		Scope:               cfg.scope(),
		HTTPClient:          tokenHTTP,
		Store:               store,
		KeyPrefix:           checkpointPrefix(cfg),
		Logger:              logger,
	}
	if mi := cfg.ManagedIdentity.Get(); mi != nil {
		settings.ManagedIdentity = true
		settings.ManagedIdentityClientID = mi.ClientID
		settings.HTTPClient = directClient(tokenHTTP.Timeout)
	}
	if wi := cfg.WorkloadIdentity.Get(); wi != nil {
		settings.WorkloadIdentity = true
		settings.FederatedTokenFile = wi.FederatedTokenFile
		if settings.FederatedTokenFile == "" {
			settings.FederatedTokenFile = os.Getenv("AZURE_FEDERATED_TOKEN_FILE")
		}
	}
	return settings
}

// directClient reaches the managed identity endpoint, which is on the host
// itself (App Service's IDENTITY_ENDPOINT on loopback, IMDS on a link-local
// address): never through proxy_url, which cannot reach either, and over
// plain HTTP, so the API's TLS settings do not apply.
func directClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	return &http.Client{Transport: t, Timeout: timeout}
}
