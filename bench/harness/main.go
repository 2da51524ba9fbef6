// Command harness measures the whole collector binary against the simulator:
// throughput and CPU of the exchange_message_trace receiver beside the
// filelog baseline, peak RSS over growing backfills, request counts and the
// request budget's pacing. See bench/README.md; bench/run.sh runs it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type options struct {
	bin        string
	out        string
	runs       int
	memRuns    int
	rowsPerDay float64
	memDays    []float64
	sections   map[string]bool
	seed       uint64
	pacingRows float64
	only       string
	maxWindow  time.Duration
	tenants    tenantsOptions
}

func main() {
	var o options
	var sections, memDays string
	flag.StringVar(&o.bin, "bin", "bench/out/bin/otelcol-messagetrace", "collector binary")
	flag.StringVar(&o.out, "out", "bench/out", "directory for raw outputs")
	flag.IntVar(&o.runs, "runs", 3, "runs of each throughput scenario (medians are reported)")
	flag.IntVar(&o.memRuns, "mem-runs", 3, "runs of each memory scenario")
	flag.Float64Var(&o.rowsPerDay, "rows-per-day", 1e6, "tenant rows per day")
	flag.StringVar(&memDays, "mem-days", "1,10,30", "backfill lengths (days) of the memory section")
	flag.StringVar(&sections, "sections", "throughput,memory,pacing,profile", "sections to run (and tenants)")
	flag.Uint64Var(&o.seed, "seed", 7, "simulator seed")
	flag.DurationVar(&o.maxWindow, "max-window", 24*time.Hour, "receiver max_window (the default config's)")
	flag.StringVar(&o.only, "only", "", "run only the throughput pipelines whose name contains one of these (comma-separated)")
	flag.Float64Var(&o.pacingRows, "pacing-rows-per-day", 45000, "rows per day of the 10-day pacing run (about 90 requests)")
	var tenantParts string
	t := &o.tenants
	flag.IntVar(&t.n, "tenants-n", 1000, "tenants section: tenants of the tenants_file collector and of the separate receivers")
	flag.IntVar(&t.small, "tenants-small", 100, "tenants section: tenants of the smaller tenants_file collector (memory slope)")
	flag.IntVar(&t.big, "tenants-big", 10000, "tenants section: tenants of the run at the default poll interval")
	flag.DurationVar(&t.steady, "tenants-steady", 10*time.Minute, "tenants section: steady state after the backfill")
	flag.DurationVar(&t.bigRun, "tenants-big-run", 13*time.Minute, "tenants section: length of the big run (two poll intervals after the start burst)")
	flag.DurationVar(&t.poll, "tenants-poll", 30*time.Second, "tenants section: poll_interval of the comparison")
	flag.DurationVar(&t.delay, "tenants-delay", 30*time.Second, "tenants section: delay of the comparison")
	flag.DurationVar(&t.lookback, "tenants-lookback", 24*time.Hour, "tenants section: backfill (initial_lookback) of the comparison")
	flag.DurationVar(&t.bigLookback, "tenants-big-lookback", 15*time.Minute, "tenants section: backfill of the big run")
	flag.Float64Var(&t.fixedRows, "tenants-fixed-rows", 0, "tenants section: every tenant of the comparison this many rows a day (0: lognormal 100..1,000,000, median 1,000)")
	flag.IntVar(&t.maxConcurrent, "tenants-max-concurrent", 0, "tenants section: max_concurrent_tenants (0: the default)")
	flag.DurationVar(&t.gapSampleEvery, "tenants-gap-every", time.Minute, "tenants section: how often the big run reads the poll gaps")
	flag.DurationVar(&t.steadyRSSSample, "tenants-rss-every", 30*time.Second, "tenants section: how often steady state samples RSS")
	flag.IntVar(&t.profileSeconds, "tenants-profile-seconds", 30, "tenants section: CPU profile length at the end of steady state")
	flag.StringVar(&tenantParts, "tenants-parts", "compare,big", "tenants section: compare (n vs small vs separate receivers), big")
	flag.Parse()
	t.parts = map[string]bool{}
	for _, s := range strings.Split(tenantParts, ",") {
		t.parts[strings.TrimSpace(s)] = true
	}
	maxWindow = o.maxWindow
	o.sections = map[string]bool{}
	for _, s := range strings.Split(sections, ",") {
		o.sections[strings.TrimSpace(s)] = true
	}
	for _, s := range strings.Split(memDays, ",") {
		d, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			fatal(err)
		}
		o.memDays = append(o.memDays, d)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fatal(err)
	}
	report := &report{started: time.Now().UTC()}
	if o.sections["throughput"] {
		check(throughput(o, report))
	}
	if o.sections["memory"] {
		check(memory(o, report))
	}
	if o.sections["pacing"] {
		check(pacing(o, report))
	}
	if o.sections["profile"] {
		check(profile(o, report))
	}
	if o.sections["tenants"] {
		check(tenants(o, o.tenants, report))
	}
	summary := report.markdown(o)
	fmt.Print(summary)
	check(os.WriteFile(filepath.Join(o.out, "summary.md"), []byte(summary), 0o644))
	raw, _ := json.MarshalIndent(report, "", "  ")
	check(os.WriteFile(filepath.Join(o.out, "results.json"), raw, 0o644))
}

