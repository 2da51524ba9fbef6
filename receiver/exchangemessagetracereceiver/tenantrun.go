package exchangemessagetracereceiver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/auth"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/detailevents"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/groupcommit"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/pagelogs"
)

// shared is what every tenant of a receiver uses together: one storage
// client (state keyed by tenant; with many tenants, writes that meet share a
// transaction), one HTTP transport and its connection pool, one client for
// the identity platform, one telemetry builder.
type shared struct {
	storage   storage.Client
	api       *http.Client // confighttp's client: TLS, proxy, timeout, headers, auth extension
	tokenHTTP *http.Client // the same without the API's headers
	telemetry *metadata.TelemetryBuilder
	// exchanges are the token exchanges that outlive their poll (a
	// refresh that may have rotated the refresh token): Shutdown waits
	// for them, within its deadline, before closing the storage they
	// save to.
	exchanges *auth.Exchanges
}

// openShared opens the parts every tenant shares.
func (r *messageTraceReceiver) openShared(ctx context.Context, host component.Host) (*shared, error) {
	tel, err := metadata.NewTelemetryBuilder(r.settings.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	client, err := openStorage(ctx, host, r.cfg.StorageID, r.settings.ID, r.settings.Logger)
	if err != nil {
		tel.Shutdown()
		return nil, err
	}
	if r.cfg.multiTenant() {
		// The tenants polling in the same beat write their pages together.
		client = groupcommit.New(client, groupCommitLinger)
	}
	api, tokenHTTP, err := r.buildHTTPClients(ctx, host)
	if err != nil {
		tel.Shutdown()
		_ = client.Close(ctx)
		return nil, err
	}
	return &shared{storage: client, api: api, tokenHTTP: tokenHTTP, telemetry: tel, exchanges: &auth.Exchanges{}}, nil
}

// tenantRun is one tenant's collection: its entry and, once set up, its
// poller. With many tenants the set-up (checkpoint, token source, API
// client) happens in the tenant's own first poll, so that one customer's
// unreadable certificate or corrupt checkpoint is that tenant's error,
// reported and retried every poll_interval, and never stops the others.
type tenantRun struct {
	id     string
	entry  TenantConfig
	poller *poller
	// setUp makes the poller; nil once it is made.
	setUp func(ctx context.Context) (*poller, error)
}

// newPoller opens one tenant's checkpoint, budget and token source over
// the shared parts.
func (r *messageTraceReceiver) newPoller(ctx context.Context, ts *tenantSet, entry TenantConfig) (*poller, error) {
	sh := ts.shared
	cfg := r.cfg
	if r.cfg.multiTenant() {
		cfg = r.cfg.forTenant(entry)
	}
	logger := r.settings.Logger
	if r.cfg.multiTenant() {
		logger = logger.With(zap.String("tenant", cfg.TenantID))
	}
	store, err := openCheckpoint(ctx, sh.storage, cfg, r.cfg.multiTenant(), ts.fence, logger)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", cfg.TenantID, err)
	}
	// With leader election every request of the term, the token
	// endpoint's too, leaves only while the lease holds (leasegate.go).
	gate := ts.gate
	var tokens auth.TokenSource // nil: the `auth` extension signs
	if !cfg.Auth.HasValue() {
		settings := tokenSettings(cfg, sh.tokenHTTP, sh.storage, logger)
		settings.HTTPClient = gate.client(settings.HTTPClient)
		settings.Exchanges = sh.exchanges
		tokens, err = auth.NewTokenSource(settings)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", cfg.TenantID, err)
		}
	}
	client := tenantAPIClient(gate.client(sh.api), cfg, tokens)
	tenantAttr := attribute.String(pagelogs.AttributeTenantID, cfg.TenantID)
	budget, share := openBudget(cfg, store)
	source, err := newSource(cfg, client, gate.budget(budget), sh.telemetry, tenantAttr, logger)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", cfg.TenantID, err)
	}
	pages := newPageBuilder(cfg, source.API(), entry.ResourceAttributes)
	var details *tenantDetails
	if cfg.Details.HasValue() {
		d := *cfg.Details.Get()
		dc, err := newDetailsClient(cfg, client, gate.budget(share), sh.telemetry, tenantAttr, logger)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", cfg.TenantID, err)
		}
		details = newTenantDetails(d, dc, detailevents.New(logmap.Options{FieldNames: cfg.FieldNames, BodyFormat: cfg.BodyFormat}))
		pages.Emitted = details.stage
	}
	return &poller{
		details:     details,
		cfg:         cfg,
		source:      source,
		store:       store,
		pages:       pages,
		next:        r.next,
		obs:         r.obs,
		telemetry:   sh.telemetry,
		tenantAttr:  tenantAttr,
		tenantOnly:  metric.WithAttributes(tenantAttr),
		logger:      logger,
		now:         r.now,
		deliveryCtx: ts.deliveryCtx,
		lease:       gate,
	}, nil
}

// poll is one scheduled poll of the tenant (its set-up first, until that
// succeeds).
func (t *tenantRun) poll(ctx context.Context) error {
	if t.poller == nil {
		p, err := t.setUp(ctx)
		if err != nil {
			return err
		}
		t.poller, t.setUp = p, nil
	}
	p := t.poller
	err := p.poll(ctx)
	if (err != nil || ctx.Err() != nil) && p.deliveryCtx.Err() == nil && !leaseGone(err) {
		// Pages store the request budget as they commit; the sends of
		// failed requests and a Retry-After pause come after the last one
		// and must outlive a restart too.
		p.save(p.deliveryCtx)
	}
	p.idle()
	return err
}

// groupCommitLinger is how long a tenant's checkpoint write waits for
// other tenants' writes to join its transaction: next to a page's seconds
// at Microsoft, 2 ms is nothing, and it is what makes the writes of a
// beat's tenants meet.
const groupCommitLinger = 2 * time.Millisecond
