package sumologicredactexporter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/sumologicexporter"
)

// TestNoURLInLogsOrErrors: the exporter of the distribution, started and
// sending to a live source and to a dead one, at debug level: the token
// appears in no log line and no error, while the lines that contrib logs
// are still there (with the URL redacted).
func TestNoURLInLogsOrErrors(t *testing.T) {
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer live.Close()
	dead := deadAddr(t)
	for _, base := range []string{live.URL, "http://" + dead} {
		t.Run(base, func(t *testing.T) {
			endpoint := base + "/receiver/v1/http/" + token
			f := NewFactory()
			if f.Type().String() != "sumologic" {
				t.Fatalf("type %s, want sumologic: the wrapper replaces contrib's exporter", f.Type())
			}
			cfg := f.CreateDefaultConfig().(*sumologicexporter.Config)
			cfg.Endpoint = endpoint
			cfg.QueueSettings = configoptional.None[exporterhelper.QueueBatchConfig]() // no queue: errors come back
			cfg.BackOffConfig.Enabled = false

			core, logs := observer.New(zapcore.DebugLevel)
			set := exportertest.NewNopSettings(f.Type())
			set.Logger = zap.New(core)
			exp, err := f.CreateLogs(context.Background(), set, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = exp.Shutdown(context.Background()) }()
			ld := plog.NewLogs()
			ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("row")
			sendErr := exp.ConsumeLogs(context.Background(), ld)
			if base == live.URL && sendErr != nil {
				t.Fatalf("send to the live source: %v", sendErr)
			}
			if base != live.URL {
				if sendErr == nil {
					t.Fatal("send to a dead source succeeded")
				}
				if strings.Contains(sendErr.Error(), token) {
					t.Errorf("the error shows the token: %v", sendErr)
				}
				if !strings.Contains(sendErr.Error(), "/receiver/v1/http/REDACTED") {
					t.Errorf("the error does not say where it failed: %v", sendErr)
				}
			}

			if logs.FilterMessage("setting data urls").Len() != 1 {
				t.Errorf("contrib's data URL line is gone: %v", logs.All())
			}
			for _, e := range logs.All() {
				line := fmt.Sprint(e.Message, e.ContextMap())
				if strings.Contains(line, token) {
					t.Errorf("log line shows the token: %s", line)
				}
			}
		})
	}
}

// TestContribLogsTheURL: contrib's exporter alone logs the token at info
// level; if this fails, contrib stopped doing so and the wrapper may go.
func TestContribLogsTheURL(t *testing.T) {
	f := sumologicexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*sumologicexporter.Config)
	cfg.Endpoint = "http://" + deadAddr(t) + "/receiver/v1/http/" + token
	core, logs := observer.New(zapcore.InfoLevel)
	set := exportertest.NewNopSettings(f.Type())
	set.Logger = zap.New(core)
	exp, err := f.CreateLogs(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = exp.Shutdown(context.Background()) }()
	leaked := false
	for _, e := range logs.All() {
		leaked = leaked || strings.Contains(fmt.Sprint(e.Message, e.ContextMap()), token)
	}
	if !leaked {
		t.Error("contrib's exporter no longer logs its URL: check whether the wrapper is still needed")
	}
}

// TestFieldsOfAnyType: the core rewrites a secret in a field of any type.
func TestFieldsOfAnyType(t *testing.T) {
	r := newRedactor("https://collectors.sumologic.com/receiver/v1/http/" + token)
	core, logs := observer.New(zapcore.DebugLevel)
	l := wrapLogger(zap.New(core), r).With(zap.String("with", token))
	l.Info("message "+token,
		zap.String("s", token), zap.Error(errors.New("e "+token)), zap.Any("map", map[string]string{"k": token}),
		zap.Strings("list", []string{token}), zap.ByteString("b", []byte(token)), zap.Stringer("st", stringer(token)),
		zap.Int("n", 3))
	for _, e := range logs.All() {
		if line := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(line, token) {
			t.Errorf("token in %s", line)
		}
		if e.ContextMap()["n"] != int64(3) {
			t.Errorf("a field without a secret changed: %v", e.ContextMap()["n"])
		}
	}
	if logs.Len() != 1 {
		t.Errorf("%d entries, want 1", logs.Len())
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

// deadAddr is a loopback address that refuses connections.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestTeeWritesOnlyToCoresThatTakeTheLevel: behind a tee (the collector's
// core plus otelzap's), an entry reaches only the cores whose level takes
// it, redacted, as it would without the wrapper.
func TestTeeWritesOnlyToCoresThatTakeTheLevel(t *testing.T) {
	r := newRedactor("https://collectors.sumologic.com/receiver/v1/http/" + token)
	warn, warnLogs := observer.New(zapcore.WarnLevel)
	debug, debugLogs := observer.New(zapcore.DebugLevel)
	l := wrapLogger(zap.New(zapcore.NewTee(warn, debug)), r)
	l.Info("info " + token)
	l.Warn("warn " + token)
	if n := warnLogs.FilterMessage("info " + redacted).Len(); n != 0 {
		t.Errorf("the warn-level core got %d info entries, want 0", n)
	}
	if warnLogs.Len() != 1 || debugLogs.Len() != 2 {
		t.Errorf("warn core %d entries (want 1), debug core %d (want 2)", warnLogs.Len(), debugLogs.Len())
	}
	for _, e := range append(warnLogs.All(), debugLogs.All()...) {
		if strings.Contains(e.Message, token) {
			t.Errorf("token in %q", e.Message)
		}
	}
}

// TestSamplingCountsAnEntryOnce: a sampler behind the wrapper counts each
// entry once: first 2 of a message, then none.
func TestSamplingCountsAnEntryOnce(t *testing.T) {
	r := newRedactor("https://collectors.sumologic.com/receiver/v1/http/" + token)
	core, logs := observer.New(zapcore.DebugLevel)
	l := wrapLogger(zap.New(zapcore.NewSamplerWithOptions(core, time.Hour, 2, 0)), r)
	for range 3 {
		l.Info("same " + token)
	}
	if logs.Len() != 2 {
		t.Errorf("%d entries written, want the first 2", logs.Len())
	}
}

// failingShutdown is an exporter whose Shutdown fails as a queue drained
// to the source can: the error names the URL.
type failingShutdown struct {
	exporter.Logs
	err error
}

func (f failingShutdown) Shutdown(context.Context) error { return f.err }

// TestShutdownErrorHasNoURL: the wrapper redacts Shutdown's error as it
// does Start's and the sends'.
func TestShutdownErrorHasNoURL(t *testing.T) {
	endpoint := "https://collectors.sumologic.com/receiver/v1/http/" + token
	r := newRedactor(endpoint)
	cause := fmt.Errorf("draining the queue: Post %q: connection refused", endpoint)
	e := &logsExporter{Logs: failingShutdown{err: cause}, r: r}
	err := e.Shutdown(context.Background())
	if err == nil {
		t.Fatal("Shutdown's error is lost")
	}
	if strings.Contains(err.Error(), token) {
		t.Fatal("Shutdown's error holds the token") // not printed: a secret
	}
	if !errors.Is(err, cause) {
		t.Errorf("the error's chain is lost: %v", err)
	}
}
