//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestCorruptStateFile: the file_storage state file of a run that
// collected is damaged (random bytes over its data pages, or cut to zero
// bytes); the binary started on it exits at startup, non-zero, with an
// error naming the file and the fix, and never panics (bbolt's panic at
// open made systemd restart the collector into the same panic for ever).
func TestCorruptStateFile(t *testing.T) {
	fig := recordFigures(t, "the file_storage state file of a run damaged: random bytes over its data pages; cut to zero bytes")
	fig.Promise = "each stops the binary at startup, non-zero, naming the file and the fix; no panic"
	bins := requireBinaries(t)
	tb := newTestbed(t, bins, historyArgs(0.02, 20000)...)
	cfg := tb.config("graph", time.Hour)
	p := tb.startCollector(t, bins, cfg)
	if !waitFor(60*time.Second, func() bool { return tb.sim.SumoStats().Lines > 0 }) {
		t.Fatalf("no row delivered within 60s:\n%s", truncate([]byte(p.Log()), 2000))
	}
	p.Stop()
	path := filepath.Join(tb.storageDir, "receiver_exchange_message_trace_")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the state file of the run: %v", err)
	}
	const pageSize = 4096
	if len(good) < 4*pageSize {
		t.Fatalf("the state file is %d bytes, want several pages", len(good))
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(tb.dir, "corrupt-state.yaml")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}

	var exits []string
	for _, tc := range []struct {
		name    string
		damaged func() []byte
		want    []string
	}{
		{"random bytes over the data pages", func() []byte {
			b := append([]byte(nil), good...)
			seed := uint32(11)
			for i := 2 * pageSize; i < len(b); i++ {
				seed = seed*1664525 + 1013904223
				b[i] = byte(seed >> 24)
			}
			return b
		}, []string{"is corrupt (", "move it aside", "restore it from a backup", "recreate: true"}},
		{"zero bytes", func() []byte { return nil }, []string{"is empty (0 bytes)", "move it aside", "backup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.damaged(), 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			cmd := exec.Command(bins.otelcol, "--config", cfgPath, healthGate)
			done := make(chan struct{})
			var out []byte
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("still running after 30s on a damaged state file\n%s", truncate(out, 2000))
			}
			assertNoSecrets(t, "the output of a failed start", out)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("exit: %v, want a non-zero exit status\n%s", err, truncate(out, 2000))
			}
			if strings.Contains(string(out), "panic") {
				t.Errorf("the collector panicked:\n%s", truncate(out, 3000))
			}
			msg := errorLines(string(out))
			for _, want := range append(tc.want, "the state file "+path) {
				if !strings.Contains(msg, want) {
					t.Errorf("the error does not say %q:\n%s", want, truncate([]byte(msg), 2000))
				}
			}
			t.Logf("exit %d after %s: %s", exit.ExitCode(), time.Since(start).Round(time.Millisecond), truncate([]byte(msg), 600))
			exits = append(exits, fmt.Sprintf("%s: exit %d after %s", tc.name, exit.ExitCode(), time.Since(start).Round(100*time.Millisecond)))
		})
	}
	fig.Other = strings.Join(exits, "; ")
}
