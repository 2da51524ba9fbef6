package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// start writes the group's config (a tenants file, or one receiver per
// tenant) and starts its collector.
func (g *tenantsGroup) start(o options, to tenantsOptions, sim *simulator.Simulator, sink *countingSink, lookback time.Duration) error {
	if err := os.MkdirAll(g.dir, 0o755); err != nil {
		return err
	}
	g.pprof, g.metrics = freePort(), freePort()
	host := strings.TrimPrefix(sim.HTTPSURL, "https://")
	common := fmt.Sprintf(`    api: graph
    client_id: %s
    client_secret: %s
    authority_host: https://%s
    endpoint: https://%s/v1.0
    tls:
      ca_file: %s
    initial_lookback: %s
    delay: %s
    settle: 0s
    poll_interval: %s
    body_format: json
    storage: file_storage
`, simulator.DefaultClientID, simulator.DefaultClientSecret, host, host, sim.CAFile, lookback, to.delay, to.poll)
	var recv strings.Builder
	var names []string
	if g.run.Separate {
		for i, t := range g.tenants {
			name := fmt.Sprintf("exchange_message_trace/t%04d", i+1)
			names = append(names, name)
			fmt.Fprintf(&recv, "  %s:\n    tenant_id: %s\n%s", name, t.ID(), common)
		}
	} else {
		file := filepath.Join(g.dir, "tenants.yaml")
		var b strings.Builder
		b.WriteString("tenants:\n")
		for _, t := range g.tenants {
			fmt.Fprintf(&b, "  - tenant_id: %s\n    resource_attributes: {_sourceCategory: bench/%s}\n", t.ID(), t.Domain())
		}
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			return err
		}
		names = []string{"exchange_message_trace"}
		fmt.Fprintf(&recv, "  exchange_message_trace:\n    tenants_file: %s\n", file)
		if to.maxConcurrent > 0 {
			fmt.Fprintf(&recv, "    max_concurrent_tenants: %d\n", to.maxConcurrent)
		}
		recv.WriteString(common)
	}
	cfg := fmt.Sprintf(`extensions:
  file_storage:
    directory: %s
    create_directory: true
  pprof:
    endpoint: 127.0.0.1:%d
receivers:
%sexporters:
  sumologic:
    endpoint: %s
    log_format: text
    sending_queue:
      enabled: false
service:
  extensions: [file_storage, pprof]
  pipelines:
    logs:
      receivers: [%s]
      exporters: [sumologic]
  telemetry:
    logs:
      level: info
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
`, filepath.Join(g.dir, "storage"), g.pprof, recv.String(), sink.URL, strings.Join(names, ", "), g.metrics)
	path := filepath.Join(g.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return err
	}
	p, err := startCollectorProcess(o.bin, path, filepath.Join(g.dir, "collector.log"))
	if err != nil {
		return err
	}
	g.proc = p
	return nil
}

// profiles takes a heap profile and a CPU profile of the running
// collector and keeps pprof's top lists.
func (g *tenantsGroup) profiles(o options, to tenantsOptions) {
	heap := filepath.Join(g.dir, "heap.pprof")
	if err := fetchURL(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap", g.pprof), heap, 30*time.Second); err != nil {
		logf("  heap profile: %v", err)
	} else if top, err := exec.Command("go", "tool", "pprof", "-top", "-sample_index=inuse_space", "-nodecount=25", o.bin, heap).Output(); err == nil {
		g.run.HeapTop = filepath.Join(g.dir, "heap.top.txt")
		_ = os.WriteFile(g.run.HeapTop, top, 0o644)
	}
	cpu := filepath.Join(g.dir, "cpu.pprof")
	if err := fetchProfile(g.pprof, to.profileSeconds, cpu); err != nil {
		logf("  cpu profile: %v", err)
	} else if top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=30", o.bin, cpu).Output(); err == nil {
		g.run.CPUTop = filepath.Join(g.dir, "cpu.top.txt")
		_ = os.WriteFile(g.run.CPUTop, top, 0o644)
	}
}

func fetchURL(u, path string, timeout time.Duration) error {
	c := http.Client{Timeout: timeout}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// worstPollGap reads the collector's Prometheus metrics: the largest
// receiver_exchange_message_trace_poll_gap and how many tenants report one.
func worstPollGap(port int) (worst float64, tenants int, err error) {
	c := http.Client{Timeout: 60 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		// otelcol_receiver_exchange_message_trace_poll_gap_seconds{...} v
		if strings.HasPrefix(line, "#") || !strings.Contains(line, "receiver_exchange_message_trace_poll_gap") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		tenants++
		worst = max(worst, v)
	}
	return worst, tenants, sc.Err()
}

// procCPU is a process's user+system CPU seconds so far (/proc/<pid>/stat).
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command (which may hold spaces) in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}
