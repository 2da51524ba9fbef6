package exchangemessagetracereceiver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/auth"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
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

// openBudget returns the tenant's request budget, shared by every receiver
// of the same tenant and API host in the process, with the sends and pause
// the checkpoint holds from before a restart; every later checkpoint write
// stores it again. A collector restarted within Microsoft's rolling window
// (a crash loop, a rollout) would otherwise spend the tenant's quota twice.
func openBudget(cfg *Config, store *checkpoint.Store) *throttle.Budget {
	budget := throttle.ForTenant(budgetKey(cfg), cfg.MaxRequestsPer5m)
	if b := store.State.Budget; b != nil {
		sent := make([]time.Time, len(b.Sent))
		for i, ms := range b.Sent {
			sent[i] = time.UnixMilli(ms)
		}
		var paused time.Time
		if b.PausedUntil > 0 {
			paused = time.UnixMilli(b.PausedUntil)
		}
		budget.Restore(sent, paused)
	}
	store.OnWrite = func(st *checkpoint.State) {
		sent, paused := budget.Snapshot()
		b := &checkpoint.Budget{Sent: make([]int64, len(sent))}
		for i, t := range sent {
			b.Sent[i] = t.UnixMilli()
		}
		if !paused.IsZero() {
			b.PausedUntil = paused.UnixMilli()
		}
		st.Budget = b
	}
	return budget
}

// budgetKey identifies a tenant's quota: Microsoft counts per tenant (and
// per API service: Graph and the legacy report are separate services).
func budgetKey(cfg *Config) string {
	host := cfg.endpoint()
	if u, err := url.Parse(host); err == nil {
		host = u.Host
	}
	return cfg.TenantID + "@" + host
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
		Logger:              r.settings.Logger,
	}
	if mi := cfg.ManagedIdentity.Get(); mi != nil {
		settings.ManagedIdentity = true
		settings.ManagedIdentityClientID = mi.ClientID
	}
	if wi := cfg.WorkloadIdentity.Get(); wi != nil {
		settings.WorkloadIdentity = true
		settings.FederatedTokenFile = wi.FederatedTokenFile
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
