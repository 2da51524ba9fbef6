package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// The tenants section (issue 17): one collector over many tenants through
// tenants_file beside today's way, one receiver per tenant in one config,
// against the same many-tenant simulator in the same run and in real time
// (the simulator's clock is the wall clock: the receiver's windows are
// too). See bench/README.md "Many tenants".

// tenantsRun is one collector of the tenants section.
type tenantsRun struct {
	Name     string `json:"name"`
	Tenants  int    `json:"tenants"`
	Separate bool   `json:"separate_receivers"`
	// Poll is the receiver's poll_interval, Delay its delay.
	Poll  string `json:"poll_interval"`
	Delay string `json:"delay"`

	BackfillRows    int64   `json:"backfill_rows"`
	BackfillSeconds float64 `json:"backfill_s"` // start until every tenant had its rows up to the start
	// FloorSeconds is the quota floor of the backfill: the slowest tenant's
	// floor((requests-1)/budget) windows of 5 minutes.
	FloorSeconds     float64 `json:"backfill_floor_s"`
	MaxTenantRequest int64   `json:"max_tenant_backfill_requests"`
	BackfillCPU      float64 `json:"backfill_cpu_s"`

	SteadySeconds float64 `json:"steady_s"`
	SteadyCPU     float64 `json:"steady_cpu_s"`
	SteadyRows    int64   `json:"steady_rows"`
	PeakRSSMiB    float64 `json:"peak_rss_mib"`
	SteadyRSSMiB  float64 `json:"steady_rss_mib"` // mean of the samples in steady state
	LatencyP50    float64 `json:"latency_p50_s"`
	LatencyP99    float64 `json:"latency_p99_s"`
	LatencyMax    float64 `json:"latency_max_s"`
	LatencyRows   int     `json:"latency_rows"`
	// PeakInWindow is the busiest tenant's peak requests in a rolling 5
	// minutes (the simulator's count); SteadyPer5m the mean per tenant in
	// steady state.
	PeakInWindow int     `json:"peak_requests_in_5m"`
	SteadyPer5m  float64 `json:"steady_requests_per_tenant_per_5m"`
	Throttled    int64   `json:"throttled"`
	// WorstGap is the largest receiver_exchange_message_trace_poll_gap seen.
	WorstGapSeconds float64 `json:"worst_poll_gap_s,omitempty"`
	GapSamples      int     `json:"poll_gap_samples,omitempty"`
	// LastIntervalCores is the big run's CPU over its last poll interval
	// (after the start burst): cores used.
	LastIntervalCores float64 `json:"last_interval_cores,omitempty"`
	HeapTop           string  `json:"heap_top,omitempty"`
	CPUTop            string  `json:"cpu_top,omitempty"`
}

// backfillMargin is how much of the oldest part of the lookback the
// backfill check leaves out (see tenantsCompare).
const backfillMargin = 5 * time.Minute

// tenantsGroup is a set of simulated tenants one collector collects.
type tenantsGroup struct {
	run     *tenantsRun
	tenants []*simulator.Tenant
	dir     string
	proc    *collectorProcess
	pprof   int
	metrics int
	stopped bool
}

// tenantsOptions are the section's knobs (flags -tenants-*).
type tenantsOptions struct {
	n, small, big   int
	steady, bigRun  time.Duration
	poll, delay     time.Duration
	lookback        time.Duration
	parts           map[string]bool
	bigLookback     time.Duration
	maxConcurrent   int
	fixedRows       float64
	gapSampleEvery  time.Duration
	profileSeconds  int
	steadyRSSSample time.Duration
}

func tenants(o options, to tenantsOptions, rep *report) error {
	dir := filepath.Join(o.out, "tenants")
	_ = os.RemoveAll(dir)
	if to.parts["compare"] {
		if err := tenantsCompare(o, to, filepath.Join(dir, "compare"), rep); err != nil {
			return err
		}
	}
	if to.parts["big"] {
		if err := tenantsBig(o, to, filepath.Join(dir, "big"), rep); err != nil {
			return err
		}
	}
	return nil
}

