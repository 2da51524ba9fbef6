package exchangemessagetracereceiver

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

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
func newSource(cfg *Config, client *http.Client, budget *throttle.Budget, tel *metadata.TelemetryBuilder, tenant attribute.KeyValue, logger *zap.Logger) msgtrace.Source {
	tenantOnly := metric.WithAttributes(tenant)
	observe := func(outcome string, wait time.Duration) {
		ctx := context.Background()
		tel.ReceiverExchangeMessageTraceRequests.Add(ctx, 1, metric.WithAttributes(tenant, attribute.String("outcome", outcome)))
		if wait > 0 {
			tel.ReceiverExchangeMessageTraceThrottleWait.Add(ctx, wait.Seconds(), tenantOnly)
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
