//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

// bodyVariant is one receiver of the body-format test: an API and field
// names, read twice, once per body format, each pair into its own fake
// Sumo Logic source.
type bodyVariant struct {
	name       string // receiver name suffix
	api        string
	fieldNames string
}

var bodyVariants = []bodyVariant{
	{"legacy", "reporting", "api"},
	{"graph", "graph", "api"},
	{"graph_legacy_names", "graph", "legacy"},
}

// TestBodyFormat: body_format map and json give the same line in the Sumo
// Logic source (same fields, same values; key order and escaping may
// differ), for the legacy report (the seed's sample rows, re-dated, among
// generated rows), for Graph rows, and for Graph rows under legacy field
// names. One collector runs the six receivers side by side on the same
// tenant, so that each pair reads the same query ranges; each polls once.
func TestBodyFormat(t *testing.T) {
	bins := requireBinaries(t)
	seed := redatedSeed(t, t.TempDir(), time.Now())
	args := append(seed.simArgs(), "-rows-per-day", "3000", "-days", "1.2", "-daily-swing", "0", "-rate-limit", "-1")
	tb := newTestbed(t, bins, args...)

	var col *collectorProc
	var sinks map[string]*sumosink.Sink
	for attempt := 1; ; attempt++ {
		cfg, s := bodyFormatConfig(t, tb)
		sinks = s
		col = tb.startCollector(t, bins, cfg)
		if !waitFor(60*time.Second, func() bool { return countLines(col.Log(), "first run: collecting") >= 2*len(bodyVariants) }) {
			t.Fatalf("the receivers did not all start")
		}
		// A single poll each (poll_interval 1h): wait until every pair
		// has delivered the same number of lines, and a little more.
		if !waitFor(60*time.Second, func() bool { return bodyPairsSettled(sinks) }) {
			t.Fatalf("the receivers did not finish their first poll: %v", sinkCounts(sinks))
		}
		time.Sleep(2 * time.Second)
		col.Stop()
		if starts := firstRunStarts(col.Log()); sameStarts(starts) {
			break
		} else if attempt == 3 {
			t.Fatalf("the receivers started on different seconds three times: %v", starts)
		} else {
			t.Logf("the receivers started on different seconds (%v): again with fresh storage", starts)
			for _, s := range sinks {
				s.Close()
			}
			tb.storageDir = t.TempDir()
		}
	}

	for _, v := range bodyVariants {
		t.Run(v.name, func(t *testing.T) {
			jl, ml := sinks[v.name+"_json"].Lines(), sinks[v.name+"_map"].Lines()
			assertNoSecretsInLines(t, jl)
			assertNoSecretsInLines(t, ml)
			jm, ms := indexBodyLines(t, jl), indexBodyLines(t, ml)
			if len(jl) == 0 || len(jl) != len(ml) || len(jm) != len(jl) || len(ms) != len(ml) {
				t.Fatalf("json: %d lines (%d distinct rows), map: %d lines (%d distinct rows)", len(jl), len(jm), len(ml), len(ms))
			}
			var diffs []string
			nulls, escapedMap := 0, 0
			for k, j := range jm {
				m, ok := ms[k]
				if !ok {
					diffs = append(diffs, k+": only in json")
					continue
				}
				if d := bodyFieldDiff(j.fields, m.fields); d != "" {
					diffs = append(diffs, fmt.Sprintf("%s: %s\n    json: %s\n    map:  %s", k, d, j.raw, m.raw))
				}
				for _, v := range j.fields {
					if v == nil {
						nulls++
					}
				}
				if strings.Contains(string(m.raw), `\u003c`) {
					escapedMap++
				}
			}
			seedRows := 0
			for _, r := range seed.rows {
				for k := range jm {
					if strings.HasPrefix(k, r["MessageTraceId"].(string)+"/") {
						seedRows++
					}
				}
			}
			t.Logf("%d rows, every one the same line in both formats (%d null values among them; %d map lines with <> escaped as \\u003c...; %d of the seed's 3 sample rows)",
				len(jm), nulls, escapedMap, seedRows)
			if len(diffs) > 0 {
				t.Errorf("%d of %d rows differ between body_format json and map, e.g.\n  %s", len(diffs), len(jm), strings.Join(diffs[:min(5, len(diffs))], "\n  "))
			}
			if seedRows != 3 {
				t.Errorf("%d of the seed's 3 sample rows were exported", seedRows)
			}
			if v.api == "reporting" || v.fieldNames == "legacy" {
				for k, j := range jm {
					if missing := fieldsMissing(j.fields, seedQueryFields); len(missing) > 0 {
						t.Errorf("%s: the Sumo Logic app's query finds no %v", k, missing)
						break
					}
				}
			}
			t.Logf("e.g. json: %s\n     map:  %s", firstSeedLine(jl, seed), firstSeedLine(ml, seed))
		})
	}
}

