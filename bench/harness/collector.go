package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// pipeline says what the collector reads and where it sends it.
type pipeline struct {
	// Source: "receiver" (exchange_message_trace) or "filelog".
	Source string
	// BodyFormat of the receiver: "json" or "map".
	BodyFormat string
	// JSONParser adds filelog's json_parser operator (the body becomes a map).
	JSONParser bool
	// Exporter: "sumologic" (log_format: text, to the fake source) or "debug" (verbosity: basic).
	Exporter string
	// MaxRequestsPer5m is the receiver's own budget (0: none).
	MaxRequestsPer5m int
	// PageSize is the receiver's $top.
	PageSize int
	// FSync turns on file_storage's fsync, as the shipped configs do: each
	// checkpoint reaches the disk before the next page.
	FSync bool
}

func (p pipeline) name() string {
	var b strings.Builder
	if p.Source == "filelog" {
		b.WriteString("filelog")
		if p.JSONParser {
			b.WriteString("+json_parser")
		} else {
			b.WriteString(" (plain lines)")
		}
	} else {
		b.WriteString("exchange_message_trace body_format: " + p.BodyFormat)
	}
	b.WriteString(" → " + p.Exporter)
	if p.Source == "receiver" && p.PageSize != 5000 {
		fmt.Fprintf(&b, " page_size %d", p.PageSize)
	}
	if p.FSync {
		b.WriteString(" (file_storage fsync)")
	}
	return b.String()
}

// runSpec is one collector run.
type runSpec struct {
	Pipe pipeline
	// Lookback is the receiver's initial_lookback: it reaches before the
	// tenant's first row.
	Lookback time.Duration
	// File is filelog's input (JSON lines); Rows is how many it holds.
	File string
	// Expect, when > 0, is the number of rows the run must deliver; 0 means
	// "every row the simulator served" (receiver runs).
	Expect int64
	// Pprof, when set, is where a CPU profile of ProfileSeconds is written.
	Pprof          string
	ProfileSeconds int
	Dir            string
	Timeout        time.Duration
}

// runResult is what one run measured.
type runResult struct {
	Name        string  `json:"name"`
	Rows        int64   `json:"rows"`
	WallSeconds float64 `json:"wall_s"` // collector start to the last row delivered
	CPUSeconds  float64 `json:"cpu_s"`  // collector user+sys, start to stop
	UserSeconds float64 `json:"user_s"`
	SysSeconds  float64 `json:"sys_s"`
	MaxRSSMiB   float64 `json:"max_rss_mib"`
	SimCPU      float64 `json:"sim_cpu_s"` // simulator + sink (this process) during the run
	Requests    int64   `json:"api_requests"`
	MaxInWindow int     `json:"max_requests_in_window"`
	Throttled   int64   `json:"throttled"`
}

func (r runResult) cpuPerMillion() float64 { return r.CPUSeconds / float64(r.Rows) * 1e6 }
func (r runResult) rowsPerSecond() float64 { return float64(r.Rows) / r.WallSeconds }

// maxWindow is the receiver's max_window in every run (-max-window).
var maxWindow = 240 * time.Hour

