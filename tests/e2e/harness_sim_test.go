//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

// simSecret is the client secret the simulated app accepts in every test:
// distinctive, so that the secret scan cannot miss it.
const simSecret = "e2e-Cl1ent-S3cret-must-never-be-logged"

// simEndpoints is what msgtrace-sim writes to DIR/endpoints.json once it
// listens (it reads back the ports it was given as 127.0.0.1:0).
type simEndpoints struct {
	HTTPS     string `json:"https"`
	HTTP      string `json:"http"`
	CAFile    string `json:"ca_file"`
	TenantID  string `json:"tenant_id"`
	ClientID  string `json:"client_id"`
	Admin     string `json:"admin"`
	Sumo      string `json:"sumo"`
	SumoAdmin string `json:"sumo_admin"`
}

// sim is a running msgtrace-sim process with its Sumo Logic sink.
type sim struct {
	t       *testing.T
	ep      simEndpoints
	started time.Time
	http    *http.Client
}

// startSim runs msgtrace-sim on free loopback ports with args added to the
// harness's own (-dir, addresses, secret), and waits until it is healthy.
// It is stopped with SIGTERM when the test ends.
func startSim(t *testing.T, bins binaries, args ...string) *sim {
	t.Helper()
	dir := t.TempDir()
	simDir := filepath.Join(dir, "sim")
	if err := os.MkdirAll(simDir, 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "msgtrace-sim.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{
		"-dir", simDir,
		"-https-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-sumo-addr", "127.0.0.1:0",
		"-client-secret", simSecret,
	}, args...)
	cmd := exec.Command(bins.sim, all...)
	cmd.Stdout, cmd.Stderr = out, out
	started := time.Now()
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
		keepArtifact(t, logPath)
		if t.Failed() {
			logTail(t, "msgtrace-sim", logPath, 20)
		}
	})

	s := &sim{t: t, started: started, http: &http.Client{Timeout: 60 * time.Second}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			logTail(t, "msgtrace-sim", logPath, 40)
			t.Fatalf("msgtrace-sim exited at startup: %v", err)
		default:
		}
		if b, err := os.ReadFile(filepath.Join(simDir, "endpoints.json")); err == nil && json.Unmarshal(b, &s.ep) == nil && s.ep.Sumo != "" {
			if resp, err := s.http.Get(s.ep.Admin + "health"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					s.ep.Sumo = withSourceToken(s.ep.Sumo)
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			logTail(t, "msgtrace-sim", logPath, 40)
			t.Fatal("msgtrace-sim did not become healthy within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// truthRow is one row of the ground truth, as Graph spells it, with the
// JSON it came in.
type truthRow struct {
	simulator.Row
	raw []byte
}

// Truth returns every row received in [start, end] that exists now, with
// its final status.
func (s *sim) Truth(start, end time.Time) []truthRow {
	s.t.Helper()
	q := url.Values{"start": {start.UTC().Format(time.RFC3339Nano)}, "end": {end.UTC().Format(time.RFC3339Nano)}}
	body := s.get(s.ep.Admin + "truth?" + q.Encode())
	var rows []truthRow
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r truthRow
		if err := json.Unmarshal(line, &r.Row); err != nil {
			s.t.Fatalf("truth line %q: %v", line, err)
		}
		r.raw = append([]byte(nil), line...)
		rows = append(rows, r)
	}
	return rows
}

// Lines returns every line the fake Sumo Logic source received, in order.
func (s *sim) Lines() [][]byte {
	s.t.Helper()
	body := s.get(s.ep.SumoAdmin + "lines")
	var lines [][]byte
	for _, l := range bytes.Split(body, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

func (s *sim) SumoStats() sumosink.Stats {
	s.t.Helper()
	var st sumosink.Stats
	if err := json.Unmarshal(s.get(s.ep.SumoAdmin+"stats"), &st); err != nil {
		s.t.Fatalf("sumo stats: %v", err)
	}
	return st
}

func (s *sim) Counters() simulator.Counters {
	s.t.Helper()
	var c simulator.Counters
	if err := json.Unmarshal(s.get(s.ep.Admin+"counters"), &c); err != nil {
		s.t.Fatalf("counters: %v", err)
	}
	return c
}

// ReportingRequests counts the legacy report's requests (api: reporting)
// the simulator received, by any status.
func (s *sim) ReportingRequests() int64 {
	s.t.Helper()
	var n int64
	for _, c := range s.Counters().Requests["legacy"] {
		n += c
	}
	return n
}

func (s *sim) SetFaults(f simulator.Faults) {
	s.t.Helper()
	b, _ := json.Marshal(f)
	s.post(s.ep.Admin+"faults", b)
}

// SumoUnavailable makes the fake source answer 503 for d from now.
func (s *sim) SumoUnavailable(d time.Duration) {
	s.t.Helper()
	s.post(s.ep.SumoAdmin+"unavailable?for="+d.String(), nil)
}

// SumoSlow delays every answer of the fake source by delay, for d from now.
func (s *sim) SumoSlow(d, delay time.Duration) {
	s.t.Helper()
	s.post(s.ep.SumoAdmin+"slow?for="+d.String()+"&delay="+delay.String(), nil)
}

// NewAuthCode asks the simulated identity platform for a fresh
// authorization code, as if an administrator had signed in.
func (s *sim) NewAuthCode() string {
	s.t.Helper()
	var r struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(s.post(s.ep.Admin+"authcode", nil), &r); err != nil || r.Code == "" {
		s.t.Fatalf("authcode: %v", err)
	}
	return r.Code
}

func (s *sim) get(u string) []byte {
	s.t.Helper()
	resp, err := s.http.Get(u)
	if err != nil {
		s.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d %v %s", u, resp.StatusCode, err, truncate(b, 300))
	}
	return b
}

func (s *sim) post(u string, body []byte) []byte {
	s.t.Helper()
	resp, err := s.http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		s.t.Fatalf("POST %s: %d %v %s", u, resp.StatusCode, err, truncate(b, 300))
	}
	return b
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// keepArtifact copies a log into $E2E_ARTIFACTS/<test>/ when that is set
// (CI uploads it; the temporary directories are removed).
func keepArtifact(t *testing.T, path string) {
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	dst := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dst, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dst, filepath.Base(path)), b, 0o644)
	}
}

// logTail prints the last n lines of a process's output (on failure only).
func logTail(t *testing.T, name, path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("%s output: %v", name, err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 600 {
			lines[i] = l[:600] + "..."
		}
	}
	t.Logf("last %d lines of %s (%s):\n%s", len(lines), name, path, strings.Join(lines, "\n"))
}

// simRequest is one API request in the simulator's request log (GET
// /admin/requests): who sent it (its X-Sim-Client header), for which
// tenant, what kind (list, details, legacy) and the answer's status.
type simRequest = simulator.RequestRecord

// Requests returns the API requests the simulator received at or after
// since (every request for the zero time), in time order.
func (s *sim) Requests(since time.Time) []simRequest {
	s.t.Helper()
	u := s.ep.Admin + "requests"
	if !since.IsZero() {
		u += "?" + url.Values{"since": {since.UTC().Format(time.RFC3339Nano)}}.Encode()
	}
	var out []simRequest
	forEachJSONLine(s.t, s.get(u), func(line []byte) error {
		var r simRequest
		err := json.Unmarshal(line, &r)
		out = append(out, r)
		return err
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func forEachJSONLine(t *testing.T, body []byte, fn func([]byte) error) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			if err := fn(line); err != nil {
				t.Fatalf("JSON line %q: %v", truncate(line, 300), err)
			}
		}
	}
}