// bodyFormatConfig is one collector with a receiver per variant and body
// format, each pipeline to a fake Sumo Logic source of its own.
func bodyFormatConfig(t *testing.T, tb *testbed) (yamlMap, map[string]*sumosink.Sink) {
	cfg := tb.config("reporting", 26*time.Hour)
	unsampledLogs(cfg)
	base := receiverOf(cfg)
	receivers, exporters, pipelines := yamlMap{}, yamlMap{}, yamlMap{}
	sinks := map[string]*sumosink.Sink{}
	for _, v := range bodyVariants {
		for _, format := range []string{"json", "map"} {
			name := v.name + "_" + format
			rcv := yamlMap{}
			for k, val := range base {
				rcv[k] = val
			}
			rcv["api"] = v.api
			rcv["field_names"] = v.fieldNames
			rcv["body_format"] = format
			rcv["poll_interval"] = "1h" // one poll: both formats read the same ranges
			rcv["max_requests_per_5m"] = 0
			if v.api == "graph" {
				rcv["endpoint"] = tb.sim.ep.HTTPS + "/v1.0"
				rcv["max_window"] = "6h"
				rcv["page_size"] = 500
				rcv["organization"] = "org.onmicrosoft.com"
			} else {
				rcv["page_size"] = 200
			}
			sink, err := sumosink.Start(sumosink.Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sink.Close() })
			sinks[name] = sink
			receivers["exchange_message_trace/"+name] = rcv
			exporters["sumologic/"+name] = yamlMap{
				"endpoint":      sink.URL + "/receiver/v1/http/" + name,
				"log_format":    "text",
				"sending_queue": yamlMap{"enabled": false},
			}
			pipelines["logs/"+name] = yamlMap{
				"receivers": []string{"exchange_message_trace/" + name},
				"exporters": []string{"sumologic/" + name},
			}
		}
	}
	cfg["receivers"], cfg["exporters"] = receivers, exporters
	cfg["service"].(yamlMap)["pipelines"] = pipelines
	return cfg, sinks
}

func sinkCounts(sinks map[string]*sumosink.Sink) map[string]int64 {
	out := map[string]int64{}
	for n, s := range sinks {
		out[n] = s.Stats().Lines
	}
	return out
}

// bodyPairsSettled: every pair has lines, the same number in both formats.
func bodyPairsSettled(sinks map[string]*sumosink.Sink) bool {
	c := sinkCounts(sinks)
	for _, v := range bodyVariants {
		if c[v.name+"_json"] == 0 || c[v.name+"_json"] != c[v.name+"_map"] {
			return false
		}
	}
	return true
}

var firstRunLine = regexp.MustCompile(`first run: collecting from initial_lookback\s+(\{.*\})`)

// firstRunStarts returns each receiver's first start, by receiver id.
func firstRunStarts(log string) map[string]string {
	out := map[string]string{}
	for _, m := range firstRunLine.FindAllStringSubmatch(log, -1) {
		var f struct {
			ID    string `json:"otelcol.component.id"`
			Start string `json:"start"`
		}
		if json.Unmarshal([]byte(m[1]), &f) == nil {
			out[f.ID] = f.Start
		}
	}
	return out
}

// sameStarts: both formats of each variant started at the same second (the
// query ranges, echoed in StartDate/EndDate and counted in Index, follow).
func sameStarts(starts map[string]string) bool {
	for _, v := range bodyVariants {
		j, m := starts["exchange_message_trace/"+v.name+"_json"], starts["exchange_message_trace/"+v.name+"_map"]
		if j == "" || j != m {
			return false
		}
	}
	return true
}

type indexedLine struct {
	raw    []byte
	fields map[string]any
}

// indexBodyLines keys lines by (id, recipient, status), in either name set.
func indexBodyLines(t *testing.T, lines [][]byte) map[string]indexedLine {
	t.Helper()
	out := map[string]indexedLine{}
	for _, b := range lines {
		l, err := parseLine(b)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		m, err := decodeLineNumbers(b)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		out[l.Key.String()] = indexedLine{raw: b, fields: m}
	}
	return out
}

// bodyFieldDiff names the fields whose presence or value differ.
// queryEcho are the legacy fields that describe the query a row came back
// from, not the row: each receiver runs its own queries (their ends differ
// by milliseconds), so only their presence is compared.
var queryEcho = map[string]bool{"StartDate": true, "EndDate": true, "Index": true}

func bodyFieldDiff(a, b map[string]any) string {
	var d []string
	for k, av := range a {
		bv, ok := b[k]
		switch {
		case !ok:
			d = append(d, k+" only in json")
		case queryEcho[k]:
		case !reflect.DeepEqual(av, bv):
			d = append(d, fmt.Sprintf("%s: json %#v, map %#v", k, av, bv))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, k+" only in map")
		}
	}
	sort.Strings(d)
	return strings.Join(d, "; ")
}

func fieldsMissing(m map[string]any, names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := m[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

func firstSeedLine(lines [][]byte, seed seedSample) string {
	id := seed.rows[0]["MessageTraceId"].(string)
	for _, l := range lines {
		if strings.Contains(string(l), id) {
			return string(l)
		}
	}
	return "(none)"
}