// debugRecords matches the debug exporter's basic line: "log records": 5000.
var debugRecords = regexp.MustCompile(`"log records"\s*:\s*(\d+)`)

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// configYAML writes the collector config of spec.
func configYAML(spec runSpec, t *tenant, pprofPort, metricsPort int) string {
	var b strings.Builder
	p := spec.Pipe
	fmt.Fprintf(&b, "extensions:\n  file_storage:\n    directory: %s\n    create_directory: true\n    fsync: %t\n", filepath.Join(spec.Dir, "storage"), p.FSync)
	exts := []string{"file_storage"}
	if pprofPort > 0 {
		fmt.Fprintf(&b, "  pprof:\n    endpoint: 127.0.0.1:%d\n", pprofPort)
		exts = append(exts, "pprof")
	}
	b.WriteString("receivers:\n")
	recv := "exchange_message_trace"
	if p.Source == "filelog" {
		recv = "filelog"
		fmt.Fprintf(&b, "  filelog:\n    include: [%s]\n    start_at: beginning\n", spec.File)
		if p.JSONParser {
			b.WriteString("    operators:\n      - type: json_parser\n")
		}
	} else {
		host := strings.TrimPrefix(t.sim.HTTPSURL, "https://")
		fmt.Fprintf(&b, `  exchange_message_trace:
    api: graph
    tenant_id: %s
    client_id: %s
    client_secret: %s
    authority_host: https://%s
    endpoint: https://%s/v1.0
    tls:
      ca_file: %s
    initial_lookback: %s
    delay: 0s
    settle: 0s
    poll_interval: 24h
    max_window: %s
    page_size: %d
    max_requests_per_5m: %d
    body_format: %s
    storage: file_storage
`, simulator.DefaultTenantID, simulator.DefaultClientID, simulator.DefaultClientSecret, host, host,
			t.sim.CAFile, spec.Lookback, maxWindow, p.PageSize, p.MaxRequestsPer5m, p.BodyFormat)
	}
	b.WriteString("exporters:\n")
	if p.Exporter == "sumologic" {
		fmt.Fprintf(&b, "  sumologic:\n    endpoint: %s/receiver/v1/http/bench\n    log_format: text\n    sending_queue:\n      enabled: false\n", t.sink.URL)
	} else {
		b.WriteString("  debug:\n    verbosity: basic\n")
	}
	fmt.Fprintf(&b, `service:
  extensions: [%s]
  pipelines:
    logs:
      receivers: [%s]
      exporters: [%s]
  telemetry:
    logs:
      level: info
      # The debug exporter's lines count the rows: none may be sampled away.
      sampling:
        enabled: false
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
`, strings.Join(exts, ", "), recv, p.Exporter, metricsPort)
	return b.String()
}

// runCollector starts the collector on spec, waits until every row has been
// delivered, stops it and reads its resource usage.
func runCollector(bin string, spec runSpec, t *tenant) (runResult, error) {
	res := runResult{Name: spec.Pipe.name()}
	cfgPath, pprofPort, err := writeRunConfig(spec, t)
	if err != nil {
		return res, err
	}
	t.reset()
	simCPU0 := selfCPU()
	p, err := startCollectorProcess(bin, cfgPath, filepath.Join(spec.Dir, "collector.log"))
	if err != nil {
		return res, err
	}
	defer p.log.Close()
	profileDone := startProfile(spec, pprofPort)

	rows, doneAt, err := p.waitDelivered(spec, t)
	if err != nil {
		return res, err
	}
	if err := <-profileDone; err != nil {
		fmt.Fprintf(os.Stderr, "profile: %v\n", err)
	}
	// The peak RSS of the collector itself: rusage's Maxrss of a child also
	// counts the harness's memory the child shared between fork and exec.
	hwm := vmHWM(p.cmd.Process.Pid)
	ru, err := p.stop()
	if err != nil {
		return res, err
	}
	res.Rows = rows
	res.WallSeconds = doneAt.Sub(p.started).Seconds()
	res.UserSeconds = time.Duration(ru.Utime.Nano()).Seconds()
	res.SysSeconds = time.Duration(ru.Stime.Nano()).Seconds()
	res.CPUSeconds = res.UserSeconds + res.SysSeconds
	res.MaxRSSMiB = float64(hwm) / 1024
	res.SimCPU = (selfCPU() - simCPU0).Seconds()
	c := t.sim.Counters()
	res.Requests, res.MaxInWindow, res.Throttled = c.APIRequests, c.MaxAPIRequestsInWindow, c.Throttled
	return res, nil
}

// writeRunConfig writes the run's collector config into spec.Dir; pprofPort
// is 0 unless a profile was asked for.
func writeRunConfig(spec runSpec, t *tenant) (path string, pprofPort int, err error) {
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return "", 0, err
	}
	if spec.Pprof != "" {
		pprofPort = freePort()
	}
	path = filepath.Join(spec.Dir, "config.yaml")
	return path, pprofPort, os.WriteFile(path, []byte(configYAML(spec, t, pprofPort, freePort())), 0o644)
}

