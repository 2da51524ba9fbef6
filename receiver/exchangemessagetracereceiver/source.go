package exchangemessagetracereceiver

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/graph"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/reporting"
)

// Token audiences of the two APIs, when the config names none.
const (
	graphScope     = "https://graph.microsoft.com/.default"
	reportingScope = "https://outlook.office365.com/.default"
)

// newSource builds the API client the config asks for, spending budget.
func newSource(cfg *Config, client *http.Client, budget fetch.Budget, tel *metadata.TelemetryBuilder, tenant attribute.KeyValue, logger *zap.Logger) (msgtrace.Source, error) {
	observe := observeRequests(tel, tenant)
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

// newDetailsClient builds the client of detail lookups (Graph only), which
// spends share, the details' part of the tenant's budget.
func newDetailsClient(cfg *Config, client *http.Client, share fetch.Budget, tel *metadata.TelemetryBuilder, tenant attribute.KeyValue, logger *zap.Logger) (*graph.DetailsClient, error) {
	return graph.NewDetailsClient(graph.Config{
		BaseURL: cfg.endpoint(), Client: client, Budget: share, Retry: cfg.RetryOnFailure,
		ClientID: cfg.ClientID, Logger: logger, Observe: observeRequests(tel, tenant),
	})
}

// observeRequests counts a tenant's requests by outcome, and the time they
// waited for the budget.
func observeRequests(tel *metadata.TelemetryBuilder, tenant attribute.KeyValue) func(outcome string, wait time.Duration) {
	tenantOnly := metric.WithAttributes(tenant)
	// The attribute sets are made once per outcome, not per request.
	var byOutcome sync.Map // outcome -> metric.MeasurementOption
	return func(outcome string, wait time.Duration) {
		ctx := context.Background()
		opt, ok := byOutcome.Load(outcome)
		if !ok {
			opt, _ = byOutcome.LoadOrStore(outcome, metric.WithAttributes(tenant, attribute.String("outcome", outcome)))
		}
		tel.ReceiverExchangeMessageTraceRequests.Add(ctx, 1, opt.(metric.MeasurementOption))
		if wait > 0 {
			tel.ReceiverExchangeMessageTraceThrottleWait.Add(ctx, wait.Seconds(), tenantOnly)
		}
	}
}
