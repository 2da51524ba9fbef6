//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// landingConfig is the README's section holding its one config example.
const landingConfig = "landing-config"

// TestLandingConfig: the config example of the README (the first config a
// reader copies) validates with the binary, with example values of the
// variables it requires, and keeps the delivery promise, as the shipped
// configs do (TestShippedConfigs).
func TestLandingConfig(t *testing.T) {
	bins := requireBinaries(t)
	block := readmeYAMLBlock(t, landingConfig)
	var cfg yamlMap
	if err := yaml.Unmarshal([]byte(block), &cfg); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	pipelines, problems := promiseProblems(cfg)
	if pipelines == 0 {
		t.Errorf("no logs pipeline with exchange_message_trace")
	}
	for _, p := range problems {
		t.Errorf("breaks the delivery promise: %s", p)
	}
	f := filepath.Join(t.TempDir(), "collector.yaml")
	if err := os.WriteFile(f, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bins.otelcol, "validate", "--config", f)
	cmd.Env = exampleEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("validate: %v\n%s", err, truncate(out, 2000))
	}
}
