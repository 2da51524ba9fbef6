package main

import (
	"context"
	"encoding/json"
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
	sim       *simulator.Simulator
	sink      *sumosink.Sink
	from      time.Time
	read      int                 // sink lines already looked at
	delivered map[string]struct{} // id|recipient|status of delivered rows
	dups      int
	newest    time.Time
}

// lineKey reads a delivered line's row key and received time, in either
// field-name set.
func lineKey(line []byte) (key string, received time.Time, ok bool) {
	var row map[string]any
	if json.Unmarshal(line, &row) != nil {
		return "", time.Time{}, false
	}
	pick := func(names ...string) string {
		for _, n := range names {
			if s, ok := row[n].(string); ok {
				return s
			}
		}
		return ""
	}
	id := pick("id", "MessageTraceId")
	if id == "" {
		return "", time.Time{}, false
	}
	recv := pick("receivedDateTime", "Received")
	received, _ = time.Parse(time.RFC3339Nano, recv)
	if received.IsZero() {
		received, _ = time.Parse("2006-01-02T15:04:05.9999999", recv)
	}
	key = id + "|" + strings.ToLower(pick("recipientAddress", "RecipientAddress")) + "|" + strings.ToLower(pick("status", "Status"))
	return key, received, true
}

func (s *summary) update() {
	lines := s.sink.Lines()
	for _, line := range lines[min(s.read, len(lines)):] {
		key, received, ok := lineKey(line)
		if !ok {
			continue
		}
		if _, seen := s.delivered[key]; seen {
			s.dups++
		}
		s.delivered[key] = struct{}{}
		if received.After(s.newest) {
			s.newest = received
		}
	}
	s.read = len(lines)
}

func (s *summary) print(out io.Writer) {
	s.update()
	now := time.Now()
	truth := s.sim.Truth(s.from, now)
	missing := 0
	for _, r := range truth {
		if r.Received.After(s.newest) {
			continue // not reached yet
		}
		if _, ok := s.delivered[r.ID+"|"+strings.ToLower(r.RecipientAddress)+"|"+strings.ToLower(string(r.Status))]; !ok {
			missing++
		}
	}
	progress := "waiting for the first rows"
	if !s.newest.IsZero() {
		span := now.Sub(s.from)
		done := s.newest.Sub(s.from)
		progress = fmt.Sprintf("delivered up to %s (%s behind now, backfill %.0f%%)",
			s.newest.UTC().Format("2006-01-02 15:04:05"), now.Sub(s.newest).Truncate(time.Second), 100*min(1, done.Seconds()/span.Seconds()))
	}
	c := s.sim.Counters()
	fmt.Fprintf(out, "[%s] tenant %d rows | Sumo Logic received %d rows, %d duplicated | %s | not yet delivered up to there: %d (late rows and status changes wait for the settling pass) | API requests %d (peak %d per 5m, %d throttled)\n",
		now.Format("15:04:05"), len(truth), len(s.delivered), s.dups, progress, missing, c.APIRequests, c.MaxAPIRequestsInWindow, c.Throttled)
}

// runSummary prints a summary every interval until ctx ends.
func runSummary(ctx context.Context, sim *simulator.Simulator, sink *sumosink.Sink, from time.Time, every time.Duration, out io.Writer) {
	s := &summary{sim: sim, sink: sink, from: from, delivered: map[string]struct{}{}}
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
