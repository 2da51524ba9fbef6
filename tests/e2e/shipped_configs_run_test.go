//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

// shippedDelay is the delay of the shipped configs: their first poll reads
// up to 5 minutes before it starts, and the next comes 5 minutes later.
const shippedDelay = 5 * time.Minute

// TestShippedConfigsRun: the production configs run as a user runs them
// (docs/real-tenant.md, "Run the collector"), the files untouched and only the
// environment pointing them at the simulator: the health check answers 200
// on HEALTH_CHECK_ENDPOINT, and every row arrives once, at the fake Sumo
// Logic source with the shipped _sourceCategory and the receiver's resource
// attributes as fields (sumologic*.yaml), or at a loopback OTLP/HTTP logs
// receiver with every name the receiver emits documented in FIELDS.md
// (otlp.yaml).
func TestShippedConfigsRun(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	for _, file := range []string{"sumologic.yaml", "sumologic-reporting.yaml", "otlp.yaml"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			api := "graph"
			if strings.Contains(file, "reporting") {
				api = "reporting"
			}
			tb := newTestbed(t, bins, historyArgs(0.5, 2000)...) // 1,000 rows over 12 hours, then live
			env := shippedEnv(t, tb, api)
			var otlp *otlpSink
			if file == "otlp.yaml" {
				otlp = startOTLPSink(t)
				env = append(env, "OTLP_ENDPOINT="+otlp.URL)
			}
			cutoff := tb.sim.started.Add(-shippedDelay - 2*time.Second)
			truth := tb.sim.Truth(tb.sim.started.Add(-13*time.Hour), cutoff)
			col := tb.startShipped(t, bins, file, env)

			var h healthStatus
			// docs/install.md, "Self-monitoring": 200 and "Server available" on
			// HEALTH_CHECK_ENDPOINT while the collector runs.
			if !waitFor(30*time.Second, func() bool { var ok bool; h, ok = col.Health(); return ok && h.Code == 200 }) {
				t.Errorf("the health check on %s did not answer 200 within 30s: %d %s", col.health, h.Code, h.Body)
			}
			if !strings.Contains(h.Body, `"status":"Server available"`) {
				t.Errorf("the health check's answer is not the one docs/install.md shows: %s", h.Body)
			}
			delivered := func() int { return int(tb.sim.SumoStats().Lines) }
			if otlp != nil {
				delivered = otlp.Records
			}
			if !waitFor(60*time.Second, func() bool { return delivered() >= len(truth) }) {
				t.Fatalf("%d of %d rows after 60s", delivered(), len(truth))
			}
			time.Sleep(2 * time.Second) // nothing more may arrive before the next poll
			if h, ok := col.Health(); !ok || h.Code != 200 {
				t.Errorf("the health check while collecting: %d %s", h.Code, h.Body)
			}
			col.Stop()

			if otlp != nil {
				checkOTLPDelivery(t, tb, otlp, truth, cutoff)
				return
			}
			lines := tb.sim.Lines()
			assertNoSecretsInLines(t, lines)
			requireComplete(t, compare(truth, lines, cutoff), 0)
			st := tb.sim.SumoStats()
			if st.Categories["o365/messagetrace"] != st.Lines {
				t.Errorf("lines by X-Sumo-Category %v, want all %d under the shipped o365/messagetrace", st.Categories, st.Lines)
			}
			requireSumoFields(t, st, map[string]string{
				"cloud.provider": "azure", "microsoft.tenant.id": tb.sim.ep.TenantID, "exchange.message_trace.api": api})
		})
	}
}

// shippedConfig is the path of a shipped config.
func shippedConfig(file string) string {
	p, _ := filepath.Abs(filepath.Join("..", "..", "config", file))
	return p
}

