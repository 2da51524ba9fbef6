package exchangemessagetracereceiver

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/auth"
)

// buildHTTPClient makes the API client from the confighttp settings. With
// an `auth` extension configured, that extension authenticates requests;
// otherwise our token source does, over a client with the same TLS and
// proxy settings (so the simulator's CA, or a corporate proxy, apply to the
// identity platform too).
func (r *messageTraceReceiver) buildHTTPClient(ctx context.Context, host component.Host, store storage.Client) (*http.Client, error) {
	client, err := r.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), r.settings.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	if r.cfg.Auth.HasValue() {
		return client, nil
	}
	// The API's extra headers are not for the identity platform.
	tokenCfg := r.cfg.ClientConfig
	tokenCfg.Headers = nil
	tokenHTTP, err := tokenCfg.ToClient(ctx, host.GetExtensions(), r.settings.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("building the identity platform's HTTP client: %w", err)
	}
	tokens, err := auth.NewTokenSource(tokenSettings(r.cfg, tokenHTTP, store, r.settings.Logger))
	if err != nil {
		return nil, err
	}
	client.Transport = auth.NewTransport(client.Transport, tokens)
	return client, nil
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
