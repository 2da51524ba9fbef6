//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestShippedConfigs: every config/*.yaml validates with the binary (with
// example values of the variables the production configs require, as
// `make validate`), and every logs pipeline with the receiver keeps the delivery
// promise: nothing between the receiver and the exporter acknowledges rows
// before the exporter delivered them.
func TestShippedConfigs(t *testing.T) {
	bins := requireBinaries(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped configs found under config/: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var cfg yamlMap
			if err := yaml.Unmarshal(b, &cfg); err != nil {
				t.Fatalf("not YAML: %v", err)
			}
			pipelines, problems := promiseProblems(cfg)
			if pipelines == 0 {
				t.Errorf("no logs pipeline with exchange_message_trace")
			}
			for _, p := range problems {
				t.Errorf("breaks the delivery promise: %s", p)
			}

			cmd := exec.Command(bins.otelcol, "validate", "--config", f)
			cmd.Env = exampleEnv()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("validate: %v\n%s", err, truncate(out, 2000))
			}
		})
	}
}

// TestPromiseCheckerCatchesBreakage: the check above is not vacuous.
func TestPromiseCheckerCatchesBreakage(t *testing.T) {
	const base = `
receivers: {exchange_message_trace: {}}
exporters:
  sumologic: %s
  debug: %s
processors: {batch: {}, batch/big: {}, resource: {}, memory_limiter: {}, groupbytrace: {}}
service:
  pipelines:
    logs/x:
      receivers: [exchange_message_trace]
      processors: %s
      exporters: [sumologic, debug]
`
	cases := []struct {
		name, exporter, processors string
		problems                   int
	}{
		{"the shipped shape", `{sending_queue: {enabled: false}}`, `[]`, 0},
		{"persistent queue", `{sending_queue: {storage: file_storage}}`, `[resource, memory_limiter]`, 0},
		{"batch processor", `{sending_queue: {enabled: false}}`, `[batch]`, 1},
		{"named batch processor", `{sending_queue: {enabled: false}}`, `[resource, batch/big]`, 1},
		{"in-memory queue", `{sending_queue: {enabled: true}}`, `[]`, 1},
		{"queue section without storage", `{sending_queue: {num_consumers: 2}}`, `[]`, 1},
		{"no sending_queue: the default may queue", `{}`, `[]`, 1},
		{"an asynchronous processor", `{sending_queue: {enabled: false}}`, `[groupbytrace]`, 1},
		{"debug with an in-memory queue", `{sending_queue: {enabled: false}}`, `[]`, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cfg yamlMap
			debug := "{}"
			if strings.HasPrefix(tc.name, "debug") {
				debug = "{sending_queue: {enabled: true}}"
			}
			if err := yaml.Unmarshal([]byte(fmt.Sprintf(base, tc.exporter, debug, tc.processors)), &cfg); err != nil {
				t.Fatal(err)
			}
			n, problems := promiseProblems(cfg)
			if n != 1 || len(problems) != tc.problems {
				t.Errorf("pipelines %d, problems %q; want 1 pipeline and %d problems", n, problems, tc.problems)
			}
		})
	}
}

// syncProcessors hand data on within ConsumeLogs: they cannot acknowledge
// early. A processor not listed here needs a review before a shipped config
// may use it (batch, groupbytrace and the like hold data and return).
var syncProcessors = map[string]bool{
	"memory_limiter": true, "resource": true, "transform": true, "filter": true, "attributes": true,
}

// queuelessExporters have no sending_queue unless one is configured, and
// write synchronously: debug (v0.145.0: its queue is an unset optional).
var queuelessExporters = map[string]bool{"debug": true}

// promiseProblems lists what in cfg's logs pipelines with the receiver
// could acknowledge rows before delivery.
func promiseProblems(cfg yamlMap) (pipelines int, problems []string) {
	service, _ := cfg["service"].(yamlMap)
	pls, _ := service["pipelines"].(yamlMap)
	exporters, _ := cfg["exporters"].(yamlMap)
	for name, v := range pls {
		if name != "logs" && !strings.HasPrefix(name, "logs/") {
			continue
		}
		pl, _ := v.(yamlMap)
		if !containsComponent(pl["receivers"], "exchange_message_trace") {
			continue
		}
		pipelines++
		for _, p := range listOf(pl["processors"]) {
			if !syncProcessors[componentType(p)] {
				problems = append(problems, fmt.Sprintf("pipeline %s: processor %s may acknowledge rows before the exporter delivered them", name, p))
			}
		}
		for _, e := range listOf(pl["exporters"]) {
			ecfg, _ := exporters[e].(yamlMap)
			q, ok := ecfg["sending_queue"].(yamlMap)
			switch {
			case !ok && queuelessExporters[componentType(e)]:
			case !ok:
				problems = append(problems, fmt.Sprintf("pipeline %s: exporter %s does not say `sending_queue: {enabled: false}` (or a persistent queue with storage); its default may be an in-memory queue", name, e))
			case q["enabled"] == false:
			case q["storage"] != nil && q["storage"] != "":
			default:
				problems = append(problems, fmt.Sprintf("pipeline %s: exporter %s has an in-memory sending_queue (set enabled: false, or storage: file_storage)", name, e))
			}
		}
	}
	return pipelines, problems
}

func listOf(v any) []string {
	var out []string
	items, _ := v.([]any)
	for _, i := range items {
		out = append(out, fmt.Sprint(i))
	}
	return out
}

func containsComponent(v any, typ string) bool {
	for _, s := range listOf(v) {
		if componentType(s) == typ {
			return true
		}
	}
	return false
}

// componentType is the type of a component id ("batch/big" is a batch).
func componentType(id string) string {
	typ, _, _ := strings.Cut(id, "/")
	return typ
}

// envWithout is the environment minus variables with these prefixes, so
// that validation sees only the configs' defaults.
func envWithout(prefixes ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}