// tenantsCompare runs, at the same time against one simulator, the
// tenants_file collector at n and at small tenants and n separate
// receivers, each over its own tenants of the same sizes: a one-day
// backfill, then steady state.
func tenantsCompare(o options, to tenantsOptions, dir string, rep *report) error {
	start := time.Now().UTC()
	model := simulator.ModelConfig{From: start.Add(-to.lookback - time.Hour), DelayedFraction: -1, ChangingFraction: -1}
	spread := simulator.Spread{} // lognormal, 100..1,000,000 rows a day, median 1,000
	if to.fixedRows > 0 {
		spread = simulator.Spread{Kind: "fixed", Max: to.fixedRows}
	}
	sizes, err := simulator.GenerateTenants(to.n, spread, o.seed, model)
	if err != nil {
		return err
	}
	// Three groups of the same sizes: n (tenants_file), n (separate
	// receivers), the first small of them (tenants_file, for the slope).
	var cfgs []simulator.TenantConfig
	for _, count := range []int{to.n, to.n, to.small} {
		cfgs = append(cfgs, sizes[:count]...)
	}
	sim, err := simulator.Start(simulator.Config{Seed: o.seed, CertDir: filepath.Join(dir, "sim"), Tenants: cfgs,
		Model: simulator.ModelConfig{RowsPerDay: 0, From: model.From, DelayedFraction: -1, ChangingFraction: -1}})
	if err != nil {
		return err
	}
	defer sim.Close()
	sink, err := startCountingSink()
	if err != nil {
		return err
	}
	defer sink.close()
	all := sim.Tenants()[1:]
	sizeNote := "lognormal sizes"
	if to.fixedRows > 0 {
		sizeNote = fmt.Sprintf("%.0f rows/day each", to.fixedRows)
	}
	groups := []*tenantsGroup{
		{run: &tenantsRun{Name: fmt.Sprintf("%d tenants, tenants_file (%s)", to.n, sizeNote), Tenants: to.n}, tenants: all[:to.n]},
		{run: &tenantsRun{Name: fmt.Sprintf("%d separate receivers (%s)", to.n, sizeNote), Tenants: to.n, Separate: true}, tenants: all[to.n : 2*to.n]},
		{run: &tenantsRun{Name: fmt.Sprintf("%d tenants, tenants_file (%s)", to.small, sizeNote), Tenants: to.small}, tenants: all[2*to.n:]},
	}
	var total float64
	for _, c := range cfgs {
		total += c.Model.RowsPerDay
	}
	logf("tenants: %d simulated tenants (%.0f rows/day in all), lookback %s, poll %s, delay %s", len(cfgs), total, to.lookback, to.poll, to.delay)
	for i, g := range groups {
		g.dir = filepath.Join(dir, fmt.Sprintf("run%d", i))
		g.run.Poll, g.run.Delay = to.poll.String(), to.delay.String()
		if err := g.start(o, to, sim, sink, to.lookback); err != nil {
			return err
		}
		defer g.kill()
	}
	// Backfill: every tenant has its rows up to the start.
	want := map[string]int64{}
	for _, g := range groups {
		for _, t := range g.tenants {
			// Up to now - delay, what the first poll reads. A tenant's
			// initial_lookback counts from its own first poll, which
			// waits for a slot (max_concurrent_tenants): up to minutes
			// after the start. Hence a margin of backfillMargin (the
			// counts include live rows: this is the backfill to within it).
			n := int64(t.TruthCount(start.Add(-to.lookback+backfillMargin), start.Add(-to.delay)))
			want[strings.ToLower(t.ID())] = n
			g.run.BackfillRows += n
		}
	}
	pending := slices.Clone(groups)
	deadline := time.Now().Add(to.lookback/24*2 + 40*time.Minute)
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("backfill not done after %s", time.Since(start))
		}
		time.Sleep(time.Second)
		got, _ := sink.snapshot()
		for _, g := range slices.Clone(pending) {
			if !g.backfilled(got, want) {
				continue
			}
			g.run.BackfillSeconds = time.Since(g.proc.started).Seconds()
			g.run.BackfillCPU = procCPU(g.proc.cmd.Process.Pid)
			for _, t := range g.tenants {
				g.run.MaxTenantRequest = max(g.run.MaxTenantRequest, t.Counters().APIRequests)
			}
			budget := 80.0
			g.run.FloorSeconds = math.Floor(float64(g.run.MaxTenantRequest-1)/budget) * 300
			logf("  %s: backfill of %d rows in %.0f s (quota floor %.0f s; busiest tenant %d requests), %.1f CPU-s, rss %.0f MiB",
				g.run.Name, g.run.BackfillRows, g.run.BackfillSeconds, g.run.FloorSeconds, g.run.MaxTenantRequest, g.run.BackfillCPU, float64(vmHWM(g.proc.cmd.Process.Pid))/1024)
			pending = slices.DeleteFunc(pending, func(x *tenantsGroup) bool { return x == g })
		}
	}
	// Steady state, from when every collector caught up.
	steadyFrom := time.Now().UTC()
	sink.measureFrom(steadyFrom.Add(-to.delay))
	_, lines0 := sink.snapshot()
	cpu0 := map[*tenantsGroup]float64{}
	req0 := map[*tenantsGroup]int64{}
	rss := map[*tenantsGroup][]float64{}
	for _, g := range groups {
		cpu0[g] = procCPU(g.proc.cmd.Process.Pid)
		req0[g] = groupRequests(g.tenants)
	}
	logf("tenants: steady state for %s (from %s)", to.steady, steadyFrom.Format(time.TimeOnly))
	for time.Since(steadyFrom) < to.steady {
		time.Sleep(to.steadyRSSSample)
		for _, g := range groups {
			rss[g] = append(rss[g], float64(vmRSS(g.proc.cmd.Process.Pid))/1024)
		}
		logf("  %s: load %s; rss %v MiB", time.Since(steadyFrom).Round(time.Second), loadAvg(), lastOf(rss, groups))
	}
	steady := time.Since(steadyFrom)
	_, lines1 := sink.snapshot()
	for _, g := range groups[:1] {
		g.profiles(o, to)
	}
	for _, g := range groups {
		r := g.run
		pid := g.proc.cmd.Process.Pid
		r.SteadySeconds = steady.Seconds()
		r.SteadyCPU = procCPU(pid) - cpu0[g]
		r.SteadyRSSMiB = mean(rss[g])
		r.PeakRSSMiB = float64(vmHWM(pid)) / 1024
		r.SteadyPer5m = float64(groupRequests(g.tenants)-req0[g]) / float64(len(g.tenants)) / (steady.Minutes() / 5)
		for _, t := range g.tenants {
			c := t.Counters()
			r.PeakInWindow = max(r.PeakInWindow, c.MaxAPIRequestsInWindow)
			r.Throttled += c.Throttled
		}
		if err := g.stop(); err != nil {
			return err
		}
	}
	for _, g := range groups {
		lat := sink.latenciesOf(tenantIDs(g.tenants))
		g.run.LatencyP50, g.run.LatencyP99, g.run.LatencyMax = quantiles(lat)
		g.run.LatencyRows = len(lat)
		g.run.SteadyRows = int64(len(lat))
		rep.Tenants = append(rep.Tenants, *g.run)
		logf("  %s: latency p50 %.1f s p99 %.1f s max %.1f s over %d rows", g.run.Name, g.run.LatencyP50, g.run.LatencyP99, g.run.LatencyMax, g.run.LatencyRows)
		logf("  %s: steady %.0f s: cpu %.1f s, rss %.0f MiB (peak %.0f), %.2f requests/tenant/5m (peak %d in 5m), %d throttled",
			g.run.Name, g.run.SteadySeconds, g.run.SteadyCPU, g.run.SteadyRSSMiB, g.run.PeakRSSMiB, g.run.SteadyPer5m, g.run.PeakInWindow, g.run.Throttled)
	}
	logf("  all groups: %d lines in steady state", lines1-lines0)
	return nil
}

