package exchangemessagetracereceiver

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/auth"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/graph"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/reporting"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

// Token audiences of the two APIs, when the config names none.
const (
	graphScope     = "https://graph.microsoft.com/.default"
	reportingScope = "https://outlook.office365.com/.default"
)

// newSource builds the API client the config asks for, spending budget.
func newSource(cfg *Config, client *http.Client, budget *throttle.Budget, tel *metadata.TelemetryBuilder, logger *zap.Logger) msgtrace.Source {
	observe := func(outcome string, wait time.Duration) {
		ctx := context.Background()
		tel.ReceiverExchangeMessageTraceRequests.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
		if wait > 0 {
			tel.ReceiverExchangeMessageTraceThrottleWait.Add(ctx, wait.Seconds())
		}
	}
	if cfg.API == apiReporting {
		return reporting.New(reporting.Config{
			BaseURL: cfg.endpoint(), Client: client, Budget: budget, PageSize: cfg.PageSize,
			Retry: cfg.RetryOnFailure, ClientID: cfg.ClientID, Logger: logger, Observe: observe,
		})
	}
	return graph.New(graph.Config{
		BaseURL: cfg.endpoint(), Client: client, Budget: budget, PageSize: cfg.PageSize,
		Retry: cfg.RetryOnFailure, ClientID: cfg.ClientID, Logger: logger, Observe: observe,
	})
}

// buildHTTPClient makes the API client from the confighttp settings. With
// an `auth` extension configured, that extension authenticates requests;
// otherwise our token source does, over a client with the same TLS and
// proxy settings (so the simulator's CA, or a corporate proxy, apply to the
// identity platform too).
func (r *messageTraceReceiver) buildHTTPClient(ctx context.Context, host component.Host, store storage.Client) (*http.Client, error) {
	cfg := r.cfg
	client, err := cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), r.settings.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	if cfg.Auth.HasValue() {
		return client, nil
	}
	// The API's extra headers are not for the identity platform.
	tokenCfg := cfg.ClientConfig
	tokenCfg.Headers = nil
	tokenHTTP, err := tokenCfg.ToClient(ctx, host.GetExtensions(), r.settings.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("building the identity platform's HTTP client: %w", err)
	}
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
		Logger:              r.settings.Logger,
	}
	if cfg.ManagedIdentity != nil {
		settings.ManagedIdentity = true
		settings.ManagedIdentityClientID = cfg.ManagedIdentity.ClientID
	}
	if cfg.WorkloadIdentity != nil {
		settings.WorkloadIdentity = true
		settings.FederatedTokenFile = cfg.WorkloadIdentity.FederatedTokenFile
		if settings.FederatedTokenFile == "" {
			settings.FederatedTokenFile = os.Getenv("AZURE_FEDERATED_TOKEN_FILE")
		}
	}
	tokens, err := auth.NewTokenSource(settings)
	if err != nil {
		return nil, err
	}
	client.Transport = auth.NewTransport(client.Transport, tokens)
	return client, nil
}
