//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// healthGate turns on the health_check extension's component-status mode
// (its v2 config), so that the receiver's recoverable errors show.
const healthGate = "--feature-gates=extension.healthcheck.useComponentStatus"

// collectorProc is one run of bin/otelcol-messagetrace.
type collectorProc struct {
	t       *testing.T
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	err     error // valid once exited is closed
	health  string
}

// lastRun is each test's latest collector run.
var lastRun sync.Map

// runSeq numbers collector runs (configs and logs) across parallel tests.
var runSeq atomic.Int64

// startCollector writes cfg into the testbed's directory and runs the
// distribution on it, output in a file of its own. When the test ends the
// process is stopped if still running, and its log is scanned for secrets.
func (tb *testbed) startCollector(t *testing.T, bins binaries, cfg yamlMap) *collectorProc {
	t.Helper()
	n := runSeq.Add(1)
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(tb.dir, fmt.Sprintf("collector-%d.yaml", n))
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p := runBinary(t, bins.otelcol, filepath.Join(tb.dir, fmt.Sprintf("collector-%d.log", n)), nil, "--config", cfgPath, healthGate)
	p.health = "http://" + tb.healthAddr + "/status?verbose"
	return p
}

// runBinary starts the distribution with args, and env added to the
// test's environment; see startCollector.
func runBinary(t *testing.T, bin, logPath string, env []string, args ...string) *collectorProc {
	t.Helper()
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if env != nil {
		// Only what the test sets: a variable of the shipped configs in the
		// developer's environment would change the run.
		cmd.Env = append(envWithout("EXCHANGE_", "SUMOLOGIC_", "OTLP_", "SIM_", "HEALTH_CHECK_", "STORAGE_DIR=", "DEPLOYMENT_ENVIRONMENT=", "SSL_CERT_"), env...)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	p := &collectorProc{t: t, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	lastRun.Store(t, p)
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.Stop()
		assertNoSecretsInFile(t, logPath)
		keepArtifact(t, logPath)
		// On failure, the tail of the test's last run only: tests with
		// dozens of restarts would drown the report.
		if last, _ := lastRun.Load(t); t.Failed() && last == p {
			logTail(t, "collector "+filepath.Base(logPath), logPath, 30)
		}
	})
	return p
}

// Kill ends the collector with SIGKILL: no shutdown, no flush.
func (p *collectorProc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Stop ends the collector with SIGTERM (SIGKILL after 20s).
func (p *collectorProc) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.t.Errorf("collector did not stop within 20s of SIGTERM; killing it")
		p.Kill()
	}
}

// Running reports whether the process has not exited.
func (p *collectorProc) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Log returns the collector's output so far.
func (p *collectorProc) Log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// healthStatus is the health_check extension's component-status answer.
type healthStatus struct {
	Code    int
	Body    string
	Healthy bool   `json:"healthy"`
	Status  string `json:"status"`
	Error   string `json:"error"`
	// Receiver is the receiver's own status inside pipeline:logs.
	Receiver      string
	ReceiverError string
}

type healthNode struct {
	Healthy    bool                   `json:"healthy"`
	Status     string                 `json:"status"`
	Error      string                 `json:"error"`
	Components map[string]*healthNode `json:"components"`
}

// Health asks the health_check extension; ok is false while it does not
// answer (starting, stopped).
func (p *collectorProc) Health() (h healthStatus, ok bool) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(p.health)
	if err != nil {
		return h, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	h.Code, h.Body = resp.StatusCode, string(b)
	var root healthNode
	if json.Unmarshal(b, &root) != nil {
		return h, true
	}
	h.Healthy, h.Status, h.Error = root.Healthy, root.Status, root.Error
	if pl := root.Components["pipeline:logs"]; pl != nil {
		if r := pl.Components["receiver:exchange_message_trace"]; r != nil {
			h.Receiver, h.ReceiverError = r.Status, r.Error
		}
	}
	return h, true
}

// waitFor polls cond every 100ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// countLines counts the lines of the collector's log containing s.
func countLines(log, s string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}
