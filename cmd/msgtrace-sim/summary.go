package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

// summary follows what the fake Sumo Logic source received and compares it
// with the simulated tenant, for a person watching the demo.
type summary struct {
	sim   *simulator.Simulator
	sink  *sumosink.Sink
	from  time.Time
	read  int // sink lines already looked at
	check *simulator.DeliveryCheck
}

func (s *summary) update() {
	lines := s.sink.Lines()
	for _, line := range lines[min(s.read, len(lines)):] {
		s.check.AddLine(line)
	}
	s.read = len(lines)
}

// judged are the tenants whose rows the collector should deliver: the
// customers when there are any (the tenants file lists them, not the
// provider's home tenant), else the one tenant.
func (s *summary) judged() []*simulator.Tenant {
	all := s.sim.Tenants()
	if len(all) > 1 {
		return all[1:]
	}
	return all
}

func (s *summary) print(out io.Writer) {
	s.update()
	now := time.Now()
	tenants := s.judged()
	var truth []simulator.Row
	for _, t := range tenants {
		truth = append(truth, t.Truth(s.from, now)...)
	}
	newest := s.check.Newest()
	// Up to the newest delivered row, what has not arrived is missing so far.
	d := s.check.Compare(truth, newest)
	progress := "waiting for the first rows"
	if !newest.IsZero() {
		span := now.Sub(s.from)
		done := newest.Sub(s.from)
		progress = fmt.Sprintf("delivered up to %s (%s behind now, backfill %.0f%%)",
			newest.UTC().Format("2006-01-02 15:04:05"), now.Sub(newest).Truncate(time.Second), 100*min(1, done.Seconds()/span.Seconds()))
	}
	c := s.sim.Counters()
	what := "tenant"
	if len(tenants) > 1 {
		what = fmt.Sprintf("%d tenants", len(tenants))
	}
	fmt.Fprintf(out, "[%s] %s %d rows | Sumo Logic received %d rows, %d duplicated | %s | not yet delivered up to there: %d (late rows and status changes wait for the settling pass) | API requests %d (peak %d per 5m, %d throttled)\n",
		now.Format("15:04:05"), what, len(truth), s.check.Distinct(), d.Duplicated, progress, d.Missing, c.APIRequests, c.MaxAPIRequestsInWindow, c.Throttled)
	if len(tenants) > 1 {
		fmt.Fprintln(out, "  "+s.tenantsLine(tenants))
	}
}

// tenantsLine tells how many tenants delivered rows (by the Sumo Logic
// source category their resource attributes set) and names those that
// delivered none, with why the simulator thinks so.
func (s *summary) tenantsLine(tenants []*simulator.Tenant) string {
	cats := s.sink.Stats().Categories
	var silent []string
	for _, t := range tenants {
		if cats[sourceCategory(t)] > 0 {
			continue
		}
		line, _ := tenantLine(t)
		_, why, _ := strings.Cut(line, ": ")
		name := customerName(t)
		if why != "" {
			name += " (" + why + ")"
		}
		silent = append(silent, name)
	}
	msg := fmt.Sprintf("tenants delivering: %d of %d", len(tenants)-len(silent), len(tenants))
	if len(silent) > 0 {
		if len(silent) > 8 {
			silent = append(silent[:8], fmt.Sprintf("and %d more", len(silent)-8))
		}
		msg += "; none yet from " + strings.Join(silent, ", ")
	}
	return msg
}

// runSummary prints a summary every interval until ctx ends.
func runSummary(ctx context.Context, sim *simulator.Simulator, sink *sumosink.Sink, from time.Time, every time.Duration, out io.Writer) {
	s := &summary{sim: sim, sink: sink, from: from, check: simulator.NewDeliveryCheck()}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.print(out)
		}
	}
}
