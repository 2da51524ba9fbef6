//go:build package

package packagetest

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// simSecret is the client secret the simulated app accepts: distinctive, so
// that a scan of the service's output cannot miss it.
const simSecret = "pkg-Cl1ent-S3cret-must-never-be-logged"

// simEndpoints is what msgtrace-sim writes to DIR/endpoints.json.
type simEndpoints struct {
	HTTPS     string `json:"https"`
	CAFile    string `json:"ca_file"`
	TenantID  string `json:"tenant_id"`
	ClientID  string `json:"client_id"`
	Admin     string `json:"admin"`
	Sumo      string `json:"sumo"`
	SumoAdmin string `json:"sumo_admin"`
}

// startSim runs SIM_BIN on free loopback ports with a day of history, its
// files (the CA the service must read) in a directory the service user can
// read. It is stopped when the test ends.
func startSim(t *testing.T) simEndpoints {
	t.Helper()
	bin := os.Getenv("SIM_BIN")
	if bin == "" {
		t.Fatal("SIM_BIN is not set: run `make package-test`")
	}
	dir, err := os.MkdirTemp("", "pkgtest-sim-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "msgtrace-sim.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-dir", dir,
		"-https-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-sumo-addr", "127.0.0.1:0",
		"-client-secret", simSecret,
		"-days", "1", "-rows-per-day", "500", "-daily-swing", "0",
		"-delayed-fraction", "-1", "-changing-fraction", "-1")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting msgtrace-sim: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); out.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("msgtrace-sim log:\n%s", tail(string(b), 20))
		}
	})
	var ep simEndpoints
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("msgtrace-sim exited at startup: %v", err)
		default:
		}
		if b, err := os.ReadFile(filepath.Join(dir, "endpoints.json")); err == nil && json.Unmarshal(b, &ep) == nil && ep.Sumo != "" {
			if resp, err := http.Get(ep.Admin + "health"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return ep
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("msgtrace-sim did not become healthy within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sinkLines returns the lines the fake Sumo Logic source received.
func sinkLines(t *testing.T, ep simEndpoints) []string {
	t.Helper()
	resp, err := http.Get(ep.SumoAdmin + "lines")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