func check(err error) {
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "harness:", err)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().UTC().Format("15:04:05 ")+format+"\n", args...)
}

// throughputPipelines are issue 9's four filelog rows and our receiver in
// both body formats, to the debug exporter (the receiver alone) and to the
// Sumo Logic exporter (end to end).
var throughputPipelines = []pipeline{
	{Source: "filelog", Exporter: "debug"},
	{Source: "filelog", JSONParser: true, Exporter: "debug"},
	{Source: "filelog", Exporter: "sumologic"},
	{Source: "filelog", JSONParser: true, Exporter: "sumologic"},
	{Source: "receiver", BodyFormat: "json", Exporter: "debug", PageSize: 5000},
	{Source: "receiver", BodyFormat: "map", Exporter: "debug", PageSize: 5000},
	{Source: "receiver", BodyFormat: "json", Exporter: "sumologic", PageSize: 5000},
	{Source: "receiver", BodyFormat: "map", Exporter: "sumologic", PageSize: 5000},
	// What the shipped configs' `fsync: true` costs, at their page size
	// (the default, 5000): -only 'json → sumologic' runs this pair alone,
	// interleaved with the line above.
	{Source: "receiver", BodyFormat: "json", Exporter: "sumologic", PageSize: 5000, FSync: true},
	// ... and at page_size 500, ten times the checkpoints (and syncs) per row.
	{Source: "receiver", BodyFormat: "json", Exporter: "sumologic", PageSize: 500},
	{Source: "receiver", BodyFormat: "json", Exporter: "sumologic", PageSize: 500, FSync: true},
}

func throughput(o options, rep *report) error {
	dir := filepath.Join(o.out, "throughput")
	_ = os.RemoveAll(dir)
	t, err := startTenant(o.seed, 1, o.rowsPerDay, -1, filepath.Join(dir, "sim"))
	if err != nil {
		return err
	}
	defer t.close()
	file := filepath.Join(dir, "rows.jsonl")
	rows, err := t.writeTruth(file)
	if err != nil {
		return err
	}
	st, _ := os.Stat(file)
	rep.TruthRows, rep.TruthBytes = rows, st.Size()
	logf("throughput: %d rows (%.0f bytes each) in %s", rows, float64(st.Size())/float64(rows), file)
	for run := range o.runs {
		// Interleaved, so that a slow minute of the shared machine spreads
		// over every scenario instead of hitting one.
		for i, p := range throughputPipelines {
			if !selected(p.name(), o.only) {
				continue
			}
			spec := runSpec{Pipe: p, Lookback: time.Since(t.from) + 5*time.Minute, File: file, Expect: rows,
				Dir: filepath.Join(dir, fmt.Sprintf("run%d-%d", run, i)), Timeout: 10 * time.Minute}
			res, err := runCollector(o.bin, spec, t)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name(), err)
			}
			logf("  %-60s rows %d  wall %.1fs  cpu %.2fs  rss %.0f MiB  sim %.1fs  requests %d",
				res.Name, res.Rows, res.WallSeconds, res.CPUSeconds, res.MaxRSSMiB, res.SimCPU, res.Requests)
			rep.Throughput = append(rep.Throughput, res)
		}
	}
	return nil
}

