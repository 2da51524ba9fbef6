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

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/pagelogs"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/tenantsfile"
)

// messageTraceReceiver is the component's lifecycle: Start opens what the
// tenants share (storage, HTTP transport, telemetry) and begins a term of
// collection: now, or, with k8s_leader_elector, each time this replica
// gains the lease (leadership.go). A term schedules each tenant's poller;
// with tenants_file the receiver also follows the file. Shutdown stops
// them all.
type messageTraceReceiver struct {
	cfg      *Config
	settings receiver.Settings
	next     consumer.Logs
	obs      *receiverhelper.ObsReport
	// clock drives the polls; tests inject one they move by hand.
	clock schedule.Clock
	// now is the pollers' clock; tests fix it to replay recorded pages.
	now func() time.Time
	// fileTiming is how tenants_file is watched; tests shorten it or move
	// its clock by hand.
	fileTiming tenantsfile.Timing

	shared *shared
	host   component.Host
	runCtx context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the tenants file watcher and the leadership loop
	lease  *leaseState    // with k8s_leader_elector

	// applyMu orders the applications of the tenant list (a term's first,
	// the file's changes), so the last one applies the newest list.
	applyMu sync.Mutex
	mu      sync.Mutex
	list    []TenantConfig // the tenants to collect: config and tenants_file
	tenants *tenantSet     // the term's; nil while a replica waits for the lease
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
	return &messageTraceReceiver{cfg: cfg, settings: set, next: next, obs: obs, clock: schedule.WallClock{}, now: time.Now,
		fileTiming: tenantsfile.Timing{Clock: schedule.WallClock{}, Interval: tenantsFileCheckInterval, Settle: tenantsFileSettle}}, nil
}

// Start fails when a tenant cannot be set up (a corrupt checkpoint, an
// unreadable certificate, a tenants_file that does not parse), naming it;
// it never fails on the network: API and token failures are poll errors.
// With k8s_leader_elector, tenants are set up when the lease is gained and
// their failures are the status's.
func (r *messageTraceReceiver) Start(ctx context.Context, host component.Host) error {
	list, fileContent, err := r.cfg.tenantList()
	if err != nil {
		return err
	}
	var election leaderElection
	if r.cfg.LeaderElectorID != nil {
		if election, err = leaderElectorOf(host, *r.cfg.LeaderElectorID); err != nil {
			return err
		}
	}
	sh, err := r.openShared(ctx, host)
	if err != nil {
		return err
	}
	r.shared, r.host, r.list = sh, host, list
	// Never keep Start's context: it ends when Start returns.
	r.runCtx, r.cancel = context.WithCancel(context.Background())
	if election != nil {
		r.followLease(election)
	} else if err := r.beginTerm(ctx, nil); err != nil {
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

// beginTerm starts collecting every tenant of the list; fence is the
// leadership term's (nil without leader election).
func (r *messageTraceReceiver) beginTerm(ctx context.Context, fence *checkpoint.Fence) error {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	ts := r.startScheduler(r.host, r.shared.telemetry, fence)
	r.mu.Lock()
	list := r.list
	r.mu.Unlock()
	if err := ts.apply(ctx, list); err != nil {
		r.endTerm(abandon())
		return err
	}
	return nil
}

// endTerm stops every tenant: fetching stops at once, and the pages in
// flight are delivered and recorded until ctx ends, then abandoned (read
// again by the next start or the next leader). A lost lease passes an
// ended context: this replica must not record anything after its lease.
func (r *messageTraceReceiver) endTerm(ctx context.Context) {
	r.mu.Lock()
	ts := r.tenants
	r.tenants = nil
	r.mu.Unlock()
	if ts == nil {
		return
	}
	if ctx.Err() != nil {
		ts.cancelDelivery() // before the polls see their end
	}
	stopped := make(chan struct{})
	go func() {
		ts.sched.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		ts.cancelDelivery()
		<-stopped
	}
	ts.cancelDelivery()
}

// abandon is the context of a term that must end without recording its
// pages in flight.
func abandon() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// currentTenants is the running term's tenant set, nil between terms.
func (r *messageTraceReceiver) currentTenants() *tenantSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tenants
}

// startScheduler makes a term's scheduler and its (empty) tenant set;
// beginTerm then adds the tenants. Tests add hand-built pollers.
func (r *messageTraceReceiver) startScheduler(host component.Host, tel *metadata.TelemetryBuilder, fence *checkpoint.Fence) *tenantSet {
	health := newTenantHealth(host, r.settings.Logger, r.cfg.multiTenant())
	var opts []schedule.Option
	if r.cfg.multiTenant() {
		opts = append(opts, schedule.WithBeat(pollBeat(r.cfg.PollInterval)))
	}
	sched := schedule.New(r.cfg.PollInterval, schedule.NewSlots(r.cfg.MaxConcurrentTenants), r.clock, func(o schedule.Outcome) {
		if errors.Is(o.Err, checkpoint.ErrFenced) {
			r.fenced(o.Err)
			return
		}
		if errors.Is(o.Err, errLeaseLost) {
			return // the leadership loop is ending the term
		}
		health.report(o.Tenant, o.Err)
		if o.Gap > 0 {
			tel.ReceiverExchangeMessageTracePollGap.Record(context.Background(), o.Gap.Seconds(),
				metric.WithAttributes(attribute.String(pagelogs.AttributeTenantID, o.Tenant)))
		}
	}, opts...)
	deliveryCtx, cancelDelivery := context.WithCancel(context.Background())
	var gate *leaseGate
	if fence != nil {
		gate = newLeaseGate(fence, r.lease.get, r.clock.Now)
	}
	ts := &tenantSet{r: r, shared: r.shared, sched: sched, health: health, fence: fence, gate: gate,
		deliveryCtx: deliveryCtx, cancelDelivery: cancelDelivery, running: map[string]*tenantRun{}}
	r.mu.Lock()
	r.tenants = ts
	r.mu.Unlock()
	return ts
}

// pollBeat is the grid many tenants' polls start on: a second, or a
// thirtieth of a shorter poll_interval. Polls spread evenly one by one
// (1,000 tenants every 30 s: one every 30 ms) each wake the process and
// each pay a storage transaction of their own; a beat's tenants (33 there)
// poll together within max_concurrent_tenants, wake it once and share
// transactions. A second adds nothing to a row's latency (at most a second
// earlier, never later) and keeps the load spread across the interval.
func pollBeat(interval time.Duration) time.Duration {
	return min(time.Second, interval/30)
}

// watchTenantsFile applies every change of tenants_file until Shutdown;
// applied is the content Start applied.
func (r *messageTraceReceiver) watchTenantsFile(applied []byte) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		tenantsfile.Watch(r.runCtx, r.cfg.TenantsFile, r.fileTiming, applied, r.reloadTenants)
	}()
}

