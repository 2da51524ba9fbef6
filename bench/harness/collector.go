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
	fmt.Fprintf(&b, "extensions:\n  file_storage:\n    directory: %s\n    create_directory: true\n", filepath.Join(spec.Dir, "storage"))
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
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return res, err
	}
	pprofPort := 0
	if spec.Pprof != "" {
		pprofPort = freePort()
	}
	cfgPath := filepath.Join(spec.Dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(configYAML(spec, t, pprofPort, freePort())), 0o644); err != nil {
		return res, err
	}
	logFile, err := os.Create(filepath.Join(spec.Dir, "collector.log"))
	if err != nil {
		return res, err
	}
	defer logFile.Close()

	t.reset()
	simCPU0 := selfCPU()
	cmd := exec.Command(bin, "--config", cfgPath)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return res, err
	}
	cmd.Stdout = logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	// The debug exporter's lines count what reached it.
	var debugCount atomic.Int64
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(io.TeeReader(stderr, logFile))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := debugRecords.FindSubmatch(sc.Bytes()); m != nil {
				n, _ := strconv.ParseInt(string(m[1]), 10, 64)
				debugCount.Add(n)
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { <-logDone; exited <- cmd.Wait() }()

	delivered := func() int64 {
		if spec.Pipe.Exporter == "sumologic" {
			return t.sink.Stats().Lines
		}
		return debugCount.Load()
	}
	var profileDone chan error
	if spec.Pprof != "" {
		profileDone = make(chan error, 1)
		go func() { profileDone <- fetchProfile(pprofPort, spec.ProfileSeconds, spec.Pprof) }()
	}

	// Done when the expected count arrived (or, for the receiver, when the
	// count equals the rows the simulator served and nothing moved for a
	// while: a backfill ends with a short page and then silence).
	deadline := time.Now().Add(spec.Timeout)
	var last int64 = -1
	lastChange := time.Now()
	var doneAt time.Time
	for doneAt.IsZero() {
		select {
		case err := <-exited:
			return res, fmt.Errorf("collector exited early (%v); see %s", err, logFile.Name())
		case <-time.After(100 * time.Millisecond):
		}
		n := delivered()
		if n != last {
			last, lastChange = n, time.Now()
		}
		switch {
		case spec.Expect > 0 && n >= spec.Expect:
			doneAt = lastChange
		case spec.Expect == 0 && n > 0 && n == t.graphRowsServed() && time.Since(lastChange) > 2*time.Second:
			doneAt = lastChange
		case time.Now().After(deadline):
			_ = cmd.Process.Kill()
			return res, fmt.Errorf("timed out with %d rows delivered; see %s", n, logFile.Name())
		}
	}
	if profileDone != nil {
		if err := <-profileDone; err != nil {
			fmt.Fprintf(os.Stderr, "profile: %v\n", err)
		}
	}
	// The peak RSS of the collector itself: rusage's Maxrss of a child also
	// counts the harness's memory the child shared between fork and exec.
	hwm := vmHWM(cmd.Process.Pid)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	simCPU := selfCPU() - simCPU0
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return res, fmt.Errorf("no rusage")
	}
	c := t.sim.Counters()
	res.Rows = last
	res.WallSeconds = doneAt.Sub(start).Seconds()
	res.UserSeconds = time.Duration(ru.Utime.Nano()).Seconds()
	res.SysSeconds = time.Duration(ru.Stime.Nano()).Seconds()
	res.CPUSeconds = res.UserSeconds + res.SysSeconds
	res.MaxRSSMiB = float64(hwm) / 1024
	res.SimCPU = simCPU.Seconds()
	res.Requests = c.APIRequests
	res.MaxInWindow = c.MaxAPIRequestsInWindow
	res.Throttled = c.Throttled
	return res, nil
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
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
