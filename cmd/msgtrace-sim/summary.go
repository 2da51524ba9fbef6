package main

import (
	"context"
	"fmt"
	"io"
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

func (s *summary) print(out io.Writer) {
	s.update()
	now := time.Now()
	truth := s.sim.Truth(s.from, now)
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
	fmt.Fprintf(out, "[%s] tenant %d rows | Sumo Logic received %d rows, %d duplicated | %s | not yet delivered up to there: %d (late rows and status changes wait for the settling pass) | API requests %d (peak %d per 5m, %d throttled)\n",
		now.Format("15:04:05"), len(truth), s.check.Distinct(), d.Duplicated, progress, d.Missing, c.APIRequests, c.MaxAPIRequestsInWindow, c.Throttled)
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
