//go:build e2e

package e2e

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// requiredVars are the variables each production config cannot run
// without: credentials and destinations. The demo configs have the
// simulator's values as defaults and are not listed.
var requiredVars = map[string][]string{
	"sumologic.yaml":           {"EXCHANGE_TENANT_ID", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET", "SUMOLOGIC_HTTP_SOURCE_URL"},
	"details-sumo.yaml":        {"EXCHANGE_TENANT_ID", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET", "SUMOLOGIC_HTTP_SOURCE_URL"},
	"sumologic-reporting.yaml": {"EXCHANGE_TENANT_ID", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET", "EXCHANGE_AUTHORIZATION_CODE", "SUMOLOGIC_HTTP_SOURCE_URL"},
	"otlp.yaml":                {"EXCHANGE_TENANT_ID", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET", "OTLP_ENDPOINT"},
	"ha-kubernetes.yaml":       {"EXCHANGE_TENANT_ID", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET", "SUMOLOGIC_HTTP_SOURCE_URL", "MSGTRACE_PG_DSN"},
}

// exampleValues are values of the right shape for every required variable
// (the Makefile's validate target uses the same), so that validation sees
// what a configured installation sees.
var exampleValues = map[string]string{
	"EXCHANGE_TENANT_ID":          "00000000-0000-0000-0000-000000000001",
	"EXCHANGE_CLIENT_ID":          "00000000-0000-0000-0000-000000000002",
	"EXCHANGE_CLIENT_SECRET":      "example-client-secret",
	"EXCHANGE_AUTHORIZATION_CODE": "example-authorization-code",
	"SUMOLOGIC_HTTP_SOURCE_URL":   "https://collectors.sumologic.com/receiver/v1/http/EXAMPLE",
	"OTLP_ENDPOINT":               "https://otlp.example.com:4318",
	"MSGTRACE_PG_DSN":             "postgres://otelcol@postgres.example:5432/otelcol_messagetrace?sslmode=verify-full",
}

// exampleEnv is the test's environment without any variable of the
// shipped configs, plus the example values.
func exampleEnv() []string {
	env := envWithout("EXCHANGE_", "SUMOLOGIC_", "OTLP_", "SIM_", "MSGTRACE_", "HEALTH_CHECK_", "STORAGE_DIR=")
	for k, v := range exampleValues {
		env = append(env, k+"="+v)
	}
	return env
}

// TestShippedConfigsFailClosed: a production config started with one of its
// credentials or destinations unset, or set but empty (a container run
// without its Secret, an EnvironmentFile left blank), or with none of them,
// does not start: the binary exits non-zero within seconds, its output
// names the variable, and it sends no request anywhere (every endpoint
// that is set points at a listener that counts connections). Before, the
// configs defaulted to placeholders: the all-zero tenant was polled at
// Microsoft and rows would have been posted to .../http/SET-ME.
func TestShippedConfigsFailClosed(t *testing.T) {
	t.Parallel() // many short runs of the binary, mostly waiting
	bins := requireBinaries(t)
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// Every endpoint that is set points at the counting listener.
	pointed := map[string]string{
		"SUMOLOGIC_HTTP_SOURCE_URL": srv.URL + "/receiver/v1/http/failclosed",
		"OTLP_ENDPOINT":             srv.URL,
		"EXCHANGE_AUTHORITY_HOST":   srv.URL,
		"EXCHANGE_ENDPOINT":         srv.URL + "/v1.0",
		"MSGTRACE_PG_DSN":           "postgres://otelcol@" + strings.TrimPrefix(srv.URL, "https://") + "/otelcol_messagetrace?sslmode=disable",
	}

	for file, vars := range requiredVars {
		type variant struct{ name, missing, value string } // value "" with unset false: empty
		var variants []variant
		for _, v := range vars {
			variants = append(variants, variant{v + " unset", v, "<unset>"}, variant{v + " empty", v, ""})
		}
		variants = append(variants, variant{"all unset", "", "<unset>"})
		for _, vt := range variants {
			t.Run(file+"/"+vt.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				env := envWithout("EXCHANGE_", "SUMOLOGIC_", "OTLP_", "SIM_", "MSGTRACE_", "HEALTH_CHECK_", "STORAGE_DIR=", "SSL_CERT_")
				env = append(env, "STORAGE_DIR="+filepath.Join(dir, "storage"), "HEALTH_CHECK_ENDPOINT="+freeAddr(t), "POD_NAMESPACE=default")
				set := map[string]string{}
				for k, v := range exampleValues {
					set[k] = v
				}
				for k, v := range pointed {
					set[k] = v
				}
				for _, v := range vars {
					switch {
					case vt.missing == "" || v == vt.missing && vt.value == "<unset>":
						delete(set, v)
					case v == vt.missing:
						set[v] = ""
					}
				}
				for k, v := range set {
					env = append(env, k+"="+v)
				}
				before := conns.Load()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, bins.otelcol, "--config", shippedConfig(file),
					"--config", "yaml:service::telemetry::metrics::level: none")
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				if ctx.Err() != nil {
					t.Fatalf("still running after 30s: a missing credential must stop the collector at startup\n%s", truncate(out, 3000))
				}
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() == 0 {
					t.Errorf("exit %v, want a non-zero status", err)
				}
				names := []string{vt.missing}
				if vt.missing == "" {
					names = vars // the resolver stops at the first it meets
				}
				if !namesMissing(string(out), names, vt.value == "") {
					t.Errorf("the output does not name %s as missing:\n%s", strings.Join(names, " or "), truncate(out, 3000))
				}
				if n := conns.Load() - before; n > 0 {
					// Other subtests run in parallel, but none may connect.
					t.Errorf("%d connection(s) to the configured endpoints: the collector must not send anything without its credentials", n)
				}
				assertNoSecrets(t, "the collector's output", out)
			})
		}
	}
}

// namesMissing: the output says that one of names is not set (or empty).
func namesMissing(out string, names []string, empty bool) bool {
	state := " is not set: "
	if empty {
		state = " is empty: "
	}
	for _, name := range names {
		if strings.Contains(out, "environment variable "+name+state) {
			return true
		}
	}
	return false
}