// tenantsBig runs the tenants_file collector over big tenants at the
// default poll interval and delay, sampling every tenant's poll gap.
func tenantsBig(o options, to tenantsOptions, dir string, rep *report) error {
	start := time.Now().UTC()
	model := simulator.ModelConfig{From: start.Add(-to.bigLookback - time.Hour), DelayedFraction: -1, ChangingFraction: -1}
	cfgs, err := simulator.GenerateTenants(to.big, simulator.Spread{}, o.seed+1, model)
	if err != nil {
		return err
	}
	sim, err := simulator.Start(simulator.Config{Seed: o.seed + 1, CertDir: filepath.Join(dir, "sim"), Tenants: cfgs,
		Model: simulator.ModelConfig{RowsPerDay: 0, From: model.From, DelayedFraction: -1, ChangingFraction: -1}})
	if err != nil {
		return err
	}
	defer sim.Close()
	sink, err := startCountingSink()
	if err != nil {
		return err
	}
	defer sink.close()
	g := &tenantsGroup{run: &tenantsRun{Name: fmt.Sprintf("%d tenants, tenants_file, poll_interval 5m", to.big), Tenants: to.big,
		Poll: "5m0s", Delay: "5m0s"}, tenants: sim.Tenants()[1:], dir: filepath.Join(dir, "run")}
	big := to
	big.poll, big.delay = 5*time.Minute, 5*time.Minute
	if err := g.start(o, big, sim, sink, to.bigLookback); err != nil {
		return err
	}
	defer g.kill()
	pid := g.proc.cmd.Process.Pid
	// Two poll intervals after the start burst show every tenant's gap.
	var rss []float64
	type sample struct {
		at  time.Time
		cpu float64
	}
	var cpus []sample
	cpu0, t0 := procCPU(pid), time.Now()
	for time.Since(g.proc.started) < to.bigRun {
		time.Sleep(to.gapSampleEvery)
		worst, n, err := worstPollGap(g.metrics)
		if err != nil {
			logf("  poll gap: %v", err)
		}
		g.run.WorstGapSeconds = max(g.run.WorstGapSeconds, worst)
		g.run.GapSamples = max(g.run.GapSamples, n)
		rss = append(rss, float64(vmRSS(pid))/1024)
		cpus = append(cpus, sample{time.Now(), procCPU(pid)})
		_, lines := sink.snapshot()
		logf("  %s: load %s; rss %.0f MiB, cpu %.1f s, %d lines, worst poll gap %.0f s over %d tenants",
			time.Since(g.proc.started).Round(time.Second), loadAvg(), rss[len(rss)-1], procCPU(pid), lines, g.run.WorstGapSeconds, n)
	}
	g.profiles(o, to)
	r := g.run
	r.SteadySeconds = time.Since(t0).Seconds()
	r.SteadyCPU = procCPU(pid) - cpu0
	r.PeakRSSMiB = float64(vmHWM(pid)) / 1024
	r.SteadyRSSMiB = mean(rss[len(rss)/2:])
	if last := cpus[len(cpus)-1]; len(cpus) > 1 {
		first := cpus[0]
		for _, c := range cpus {
			if last.at.Sub(c.at) >= big.poll {
				first = c
			}
		}
		r.LastIntervalCores = (last.cpu - first.cpu) / last.at.Sub(first.at).Seconds()
	}
	for _, t := range g.tenants {
		c := t.Counters()
		r.PeakInWindow = max(r.PeakInWindow, c.MaxAPIRequestsInWindow)
		r.Throttled += c.Throttled
	}
	if err := g.stop(); err != nil {
		return err
	}
	rep.Tenants = append(rep.Tenants, *r)
	logf("  %s: last poll interval %.3f cores", r.Name, r.LastIntervalCores)
	logf("  %s: %.0f s: cpu %.1f s (%.2f cores), rss %.0f MiB (peak %.0f), worst poll gap %.0f s",
		r.Name, r.SteadySeconds, r.SteadyCPU, r.SteadyCPU/r.SteadySeconds, r.SteadyRSSMiB, r.PeakRSSMiB, r.WorstGapSeconds)
	return nil
}

