//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestShippedStorageSyncs: every file_storage extension of every shipped
// config (config/*.yaml, which the packages install, and the config the
// Kubernetes ConfigMap embeds) says `fsync: true`. Without it bbolt does not
// sync its commits, and a power loss rolls the cursor back by every page
// since the filesystem's last journal commit (TestPowerLoss), which the
// delivery promise ("a crash or power loss may repeat the page in flight")
// does not allow.
func TestShippedStorageSyncs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "config", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped configs found under config/: %v", err)
	}
	configs := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		configs[f] = b
	}
	cmPath := filepath.Join("..", "..", "deploy", "kubernetes", "configmap.yaml")
	b, err := os.ReadFile(cmPath)
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatalf("%s: %v", cmPath, err)
	}
	for k, v := range cm.Data {
		configs[cmPath+":"+k] = []byte(v)
	}

	withStorage := 0
	for name, b := range configs {
		var cfg yamlMap
		if err := yaml.Unmarshal(b, &cfg); err != nil {
			t.Errorf("%s: not YAML: %v", name, err)
			continue
		}
		exts, _ := cfg["extensions"].(yamlMap)
		for id, v := range exts {
			if componentType(id) != "file_storage" {
				continue
			}
			withStorage++
			ext, _ := v.(yamlMap)
			if ext["fsync"] != true {
				t.Errorf("%s: extension %s has fsync %v, want true: without it a power loss repeats every page since the last journal commit", name, id, ext["fsync"])
			}
		}
	}
	if withStorage == 0 {
		t.Fatal("no file_storage extension found in the shipped configs: the check is vacuous")
	}
}
