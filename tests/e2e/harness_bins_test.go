//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// binaries are the two programs under test, named by the environment so
// that the suite always runs what `make build` just produced.
type binaries struct {
	otelcol string
	sim     string
}

func requireBinaries(t *testing.T) binaries {
	t.Helper()
	b := binaries{otelcol: os.Getenv("OTELCOL_BIN"), sim: os.Getenv("SIM_BIN")}
	if b.otelcol == "" || b.sim == "" {
		t.Fatalf("OTELCOL_BIN and SIM_BIN must name the built binaries: run `make e2e-test`, or `make build` and then " +
			"OTELCOL_BIN=$PWD/bin/otelcol-messagetrace SIM_BIN=$PWD/bin/msgtrace-sim go test -tags e2e ./tests/e2e/...")
	}
	for _, p := range []string{b.otelcol, b.sim} {
		if !filepath.IsAbs(p) {
			t.Fatalf("%s is not an absolute path: the tests run in temporary directories", p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("binary not found (run `make build`): %v", err)
		}
	}
	return b
}