// stop ends the collector once (SIGTERM); kill ends it if a failure left
// it running.
func (g *tenantsGroup) stop() error {
	if g.stopped {
		return nil
	}
	g.stopped = true
	_, err := g.proc.stop()
	return err
}

func (g *tenantsGroup) kill() {
	if g.proc != nil && !g.stopped {
		_ = g.stop()
	}
}

func (g *tenantsGroup) backfilled(got, want map[string]int64) bool {
	for _, t := range g.tenants {
		id := strings.ToLower(t.ID())
		if got[id] < want[id] {
			return false
		}
	}
	return true
}

func tenantIDs(ts []*simulator.Tenant) []string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID()
	}
	return ids
}

func groupRequests(ts []*simulator.Tenant) int64 {
	var n int64
	for _, t := range ts {
		n += t.Counters().APIRequests
	}
	return n
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func lastOf(m map[*tenantsGroup][]float64, gs []*tenantsGroup) []string {
	var out []string
	for _, g := range gs {
		if v := m[g]; len(v) > 0 {
			out = append(out, fmt.Sprintf("%.0f", v[len(v)-1]))
		}
	}
	return out
}

func quantiles(d []time.Duration) (p50, p99, mx float64) {
	if len(d) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s := slices.Clone(d)
	slices.Sort(s)
	q := func(f float64) float64 { return s[min(len(s)-1, int(f*float64(len(s))))].Seconds() }
	return q(0.5), q(0.99), s[len(s)-1].Seconds()
}

// loadAvg is the machine's load average (the machine is shared).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// tenantsMarkdown is the section's summary: one row per collector, then
// the slope and the ratios the targets are about.
func tenantsMarkdown(runs []tenantsRun) string {
	var b strings.Builder
	b.WriteString("\n## Many tenants (real time; load average at the end: " + loadAvg() + ")\n\n")
	b.WriteString("| collector | tenants | poll | backfill rows | backfill s | quota floor s | backfill CPU-s | steady s | steady CPU-s | CPU cores | steady RSS MiB | peak RSS MiB | latency p50 / p99 / max s | requests per tenant per 5m (peak) | throttled | worst poll gap s |\n")
	b.WriteString("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |\n")
	for _, r := range runs {
		gap := ""
		if r.GapSamples > 0 {
			gap = fmt.Sprintf("%.0f (%d tenants)", r.WorstGapSeconds, r.GapSamples)
		}
		if r.LastIntervalCores > 0 {
			gap += fmt.Sprintf("; last poll interval %.3f cores", r.LastIntervalCores)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %.0f | %.0f | %.1f | %.0f | %.1f | %.3f | %.0f | %.0f | %.1f / %.1f / %.1f (%d rows) | %.2f (%d) | %d | %s |\n",
			r.Name, r.Tenants, r.Poll, r.BackfillRows, r.BackfillSeconds, r.FloorSeconds, r.BackfillCPU, r.SteadySeconds, r.SteadyCPU,
			r.SteadyCPU/r.SteadySeconds, r.SteadyRSSMiB, r.PeakRSSMiB, r.LatencyP50, r.LatencyP99, r.LatencyMax, r.LatencyRows,
			r.SteadyPer5m, r.PeakInWindow, r.Throttled, gap)
	}
	var one, small, sep *tenantsRun
	for i := range runs {
		r := &runs[i]
		switch {
		case r.Separate:
			sep = r
		case r.GapSamples > 0:
		case one == nil || r.Tenants > one.Tenants:
			if one != nil {
				small = one
			}
			one = r
		default:
			small = r
		}
	}
	if one != nil && small != nil && one.Tenants > small.Tenants {
		slope := (one.SteadyRSSMiB - small.SteadyRSSMiB) * 1024 / float64(one.Tenants-small.Tenants)
		fmt.Fprintf(&b, "\nMemory per tenant (steady RSS slope %d → %d tenants): **%.0f KiB**.\n", small.Tenants, one.Tenants, slope)
	}
	if one != nil && sep != nil {
		fmt.Fprintf(&b, "tenants_file vs separate receivers, %d tenants: steady CPU %.1f vs %.1f CPU-s (%.2f×), steady RSS %.0f vs %.0f MiB, peak RSS %.0f vs %.0f MiB, backfill %.0f vs %.0f s.\n",
			one.Tenants, one.SteadyCPU, sep.SteadyCPU, one.SteadyCPU/sep.SteadyCPU, one.SteadyRSSMiB, sep.SteadyRSSMiB, one.PeakRSSMiB, sep.PeakRSSMiB, one.BackfillSeconds, sep.BackfillSeconds)
	}
	for _, r := range runs {
		if r.HeapTop != "" || r.CPUTop != "" {
			fmt.Fprintf(&b, "\nprofiles of %s: %s %s\n", r.Name, r.HeapTop, r.CPUTop)
		}
	}
	return b.String()
}
