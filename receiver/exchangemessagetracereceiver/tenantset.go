package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
)

// tenantSet is the tenants being collected: it starts and stops them on the
// scheduler when the list changes, and nobody else's polls notice.
type tenantSet struct {
	r      *messageTraceReceiver
	shared *shared
	sched  *schedule.Scheduler
	health *tenantHealth
	// fence is the leadership term's (nil without leader election), and
	// gate lets its requests out only while the lease holds (leasegate.go).
	fence *checkpoint.Fence
	gate  *leaseGate
	// deliveryCtx is every poller's: see poller.deliveryCtx.
	deliveryCtx    context.Context
	cancelDelivery context.CancelFunc

	mu      sync.Mutex
	running map[string]*tenantRun // by tenantKey
}

// apply makes the running tenants match list: new entries start (from
// initial_lookback, or from their stored cursor when they ran before),
// removed ones stop after their page in flight (their state stays in
// storage), changed ones restart with the new entry. Tenants that only
// stay are untouched; new ones start before the others stop, and stops run
// side by side, so a removed tenant's slow last page delays nobody. With
// one tenant its set-up errors are returned (Start fails); with many, each
// tenant's set-up is its own first poll.
func (s *tenantSet) apply(ctx context.Context, list []TenantConfig) error {
	want := make(map[string]TenantConfig, len(list))
	for _, t := range list {
		want[tenantKey(t.TenantID)] = t
	}
	s.mu.Lock()
	var gone, changed []*tenantRun
	for key, run := range s.running {
		t, ok := want[key]
		switch {
		case !ok:
			gone = append(gone, run)
		case !reflect.DeepEqual(t, run.entry):
			changed = append(changed, run)
		default:
			continue
		}
		delete(s.running, key)
	}
	var fresh []TenantConfig
	for _, t := range list {
		key := tenantKey(t.TenantID)
		if _, ok := s.running[key]; !ok && !contains(changed, key) {
			fresh = append(fresh, t)
		}
	}
	s.mu.Unlock()

	var errs []error
	for _, t := range fresh {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := s.start(ctx, t); err != nil {
			errs = append(errs, err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, run := range gone {
		wg.Add(1)
		go func() { defer wg.Done(); s.stop(run) }()
	}
	for _, run := range changed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.stop(run) // before the new entry opens the same checkpoint
			if err := s.start(ctx, want[tenantKey(run.id)]); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	s.health.setTotal(s.count())
	return errors.Join(errs...)
}

func contains(runs []*tenantRun, key string) bool {
	for _, r := range runs {
		if tenantKey(r.id) == key {
			return true
		}
	}
	return false
}

// stop removes a tenant from the scheduler once its poll in flight is over.
func (s *tenantSet) stop(run *tenantRun) {
	s.sched.Remove(run.id)
	s.health.forget(run.id)
	s.r.settings.Logger.Info("tenant stopped; its cursor stays in storage", zap.String("tenant", run.id))
}

// start schedules a tenant. With one tenant the poller is made now, so
// that a corrupt checkpoint or an unreadable certificate stops the
// collector at startup, naming it.
func (s *tenantSet) start(ctx context.Context, t TenantConfig) error {
	setUp := func(ctx context.Context) (*poller, error) { return s.r.newPoller(ctx, s, t) }
	run := &tenantRun{id: strings.TrimSpace(t.TenantID), entry: t, setUp: setUp}
	if !s.r.cfg.multiTenant() {
		p, err := setUp(ctx)
		if err != nil {
			return err
		}
		run.poller, run.setUp = p, nil
	}
	s.add(run)
	return nil
}

// add schedules one tenant's polls.
func (s *tenantSet) add(run *tenantRun) {
	if run.poller != nil {
		run.poller.deliveryCtx = s.deliveryCtx
	}
	s.mu.Lock()
	s.running[tenantKey(run.id)] = run
	s.mu.Unlock()
	s.sched.Add(run.id, run.poll)
}

func (s *tenantSet) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running)
}

// reload applies a changed tenants file (list, or err when it does not
// read, parse or validate: the previous list keeps running).
func (s *tenantSet) reload(ctx context.Context, list []TenantConfig, err error) {
	logger := s.r.settings.Logger
	if err != nil {
		logger.Error("tenants_file not applied: the previous tenant list keeps running", zap.Error(err))
		s.health.setFileError(err)
		return
	}
	s.health.setFileError(nil)
	if err := s.apply(ctx, list); err != nil {
		logger.Error("some tenants of tenants_file could not start", zap.Error(err))
	}
	logger.Info("tenants_file applied", zap.Int("tenants", s.count()))
}