// shippedEnv is the environment that points the shipped configs at the
// simulator and its fake Sumo Logic source (docs/real-tenant.md, "Run the collector").
func shippedEnv(t *testing.T, tb *testbed, api string) []string {
	endpoint := tb.sim.ep.HTTPS + "/v1.0"
	if api == "reporting" {
		endpoint = tb.sim.ep.HTTPS + "/ecp/reportingwebservice/reporting.svc"
	}
	env := []string{
		"EXCHANGE_TENANT_ID=" + tb.sim.ep.TenantID, "EXCHANGE_CLIENT_ID=" + tb.sim.ep.ClientID, "EXCHANGE_CLIENT_SECRET=" + simSecret,
		"EXCHANGE_AUTHORITY_HOST=" + tb.sim.ep.HTTPS, "EXCHANGE_ENDPOINT=" + endpoint,
		// The simulator's CA, trusted as a corporate CA would be: Go reads
		// SSL_CERT_FILE for the system's roots, so no config needs tls.ca_file.
		"SSL_CERT_FILE=" + tb.sim.ep.CAFile,
		"STORAGE_DIR=" + tb.storageDir, "HEALTH_CHECK_ENDPOINT=" + tb.healthAddr,
		"SUMOLOGIC_HTTP_SOURCE_URL=" + tb.sim.ep.Sumo,
	}
	if api == "reporting" {
		code := tb.sim.NewAuthCode()
		addKnownSecret(code)
		env = append(env, "EXCHANGE_AUTHORIZATION_CODE="+code)
	}
	return env
}

// startShipped runs the binary on a shipped config and extra --config
// sources. The one override of every run: no Prometheus endpoint on the
// default :8888, which parallel tests (and other collectors on the machine)
// would contend for.
func (tb *testbed) startShipped(t *testing.T, bins binaries, file string, env []string, extra ...string) *collectorProc {
	t.Helper()
	args := []string{"--config", shippedConfig(file), "--config", "yaml:service::telemetry::metrics::level: none"}
	for _, e := range extra {
		args = append(args, "--config", e)
	}
	n := runSeq.Add(1)
	p := runBinary(t, bins.otelcol, filepath.Join(tb.dir, fmt.Sprintf("collector-%d.log", n)), env, args...)
	// The shipped health_check: its plain endpoint, as docs/install.md shows.
	p.health = "http://" + tb.healthAddr + "/"
	return p
}

// requireSumoFields: every upload carried exactly these X-Sumo-Fields.
func requireSumoFields(t *testing.T, st sumosink.Stats, want map[string]string) {
	t.Helper()
	if len(st.Fields) != 1 {
		t.Errorf("uploads carried %d different X-Sumo-Fields, want one: %v", len(st.Fields), st.Fields)
	}
	for header := range st.Fields {
		got := sumosink.ParseFields(header)
		if len(got) != len(want) {
			t.Errorf("X-Sumo-Fields %q, want %v", header, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("X-Sumo-Fields %q: %s=%q, want %q", header, k, got[k], v)
			}
		}
	}
}

// checkOTLPDelivery: every row arrived once as an OTLP record, with the
// receiver's resource attributes plus the shipped processor's, and every
// name the receiver emits is in FIELDS.md.
func checkOTLPDelivery(t *testing.T, tb *testbed, otlp *otlpSink, truth []truthRow, cutoff time.Time) {
	t.Helper()
	logs := otlp.Logs()
	check := simulator.NewDeliveryCheck()
	var bodies [][]byte
	wantRes := map[string]any{"cloud.provider": "azure", "microsoft.tenant.id": tb.sim.ep.TenantID,
		"exchange.message_trace.api": "graph", "deployment.environment.name": "production"}
	badRes := 0
	forEachRecord(logs, func(res map[string]any, lr plog.LogRecord) {
		check.AddMap(lr.Body().Map().AsRaw())
		bodies = append(bodies, []byte(lr.Body().AsString()))
		for k, v := range wantRes {
			if res[k] != v {
				badRes++
				if badRes <= 3 {
					t.Errorf("resource %v: %s is %v, want %v", res, k, res[k], v)
				}
			}
		}
	})
	assertNoSecretsInLines(t, bodies)
	requireComplete(t, check.Compare(truthRows(truth), cutoff), 0)

	doc := documentedNames(t)
	reported := map[emittedName]bool{}
	for _, ld := range logs {
		for _, n := range undocumented(emittedNames(t, ld), doc) {
			if reported[n] || n.name == "deployment.environment.name" { // config/otlp.yaml's processor, not the receiver
				continue
			}
			reported[n] = true
			t.Errorf("the receiver emits %s, which FIELDS.md does not list (add it to %s, then `make readme`)", n, readme.FieldsMD)
		}
	}
}
