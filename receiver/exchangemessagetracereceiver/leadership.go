package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
)

// leaderElection is what the contrib k8s_leader_elector extension offers
// receivers (k8sleaderelector.LeaderElection), declared here so that the
// receiver does not pull in client-go: the extension calls onStart when
// this replica gains the lease and onStop when it loses it.
type leaderElection interface {
	SetCallBackFuncs(onStart func(context.Context), onStop func())
}

// leaderElectorOf finds the configured leader elector among the host's
// extensions.
func leaderElectorOf(host component.Host, id component.ID) (leaderElection, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("k8s_leader_elector: extension %q is not configured: add it under `extensions:` and `service.extensions:`", id)
	}
	le, ok := ext.(leaderElection)
	if !ok {
		return nil, fmt.Errorf("k8s_leader_elector: extension %q is not a leader elector (use contrib's k8s_leader_elector)", id)
	}
	return le, nil
}

// leaseState is what the extension last said; the leadership loop acts
// on the newest one only.
type leaseState struct {
	mu      sync.Mutex
	holding bool
	changed chan struct{} // capacity 1: a pending change
}

func (l *leaseState) set(holding bool) {
	l.mu.Lock()
	l.holding = holding
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *leaseState) get() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holding
}

// takeLeadRetry is how often a replica that holds the lease retries
// recording its generation while the storage fails.
const takeLeadRetry = 2 * time.Second

// followLease collects only while this replica holds the lease. The
// extension calls back under its own lock, so the callbacks only record
// the news; one loop begins and ends the terms, in order.
func (r *messageTraceReceiver) followLease(election leaderElection) {
	lease := &leaseState{changed: make(chan struct{}, 1)}
	r.lease = lease
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.leadershipLoop(lease)
	}()
	r.settings.Logger.Info("waiting for the lease: this replica collects only while it holds it", zap.Stringer("k8s_leader_elector", r.cfg.LeaderElectorID))
	election.SetCallBackFuncs(func(context.Context) { lease.set(true) }, func() { lease.set(false) })
}

func (r *messageTraceReceiver) leadershipLoop(lease *leaseState) {
	logger := r.settings.Logger
	for {
		select {
		case <-r.runCtx.Done():
			return
		case <-lease.changed:
		}
		holding, collecting := lease.get(), r.currentTenants() != nil
		switch {
		case holding && !collecting:
			fence, err := r.takeLead(lease)
			if err != nil {
				continue // the lease went, or Shutdown
			}
			if err := r.beginTerm(r.runCtx, fence); err != nil {
				logger.Error("gained the lease but could not start collecting", zap.Error(err))
				componentstatus.ReportStatus(r.host, componentstatus.NewRecoverableErrorEvent(err))
				continue
			}
			logger.Info("gained the lease: collecting", zap.Uint64("generation", fence.Generation()))
		case !holding && collecting:
			r.endTerm(abandon())
			logger.Info("lost the lease: stopped collecting; the pages in flight are read again by the next leader")
		}
	}
}

// takeLead records this replica's new generation, retrying while the
// storage fails (a recoverable status meanwhile), until it succeeds, the
// lease is lost or the receiver shuts down.
func (r *messageTraceReceiver) takeLead(lease *leaseState) (*checkpoint.Fence, error) {
	holder, _ := os.Hostname()
	for {
		fence, err := checkpoint.TakeLead(r.runCtx, r.shared.storage, holder, time.Now())
		if err == nil {
			return fence, nil
		}
		if r.runCtx.Err() != nil {
			return nil, r.runCtx.Err()
		}
		err = fmt.Errorf("gained the lease but cannot record it in storage (retrying every %s; nothing is collected meanwhile): %w", takeLeadRetry, err)
		r.settings.Logger.Error("lease gained, storage failing", zap.Error(err))
		componentstatus.ReportStatus(r.host, componentstatus.NewRecoverableErrorEvent(err))
		if err := schedule.Sleep(r.runCtx, takeLeadRetry); err != nil {
			return nil, err
		}
		if !lease.get() {
			return nil, errors.New("lease lost")
		}
	}
}

// fenced ends the term of a replica that found a newer leader's generation
// in storage: its lease is gone though the extension has not said so yet
// (it was paused past the lease). It records nothing more; the extension's
// next word (a lease gained again) starts a new term.
func (r *messageTraceReceiver) fenced(err error) {
	if r.lease == nil {
		return
	}
	if r.lease.get() {
		r.settings.Logger.Warn("a newer leader holds the checkpoint: this replica stops collecting and records nothing", zap.Error(err))
	}
	r.lease.set(false)
}