func memory(o options, rep *report) error {
	for _, days := range o.memDays {
		dir := filepath.Join(o.out, fmt.Sprintf("memory-%gd", days))
		_ = os.RemoveAll(dir)
		t, err := startTenant(o.seed, days, o.rowsPerDay, -1, filepath.Join(dir, "sim"))
		if err != nil {
			return err
		}
		for run := range o.memRuns {
			p := pipeline{Source: "receiver", BodyFormat: "json", Exporter: "debug", PageSize: 5000}
			spec := runSpec{Pipe: p, Lookback: time.Since(t.from) + 5*time.Minute,
				Dir: filepath.Join(dir, fmt.Sprintf("run%d", run)), Timeout: time.Duration(days*4+5) * time.Minute}
			res, err := runCollector(o.bin, spec, t)
			if err != nil {
				t.close()
				return fmt.Errorf("memory %g days: %w", days, err)
			}
			res.Name = fmt.Sprintf("%g days", days)
			logf("memory %g days: rows %d  wall %.1fs  cpu %.2fs  rss %.0f MiB  requests %d",
				days, res.Rows, res.WallSeconds, res.CPUSeconds, res.MaxRSSMiB, res.Requests)
			rep.Memory = append(rep.Memory, res)
		}
		t.close()
	}
	return nil
}

// pacing backfills 10 days of a small tenant under Microsoft's real quota
// (100 per rolling 5 minutes) with the receiver's default budget (80): the
// requests past the 80th must wait for the window, and none may be refused.
func pacing(o options, rep *report) error {
	dir := filepath.Join(o.out, "pacing")
	_ = os.RemoveAll(dir)
	t, err := startTenant(o.seed, 10, o.pacingRows, 0, filepath.Join(dir, "sim"))
	if err != nil {
		return err
	}
	defer t.close()
	p := pipeline{Source: "receiver", BodyFormat: "json", Exporter: "debug", PageSize: 5000, MaxRequestsPer5m: 80}
	// The backfill pauses for minutes between requests: only the row count
	// tells it is over.
	rows := int64(len(t.sim.Truth(t.from.Add(-time.Minute), t.to.Add(time.Minute))))
	spec := runSpec{Pipe: p, Lookback: time.Since(t.from) + 5*time.Minute, Expect: rows, Dir: filepath.Join(dir, "run"), Timeout: 20 * time.Minute}
	res, err := runCollector(o.bin, spec, t)
	if err != nil {
		return err
	}
	res.Name = "pacing"
	logf("pacing: rows %d  requests %d  wall %.1fs  max in window %d  throttled %d", res.Rows, res.Requests, res.WallSeconds, res.MaxInWindow, res.Throttled)
	rep.Pacing = &res
	return nil
}

// profile takes a CPU profile of the collector during a backfill for each
// receiver pipeline, and writes pprof's top list beside it.
func profile(o options, rep *report) error {
	dir := filepath.Join(o.out, "profile")
	_ = os.RemoveAll(dir)
	t, err := startTenant(o.seed, 1, o.rowsPerDay, -1, filepath.Join(dir, "sim"))
	if err != nil {
		return err
	}
	defer t.close()
	for i, p := range throughputPipelines {
		if p.Source != "receiver" || !selected(p.name(), o.only) {
			continue
		}
		name := fmt.Sprintf("%s-%s", p.BodyFormat, p.Exporter)
		prof := filepath.Join(dir, name+".pprof")
		spec := runSpec{Pipe: p, Lookback: time.Since(t.from) + 5*time.Minute, Pprof: prof, ProfileSeconds: 20,
			Dir: filepath.Join(dir, fmt.Sprintf("run-%d", i)), Timeout: 10 * time.Minute}
		if _, err := runCollector(o.bin, spec, t); err != nil {
			return err
		}
		top, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=35", o.bin, prof).Output()
		if err != nil {
			return fmt.Errorf("pprof %s: %w", prof, err)
		}
		cum, _ := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=35", o.bin, prof).Output()
		_ = os.WriteFile(filepath.Join(dir, name+".top.txt"), append(top, cum...), 0o644)
		rep.Profiles = append(rep.Profiles, filepath.Join(dir, name+".top.txt"))
		logf("profile %s: %s", name, filepath.Join(dir, name+".top.txt"))
	}
	return nil
}

