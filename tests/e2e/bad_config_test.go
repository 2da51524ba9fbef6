//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestBadConfigs: each invalid configuration makes the binary exit at
// startup, non-zero, with a message naming the field; none of them sends a
// single request to the API or the identity platform.
func TestBadConfigs(t *testing.T) {
	fig := recordFigures(t, "")
	bins := requireBinaries(t)
	tb := newTestbed(t, bins, historyArgs(0.1, 1000)...)

	cases := []struct {
		name  string
		edit  func(cfg, rcv yamlMap)
		field string // the message must name it
	}{
		{"missing tenant", func(_, r yamlMap) { delete(r, "tenant_id") }, "tenant_id"},
		{"missing client id", func(_, r yamlMap) { delete(r, "client_id") }, "client_id"},
		{"unknown API", func(_, r yamlMap) { r["api"] = "ews" }, "api"},
		{"window over 10 days", func(_, r yamlMap) { r["max_window"] = "241h" }, "max_window"},
		{"page size 0", func(_, r yamlMap) { r["page_size"] = 0 }, "page_size"},
		{"page size 6000", func(_, r yamlMap) { r["page_size"] = 6000 }, "page_size"},
		{"unknown storage extension", func(_, r yamlMap) { r["storage"] = "file_storage/missing" }, "storage"},
		{"storage is not a storage extension", func(_, r yamlMap) { r["storage"] = "health_check" }, "storage"},
		{"two credentials at once", func(_, r yamlMap) { r["certificate"] = yamlMap{"path": "/etc/otelcol/exchange.pem"} }, "credentials"},
		{"no credential", func(_, r yamlMap) { delete(r, "client_secret") }, "credentials"},
		{"authorization code without storage", func(_, r yamlMap) {
			r["api"], r["authorization_code"] = "reporting", "0.Anot-a-real-code"
			delete(r, "storage")
		}, "authorization_code"},
		{"poll interval under 1s", func(_, r yamlMap) { r["poll_interval"] = "100ms" }, "poll_interval"},
		{"settle not longer than delay", func(_, r yamlMap) { r["settle"], r["delay"] = "1m", "5m" }, "settle"},
		{"budget over Microsoft's 100", func(_, r yamlMap) { r["max_requests_per_5m"] = 150 }, "max_requests_per_5m"},
		{"negative initial lookback", func(_, r yamlMap) { r["initial_lookback"] = "-1h" }, "initial_lookback"},
		{"unknown field names", func(_, r yamlMap) { r["field_names"] = "sumo" }, "field_names"},
		{"unknown body format", func(_, r yamlMap) { r["body_format"] = "xml" }, "body_format"},
		{"misspelled key", func(_, r yamlMap) { r["page_sise"] = 100 }, "page_sise"},
	}
	if len(cases) < 10 {
		t.Fatal("at least ten invalid configurations")
	}
	fig.Fault = fmt.Sprintf("%d invalid configurations (missing ids, unknown api, window over 10 days, page size 0 and 6000, bad storage, two or no credentials, a misspelled key, ...)", len(cases))
	fig.Promise = "each stops the binary at startup, non-zero, naming the field; no request sent"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tb.config("graph", time.Hour)
			tc.edit(cfg, receiverOf(cfg))
			b, err := yaml.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			cmd := exec.Command(bins.otelcol, "--config", path, healthGate)
			done := make(chan struct{})
			var out []byte
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("still running after 20s: an invalid config must stop the binary at startup\n%s", truncate(out, 2000))
			}
			assertNoSecrets(t, "the output of a failed start", out)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("exit: %v, want a non-zero exit status\n%s", err, truncate(out, 2000))
			}
			msg := errorLines(string(out))
			if !strings.Contains(msg, tc.field) {
				t.Errorf("the error does not name %q:\n%s", tc.field, msg)
			}
			if strings.Contains(string(out), "Everything is ready") {
				t.Errorf("the collector started its pipelines before failing")
			}
			t.Logf("exit %d after %s: %s", exit.ExitCode(), time.Since(start).Round(time.Millisecond), truncate([]byte(msg), 400))
		})
	}
	c := tb.sim.Counters()
	fig.Other = fmt.Sprintf("%d API requests, %d identity requests", c.APIRequests, len(c.Requests["identity"]))
	if c.APIRequests != 0 || len(c.Requests["identity"]) != 0 {
		t.Errorf("invalid configs reached the simulator: %d API requests, identity %v", c.APIRequests, c.Requests["identity"])
	}
}

// errorLines keeps the lines that carry the failure: zap error lines, and
// the collector's final `Error: ...` (which may span lines) to the end.
func errorLines(out string) string {
	var keep []string
	final := false
	for _, l := range strings.Split(out, "\n") {
		final = final || strings.HasPrefix(l, "Error:")
		if final || strings.Contains(l, "\terror\t") {
			keep = append(keep, l)
		}
	}
	if len(keep) == 0 {
		return out
	}
	return strings.Join(keep, "\n")
}
