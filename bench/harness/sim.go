package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

// tenant is a simulated tenant with a fixed row set: the model ends at To,
// so every run of a scenario reads exactly the same rows.
type tenant struct {
	sim  *simulator.Simulator
	sink *sumosink.Sink
	from time.Time
	to   time.Time
}

// startTenant runs the simulator and the fake Sumo Logic source in this
// process (their CPU is the harness's, reported apart from the collector's).
// rateLimit < 0 turns the quota off; rateLimit 0 is Microsoft's 100.
func startTenant(seed uint64, days, rowsPerDay float64, rateLimit int, dir string) (*tenant, error) {
	to := time.Now().UTC().Truncate(time.Minute)
	from := to.Add(-time.Duration(days * float64(24*time.Hour)))
	sim, err := simulator.Start(simulator.Config{
		Seed:      seed,
		RateLimit: rateLimit,
		CertDir:   dir,
		Model: simulator.ModelConfig{
			RowsPerDay: rowsPerDay, From: from, To: to,
			DelayedFraction: -1, ChangingFraction: -1,
		},
	})
	if err != nil {
		return nil, err
	}
	sink, err := sumosink.Start(sumosink.Config{})
	if err != nil {
		_ = sim.Close()
		return nil, err
	}
	return &tenant{sim: sim, sink: sink, from: from, to: to}, nil
}

func (t *tenant) close() {
	_ = t.sink.Close()
	_ = t.sim.Close()
}

// reset zeroes the request counters and drops the sink's lines between runs.
func (t *tenant) reset() {
	t.sim.ResetCounters()
	t.sink.Reset()
}

// writeTruth writes every row of the tenant as JSON lines in Graph's field
// names (the simulator's /admin/truth) to path and returns the row count.
func (t *tenant) writeTruth(path string) (int64, error) {
	u := fmt.Sprintf("%s/admin/truth?start=%s&end=%s", t.sim.HTTPURL,
		t.from.Add(-time.Minute).Format(time.RFC3339), t.to.Add(time.Minute).Format(time.RFC3339))
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /admin/truth: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	var lines int64
	buf := make([]byte, 1<<20)
	for {
		n, rerr := resp.Body.Read(buf)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		if _, err := w.Write(buf[:n]); err != nil {
			return 0, err
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, rerr
		}
	}
	return lines, w.Flush()
}

// graphRowsServed is how many rows the simulator has written in Graph pages.
func (t *tenant) graphRowsServed() int64 {
	return t.sim.Counters().RowsServed["graph"]
}

// selfCPU is this process's CPU time: the simulator's and the sink's work
// (the harness itself only polls).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