// collectorProcess is a running collector with its log.
type collectorProcess struct {
	cmd     *exec.Cmd
	log     *os.File
	started time.Time
	exited  chan error
	// debugRows counts the rows the debug exporter reported (its log lines).
	debugRows atomic.Int64
}

// startCollectorProcess runs the collector on cfgPath, its output in
// logPath, counting the debug exporter's rows as its log goes by.
func startCollectorProcess(bin, cfgPath, logPath string) (*collectorProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &collectorProcess{cmd: exec.Command(bin, "--config", cfgPath), log: logFile, exited: make(chan error, 1)}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	p.cmd.Stdout = logFile
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(io.TeeReader(stderr, logFile))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := debugRecords.FindSubmatch(sc.Bytes()); m != nil {
				n, _ := strconv.ParseInt(string(m[1]), 10, 64)
				p.debugRows.Add(n)
			}
		}
	}()
	go func() { <-logDone; p.exited <- p.cmd.Wait() }()
	return p, nil
}

// startProfile fetches a CPU profile of the run when spec asks for one; the
// channel gives its error (nil at once without a profile).
func startProfile(spec runSpec, port int) <-chan error {
	done := make(chan error, 1)
	if spec.Pprof == "" {
		done <- nil
		return done
	}
	go func() { done <- fetchProfile(port, spec.ProfileSeconds, spec.Pprof) }()
	return done
}

// waitDelivered polls until the run is done: the expected count arrived,
// or, for the receiver, the count equals the rows the simulator served and
// nothing moved for a while (a backfill ends with a short page and then
// silence). doneAt is when the count last moved.
func (p *collectorProcess) waitDelivered(spec runSpec, t *tenant) (rows int64, doneAt time.Time, err error) {
	delivered := p.debugRows.Load
	if spec.Pipe.Exporter == "sumologic" {
		delivered = func() int64 { return t.sink.Stats().Lines }
	}
	deadline := time.Now().Add(spec.Timeout)
	var last int64 = -1
	lastChange := time.Now()
	for {
		select {
		case err := <-p.exited:
			return last, doneAt, fmt.Errorf("collector exited early (%v); see %s", err, p.log.Name())
		case <-time.After(100 * time.Millisecond):
		}
		n := delivered()
		if n != last {
			last, lastChange = n, time.Now()
		}
		switch {
		case spec.Expect > 0 && n >= spec.Expect:
			return last, lastChange, nil
		case spec.Expect == 0 && n > 0 && n == t.graphRowsServed() && time.Since(lastChange) > 2*time.Second:
			return last, lastChange, nil
		case time.Now().After(deadline):
			_ = p.cmd.Process.Kill()
			return last, doneAt, fmt.Errorf("timed out with %d rows delivered; see %s", n, p.log.Name())
		}
	}
}

// stop ends the collector with SIGTERM (SIGKILL after 30s) and returns its
// resource usage.
func (p *collectorProcess) stop() (*syscall.Rusage, error) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return nil, fmt.Errorf("no rusage")
	}
	return ru, nil
}

// fetchProfile takes a CPU profile of the running collector through the
// pprof extension, after a second for the backfill to get going.
func fetchProfile(port, seconds int, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds+30)*time.Second)
	defer cancel()
	u := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", port, seconds)
	var resp *http.Response
	for range 50 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		r, err := http.DefaultClient.Do(req)
		if err == nil {
			resp = r
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if resp == nil {
		return fmt.Errorf("pprof endpoint never answered")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// vmHWM is the peak resident set of pid in KiB (/proc/<pid>/status).
func vmHWM(pid int) int64 { return procStatusKiB(pid, "VmHWM:") }

// vmRSS is the resident set of pid in KiB now.
func vmRSS(pid int) int64 { return procStatusKiB(pid, "VmRSS:") }

// procStatusKiB reads one "Name:   123 kB" line of /proc/<pid>/status.
func procStatusKiB(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