// reloadTenants applies a changed tenants file to the running term, or
// keeps it for the next one. A file that does not read, parse or validate
// changes nothing: the previous list keeps running, the error names the
// entry and its line, and the status says so until it is fixed.
func (r *messageTraceReceiver) reloadTenants(entries []tenantsfile.Entry, err error) {
	var list []TenantConfig
	if err == nil {
		list, err = r.cfg.withFileEntries(entries)
	}
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	if err == nil {
		r.mu.Lock()
		r.list = list
		r.mu.Unlock()
	}
	if ts := r.currentTenants(); ts != nil {
		ts.reload(r.runCtx, list, err)
		return
	}
	if err != nil {
		r.settings.Logger.Error("tenants_file not applied: the previous tenant list stays", zap.Error(err))
		return
	}
	r.settings.Logger.Info("tenants_file read; collected once this replica holds the lease", zap.Int("tenants", len(list)))
}

// tenantsFileCheckInterval is how often tenants_file is compared with what
// was applied, and tenantsFileSettle how long a change must stay the same
// before it is applied (tenantsfile.Watch): a tenant added starts within
// 15 s, well within one poll_interval.
const (
	tenantsFileCheckInterval = 5 * time.Second
	tenantsFileSettle        = 10 * time.Second
)

// Shutdown stops fetching at once and waits for the pages in flight to be
// delivered and recorded, until ctx ends; then it abandons them (they are
// read again after the restart: a cursor moves only after ConsumeLogs
// returned nil, so nothing abandoned is lost). It returns by ctx's
// deadline: its waits after that are for polls whose delivery context it
// has canceled, and ConsumeLogs returns when its context ends.
func (r *messageTraceReceiver) Shutdown(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel() // the tenants file watcher and the leadership loop
	}
	r.waitLoops(ctx)
	r.endTerm(ctx)
	var errs []error
	if sh := r.shared; sh != nil {
		sh.api.CloseIdleConnections()
		sh.tokenHTTP.CloseIdleConnections()
		// A refresh token rotated by an exchange its poll left is saved
		// before the storage closes, unless ctx ends first.
		if err := sh.exchanges.Wait(ctx); err != nil {
			r.settings.Logger.Warn("Shutdown deadline reached while a token exchange was still running: a refresh token it receives may not be saved", zap.Error(err))
		}
		errs = append(errs, sh.storage.Close(ctx))
		sh.telemetry.Shutdown()
	}
	return errors.Join(errs...)
}

// waitLoops waits for the tenants file watcher and the leadership loop.
// Either may be applying a change (a tenants_file edit stopping a tenant,
// the end of a term) that waits for a poll in flight, and that poll may be
// delivering a page to a pipeline that blocks: at ctx's end the term's
// deliveries are canceled, so that the poll, and then the loop, returns.
func (r *messageTraceReceiver) waitLoops(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	// A term that begins meanwhile (the leadership loop) ends at once and
	// abandons its deliveries itself: its context, runCtx, is canceled.
	if ts := r.currentTenants(); ts != nil {
		ts.cancelDelivery()
	}
	<-done
}
