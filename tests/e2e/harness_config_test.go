//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// yamlMap is a collector config being built; tests change single keys of
// the base config rather than writing whole files.
type yamlMap = map[string]any

// collectorConfig is a config of the distribution against s: the receiver
// (Graph unless api says otherwise) with its cursor in file_storage under
// storageDir, the contrib Sumo Logic exporter to the fake source with no
// in-memory queue, the health_check extension reporting component status on
// healthAddr, and debug logs. Time is compressed: 2s delay, 1s polls, no
// settling pass.
func collectorConfig(s *sim, api, storageDir, healthAddr string, lookback time.Duration) yamlMap {
	rcv := yamlMap{
		"api":              api,
		"tenant_id":        s.ep.TenantID,
		"client_id":        s.ep.ClientID,
		"client_secret":    simSecret,
		"authority_host":   s.ep.HTTPS,
		"tls":              yamlMap{"ca_file": s.ep.CAFile},
		"initial_lookback": lookback.String(),
		"delay":            "2s",
		"settle":           "0s",
		"poll_interval":    "1s",
		"body_format":      "json",
		"storage":          "file_storage",
	}
	if api == "reporting" {
		rcv["endpoint"] = s.ep.HTTPS + "/ecp/reportingwebservice/reporting.svc"
	} else {
		rcv["endpoint"] = s.ep.HTTPS + "/v1.0"
		rcv["max_window"] = "6h"
	}
	return yamlMap{
		"extensions": yamlMap{
			"file_storage": yamlMap{"directory": storageDir, "create_directory": true},
			"health_check": yamlMap{
				"http": yamlMap{
					"endpoint": healthAddr,
					"status":   yamlMap{"enabled": true, "path": "/status"},
				},
				"component_health": yamlMap{
					"include_recoverable_errors": true,
					"recovery_duration":          "1s",
				},
			},
		},
		"receivers": yamlMap{"exchange_message_trace": rcv},
		"exporters": yamlMap{
			"sumologic": yamlMap{
				"endpoint":      s.ep.Sumo,
				"log_format":    "text",
				"sending_queue": yamlMap{"enabled": false},
			},
		},
		"service": yamlMap{
			"extensions": []string{"file_storage", "health_check"},
			"pipelines": yamlMap{
				"logs": yamlMap{
					"receivers": []string{"exchange_message_trace"},
					"exporters": []string{"sumologic"},
				},
			},
			"telemetry": yamlMap{
				"logs": yamlMap{"level": "debug"},
				// The default Prometheus endpoint (:8888) may be taken by
				// another collector on the machine.
				"metrics": yamlMap{"level": "none"},
			},
		},
	}
}

// receiverOf returns the receiver's section of cfg, to change its keys.
func receiverOf(cfg yamlMap) yamlMap {
	return cfg["receivers"].(yamlMap)["exchange_message_trace"].(yamlMap)
}

func exporterOf(cfg yamlMap) yamlMap {
	return cfg["exporters"].(yamlMap)["sumologic"].(yamlMap)
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// testbed is one test's simulator plus where its collector keeps state.
type testbed struct {
	sim        *sim
	dir        string
	storageDir string
	healthAddr string
}

func newTestbed(t *testing.T, bins binaries, simArgs ...string) *testbed {
	t.Helper()
	dir := t.TempDir()
	return &testbed{
		sim:        startSim(t, bins, simArgs...),
		dir:        dir,
		storageDir: filepath.Join(dir, "storage"),
		healthAddr: freeAddr(t),
	}
}

func (tb *testbed) config(api string, lookback time.Duration) yamlMap {
	return collectorConfig(tb.sim, api, tb.storageDir, tb.healthAddr, lookback)
}

// historyArgs are simulator flags for a tenant with days of history at
// rowsPerDay, whose truth never changes after the fact (no late rows, no
// status changes): the settling pass is tested elsewhere.
func historyArgs(days float64, rowsPerDay int) []string {
	return []string{
		"-days", fmt.Sprint(days), "-rows-per-day", fmt.Sprint(rowsPerDay),
		"-daily-swing", "0", "-delayed-fraction", "-1", "-changing-fraction", "-1",
	}
}
