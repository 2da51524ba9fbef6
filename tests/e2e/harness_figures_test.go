//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// figuresPath is where the fault tests record what they measured:
// E2E_FIGURES (make e2e-test sets it; `make readme` renders the file into
// docs/delivery.md), else a file in the temporary directory.
func figuresPath() string {
	if p := os.Getenv("E2E_FIGURES"); p != "" {
		return p
	}
	return filepath.Join(os.TempDir(), "otelcol-messagetrace-e2e-figures.jsonl")
}

// recordFigures starts a fault test's record: fault says what the test
// does. The test fills in the rest; the record is written when the test
// has ended, with its result. Call it first: cleanups run last-in
// first-out, so this one sees the failures of every later cleanup (the
// secret scan of the collector logs among them).
func recordFigures(t *testing.T, fault string) *readme.Figure {
	t.Helper()
	f := &readme.Figure{Test: t.Name(), Fault: fault}
	t.Cleanup(func() {
		f.Passed, f.At = !t.Failed(), time.Now().UTC()
		if err := readme.AppendFigure(figuresPath(), *f); err != nil {
			t.Errorf("recording the figures: %v", err)
		}
	})
	return f
}

// setDelivery records a comparison with the truth and what the promise
// allows.
func setDelivery(f *readme.Figure, d simulator.Delivery, promise string) {
	f.Rows, f.Lost, f.Repeated, f.Promise = d.Truth, readme.Count(d.Missing), readme.Count(d.Duplicated), promise
}