// report holds every run; the summary shows medians.
type report struct {
	started    time.Time
	TruthRows  int64        `json:"truth_rows"`
	TruthBytes int64        `json:"truth_bytes"`
	Throughput []runResult  `json:"throughput"`
	Memory     []runResult  `json:"memory"`
	Pacing     *runResult   `json:"pacing,omitempty"`
	Profiles   []string     `json:"profiles,omitempty"`
	Tenants    []tenantsRun `json:"tenants,omitempty"`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medians groups runs by name and returns, in first-seen order, the median
// of f over each group.
func medians(runs []runResult, f func(runResult) float64) (names []string, med map[string]float64, n map[string]int) {
	vals := map[string][]float64{}
	for _, r := range runs {
		if _, ok := vals[r.Name]; !ok {
			names = append(names, r.Name)
		}
		vals[r.Name] = append(vals[r.Name], f(r))
	}
	med, n = map[string]float64{}, map[string]int{}
	for k, v := range vals {
		med[k], n[k] = median(v), len(v)
	}
	return names, med, n
}

// issue9 is the table of issue 9 (CPU seconds per 1M rows, measured
// elsewhere), keyed by our pipeline names.
var issue9 = map[string]float64{
	pipeline{Source: "filelog", Exporter: "debug"}.name():                       1.9,
	pipeline{Source: "filelog", JSONParser: true, Exporter: "debug"}.name():     7.4,
	pipeline{Source: "filelog", Exporter: "sumologic"}.name():                   11.6,
	pipeline{Source: "filelog", JSONParser: true, Exporter: "sumologic"}.name(): 22.5,
}

func (r *report) markdown(o options) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# Benchmark summary (%s, host %s)\n\n", r.started.Format(time.RFC3339), host)
	if len(r.Throughput) > 0 {
		names, cpu, n := medians(r.Throughput, runResult.cpuPerMillion)
		_, rps, _ := medians(r.Throughput, runResult.rowsPerSecond)
		_, rss, _ := medians(r.Throughput, func(x runResult) float64 { return x.MaxRSSMiB })
		_, sim, _ := medians(r.Throughput, func(x runResult) float64 { return x.SimCPU / float64(x.Rows) * 1e6 })
		_, user, _ := medians(r.Throughput, func(x runResult) float64 { return x.UserSeconds / float64(x.Rows) * 1e6 })
		_, sys, _ := medians(r.Throughput, func(x runResult) float64 { return x.SysSeconds / float64(x.Rows) * 1e6 })
		_, rows, _ := medians(r.Throughput, func(x runResult) float64 { return float64(x.Rows) })
		fmt.Fprintf(&b, "## Throughput: %d rows (%.0f bytes each as JSON lines), medians of %d runs\n\n", r.TruthRows, float64(r.TruthBytes)/float64(r.TruthRows), o.runs)
		b.WriteString("| pipeline | rows | collector CPU-s per 1M rows (user+sys) | user | sys | issue 9 | rows/s (wall) | peak RSS MiB | simulator+sink CPU-s per 1M | runs |\n")
		b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, k := range names {
			ref := ""
			if v, ok := issue9[k]; ok {
				ref = fmt.Sprintf("%.1f", v)
			}
			fmt.Fprintf(&b, "| %s | %.0f | **%.2f** | %.2f | %.2f | %s | %.0f | %.0f | %.2f | %d |\n", k, rows[k], cpu[k], user[k], sys[k], ref, rps[k], rss[k], sim[k], n[k])
		}
		fj := cpu[pipeline{Source: "filelog", JSONParser: true, Exporter: "sumologic"}.name()]
		fjd := cpu[pipeline{Source: "filelog", JSONParser: true, Exporter: "debug"}.name()]
		b.WriteString("\nRatios (filelog + json_parser CPU / ours, same exporter):\n\n")
		for _, p := range throughputPipelines {
			if p.Source != "receiver" {
				continue
			}
			base := fj
			if p.Exporter == "debug" {
				base = fjd
			}
			fmt.Fprintf(&b, "- %s: %.2f CPU-s per 1M, %.2f× better than filelog + json_parser → %s\n", p.name(), cpu[p.name()], base/cpu[p.name()], p.Exporter)
		}
		// Quota: requests per 100k rows at the default page size.
		for _, x := range r.Throughput {
			if x.Name == (pipeline{Source: "receiver", BodyFormat: "json", Exporter: "sumologic"}.name()) {
				floor := math.Ceil(float64(x.Rows) / 5000)
				fmt.Fprintf(&b, "\n## Quota\n\nOne backfill of %d rows at page_size 5000: %d API requests = %.2f per 100,000 rows (floor ceil(rows/5000) = %.0f requests = %.2f per 100,000).\n",
					x.Rows, x.Requests, float64(x.Requests)/float64(x.Rows)*1e5, floor, floor/float64(x.Rows)*1e5)
				perRow := float64(x.Requests) / float64(x.Rows)
				req10 := math.Ceil(perRow * 10e6)
				floor10 := math.Ceil(10e6 / 5000)
				fmt.Fprintf(&b, "10 days of 1,000,000 rows/day: %.0f requests (floor %.0f). Under 100 per rolling 5 min the floor is %.0f min (last request at floor((n-1)/100)×5 min); with max_requests_per_5m 80: %.0f min.\n",
					req10, floor10, math.Floor((floor10-1)/100)*5, math.Floor((req10-1)/80)*5)
				break
			}
		}
	}
	if len(r.Memory) > 0 {
		names, rss, n := medians(r.Memory, func(x runResult) float64 { return x.MaxRSSMiB })
		_, rows, _ := medians(r.Memory, func(x runResult) float64 { return float64(x.Rows) })
		_, cpu, _ := medians(r.Memory, runResult.cpuPerMillion)
		_, wall, _ := medians(r.Memory, func(x runResult) float64 { return x.WallSeconds })
		b.WriteString("\n## Memory: peak RSS of a backfill (receiver, body_format json, debug exporter)\n\n")
		b.WriteString("| backfill | rows | peak RSS MiB | CPU-s per 1M rows | wall s | runs |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
		for _, k := range names {
			fmt.Fprintf(&b, "| %s | %.0f | **%.0f** | %.2f | %.0f | %d |\n", k, rows[k], rss[k], cpu[k], wall[k], n[k])
		}
	}
	if p := r.Pacing; p != nil {
		fmt.Fprintf(&b, "\n## Pacing under the real quota (simulator: 100 per rolling 5 min; receiver: max_requests_per_5m 80)\n\n")
		fmt.Fprintf(&b, "%d rows, %d requests, %.0f s to backfill (expected from the budget: floor((n-1)/80)×300 s = %.0f s), peak %d requests in a rolling 5 min, %d throttled.\n",
			p.Rows, p.Requests, p.WallSeconds, math.Floor(float64(p.Requests-1)/80)*300, p.MaxInWindow, p.Throttled)
	}
	if len(r.Tenants) > 0 {
		b.WriteString(tenantsMarkdown(r.Tenants))
	}
	for _, f := range r.Profiles {
		fmt.Fprintf(&b, "\nprofile: %s\n", f)
	}
	return b.String()
}

// selected reports whether name contains one of the comma-separated parts of
// only (an empty only selects everything).
func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, part := range strings.Split(only, ",") {
		if strings.Contains(name, part) {
			return true
		}
	}
	return false
}
