package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/pagelogs"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/tenantsfile"
)

// messageTraceReceiver is the component's lifecycle: Start opens what the
// tenants share (storage, HTTP transport, telemetry) and schedules each
// tenant's poller; with tenants_file it also follows the file. Shutdown
// stops them all.
type messageTraceReceiver struct {
	cfg      *Config
	settings receiver.Settings
	next     consumer.Logs
	obs      *receiverhelper.ObsReport
	// clock drives the polls; tests inject one they move by hand.
	clock schedule.Clock
	// now is the pollers' clock; tests fix it to replay recorded pages.
	now func() time.Time

	shared         *shared
	tenants        *tenantSet
	runCtx         context.Context
	cancel         context.CancelFunc
	cancelDelivery context.CancelFunc
	wg             sync.WaitGroup
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*messageTraceReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "https",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &messageTraceReceiver{cfg: cfg, settings: set, next: next, obs: obs, clock: schedule.WallClock{}, now: time.Now}, nil
}

// Start fails when a tenant cannot be set up (a corrupt checkpoint, an
// unreadable certificate, a tenants_file that does not parse), naming it;
// it never fails on the network: API and token failures are poll errors.
func (r *messageTraceReceiver) Start(ctx context.Context, host component.Host) error {
	list, fileContent, err := r.cfg.tenantList()
	if err != nil {
		return err
	}
	sh, err := r.openShared(ctx, host)
	if err != nil {
		return err
	}
	r.shared = sh
	r.startScheduler(host, sh.telemetry)
	if err := r.tenants.apply(ctx, list); err != nil {
		r.tenants.sched.Stop()
		return err
	}
	if r.cfg.multiTenant() {
		r.settings.Logger.Info("collecting message trace of many tenants", zap.Int("tenants", len(list)),
			zap.Int("max_concurrent_tenants", r.cfg.MaxConcurrentTenants), zap.Duration("poll_interval", r.cfg.PollInterval))
	}
	if r.cfg.TenantsFile != "" {
		r.watchTenantsFile(fileContent)
	}
	return nil
}

// startScheduler makes the scheduler and the (empty) tenant set; Start then
// adds the tenants. Tests add hand-built pollers.
func (r *messageTraceReceiver) startScheduler(host component.Host, tel *metadata.TelemetryBuilder) {
	health := newTenantHealth(host, r.settings.Logger, r.cfg.multiTenant())
	sched := schedule.New(r.cfg.PollInterval, schedule.NewSlots(r.cfg.MaxConcurrentTenants), r.clock, func(o schedule.Outcome) {
		health.report(o.Tenant, o.Err)
		if o.Gap > 0 {
			tel.ReceiverExchangeMessageTracePollGap.Record(context.Background(), o.Gap.Seconds(),
				metric.WithAttributes(attribute.String(pagelogs.AttributeTenantID, o.Tenant)))
		}
	})
	deliveryCtx, cancelDelivery := context.WithCancel(context.Background())
	r.cancelDelivery = cancelDelivery
	// Never keep Start's context: it ends when Start returns.
	runCtx, cancel := context.WithCancel(context.Background())
	r.runCtx, r.cancel = runCtx, cancel
	r.tenants = &tenantSet{r: r, shared: r.shared, sched: sched, health: health, deliveryCtx: deliveryCtx, running: map[string]*tenantRun{}}
}

// watchTenantsFile applies every change of tenants_file until Shutdown;
// applied is the content Start applied.
func (r *messageTraceReceiver) watchTenantsFile(applied []byte) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		tenantsfile.Watch(r.runCtx, r.cfg.TenantsFile, tenantsFileCheckInterval, applied, func(entries []tenantsfile.Entry, err error) {
			r.tenants.reload(r.runCtx, entries, err)
		})
	}()
}

// tenantsFileCheckInterval is how often tenants_file is compared with what
// was applied: a tenant added starts well within one poll_interval.
const tenantsFileCheckInterval = 5 * time.Second

// Shutdown stops fetching at once and waits for the pages in flight to be
// delivered and recorded, until ctx ends; then it abandons them (they are
// read again after the restart).
func (r *messageTraceReceiver) Shutdown(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel() // the tenants file watcher
	}
	if r.tenants != nil {
		stopped := make(chan struct{})
		go func() {
			// Every tenant stops fetching now, even while the watcher is
			// applying a change (the scheduler then refuses new tenants).
			r.tenants.sched.Stop()
			r.wg.Wait()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-ctx.Done():
			r.cancelDelivery()
			<-stopped
		}
		r.cancelDelivery()
	}
	var errs []error
	if sh := r.shared; sh != nil {
		sh.api.CloseIdleConnections()
		sh.tokenHTTP.CloseIdleConnections()
		errs = append(errs, sh.storage.Close(ctx))
		sh.telemetry.Shutdown()
	}
	return errors.Join(errs...)
}
