// Package sumologicredactexporter is contrib's Sumo Logic exporter
// (exporter/sumologicexporter v0.145.0) under the same type, `sumologic`,
// with one change: what it logs, and the errors it returns to the pipeline,
// never show the HTTP source's URL, which holds the source's token (the
// README's secrets). Contrib logs the URL at info level on every start
// ("setting data urls"; its sanitizeURL hides OTLP tokens only), and a
// failed POST returns Go's `Post "<URL>": ...` error, which the
// exporterhelper and the receiver log and the health check shows.
//
// How: the contrib factory creates the exporter with a logger whose core
// rewrites the URL, its path and its token (redactingCore), and the
// exporter's Start and Consume errors are rewritten the same way
// (redactedError keeps the chain for consumererror). Everything else is
// contrib's: the config, its validation, the HTTP client, retries.
package sumologicredactexporter

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/sumologicexporter"
)

// NewFactory returns the factory of the `sumologic` exporter; it replaces
// contrib's in the distribution.
func NewFactory() exporter.Factory {
	contrib := sumologicexporter.NewFactory()
	return exporter.NewFactory(
		contrib.Type(),
		contrib.CreateDefaultConfig,
		exporter.WithLogs(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
			r, set := redacting(set, cfg)
			exp, err := contrib.CreateLogs(ctx, set, cfg)
			if err != nil {
				return nil, r.Error(err)
			}
			return &logsExporter{Logs: exp, r: r}, nil
		}, contrib.LogsStability()),
		exporter.WithMetrics(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
			r, set := redacting(set, cfg)
			exp, err := contrib.CreateMetrics(ctx, set, cfg)
			if err != nil {
				return nil, r.Error(err)
			}
			return &metricsExporter{Metrics: exp, r: r}, nil
		}, contrib.MetricsStability()),
		exporter.WithTraces(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
			r, set := redacting(set, cfg)
			exp, err := contrib.CreateTraces(ctx, set, cfg)
			if err != nil {
				return nil, r.Error(err)
			}
			return &tracesExporter{Traces: exp, r: r}, nil
		}, contrib.TracesStability()),
	)
}

// redacting returns the redactor of cfg's endpoint and set with a logger
// that applies it.
func redacting(set exporter.Settings, cfg component.Config) (*redactor, exporter.Settings) {
	r := newRedactor(cfg.(*sumologicexporter.Config).Endpoint)
	set.Logger = wrapLogger(set.Logger, r)
	return r, set
}

type logsExporter struct {
	exporter.Logs
	r *redactor
}

func (e *logsExporter) Start(ctx context.Context, host component.Host) error {
	return e.r.Error(e.Logs.Start(ctx, host))
}

// Shutdown drains the queue: its error can name the URL too.
func (e *logsExporter) Shutdown(ctx context.Context) error {
	return e.r.Error(e.Logs.Shutdown(ctx))
}

func (e *logsExporter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return e.r.Error(e.Logs.ConsumeLogs(ctx, ld))
}

type metricsExporter struct {
	exporter.Metrics
	r *redactor
}

func (e *metricsExporter) Start(ctx context.Context, host component.Host) error {
	return e.r.Error(e.Metrics.Start(ctx, host))
}

// Shutdown drains the queue: its error can name the URL too.
func (e *metricsExporter) Shutdown(ctx context.Context) error {
	return e.r.Error(e.Metrics.Shutdown(ctx))
}

func (e *metricsExporter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return e.r.Error(e.Metrics.ConsumeMetrics(ctx, md))
}

type tracesExporter struct {
	exporter.Traces
	r *redactor
}

func (e *tracesExporter) Start(ctx context.Context, host component.Host) error {
	return e.r.Error(e.Traces.Start(ctx, host))
}

// Shutdown drains the queue: its error can name the URL too.
func (e *tracesExporter) Shutdown(ctx context.Context) error {
	return e.r.Error(e.Traces.Shutdown(ctx))
}

func (e *tracesExporter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return e.r.Error(e.Traces.ConsumeTraces(ctx, td))
}

var (
	_ consumer.Logs    = (*logsExporter)(nil)
	_ consumer.Metrics = (*metricsExporter)(nil)
	_ consumer.Traces  = (*tracesExporter)(nil)
)
