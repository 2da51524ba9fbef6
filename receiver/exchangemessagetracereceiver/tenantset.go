package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"reflect"
	"sync"

	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
)

// tenantSet is the tenants being collected: it starts and stops them on the
// scheduler when the list changes, and nobody else's polls notice.
type tenantSet struct {
	r      *messageTraceReceiver
	shared *shared
	sched  *schedule.Scheduler
	health *tenantHealth
	// deliveryCtx is every poller's: see poller.deliveryCtx.
	deliveryCtx context.Context

	mu      sync.Mutex
	running map[string]*tenantRun // by tenantKey
}

// apply makes the running tenants match list: new entries start (from
// initial_lookback, or from their stored cursor when they ran before),
// removed ones stop after their page in flight (their state stays in
// storage), changed ones restart with the new entry. It returns the errors
// of tenants that could not start; the others run.
func (s *tenantSet) apply(ctx context.Context, list []TenantConfig) error {
	want := make(map[string]TenantConfig, len(list))
	for _, t := range list {
		want[tenantKey(t.TenantID)] = t
	}
	s.mu.Lock()
	var stop []*tenantRun
	for key, run := range s.running {
		if t, ok := want[key]; !ok || !reflect.DeepEqual(t, run.entry) {
			stop = append(stop, run)
			delete(s.running, key)
		}
	}
	s.mu.Unlock()
	for _, run := range stop {
		s.sched.Remove(run.id)
		s.health.forget(run.id)
		s.r.settings.Logger.Info("tenant stopped; its cursor stays in storage", zap.String("tenant", run.id))
	}

	var errs []error
	for _, t := range list {
		key := tenantKey(t.TenantID)
		s.mu.Lock()
		_, ok := s.running[key]
		s.mu.Unlock()
		if ok {
			continue
		}
		run, err := s.r.newTenantRun(ctx, s.shared, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.start(run)
	}
	s.health.setTotal(s.count())
	return errors.Join(errs...)
}

// start schedules one tenant's polls.
func (s *tenantSet) start(run *tenantRun) {
	run.poller.deliveryCtx = s.deliveryCtx
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

// reload applies a changed tenants file. A file that does not read, parse
// or validate changes nothing: the previous list keeps running, the error
// names the entry and its line, and the status says so until it is fixed.
func (s *tenantSet) reload(ctx context.Context, err error) {
	logger := s.r.settings.Logger
	var list []TenantConfig
	if err == nil {
		list, _, err = s.r.cfg.tenantList()
	}
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
