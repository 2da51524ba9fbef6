package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
)

// messageTraceReceiver wires the parts together: HTTP client and token
// source, API client, checkpoint, mapper, and the poll loop.
type messageTraceReceiver struct {
	cfg      *Config
	settings receiver.Settings
	next     consumer.Logs
	obs      *receiverhelper.ObsReport

	telemetry      *metadata.TelemetryBuilder
	storage        storageCloser
	http           *http.Client
	cancel         context.CancelFunc
	cancelDelivery context.CancelFunc
	wg             sync.WaitGroup
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*messageTraceReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "https",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &messageTraceReceiver{cfg: cfg, settings: set, next: next, obs: obs}, nil
}

func (r *messageTraceReceiver) Start(ctx context.Context, host component.Host) error {
	logger := r.settings.Logger
	tel, err := metadata.NewTelemetryBuilder(r.settings.TelemetrySettings)
	if err != nil {
		return err
	}
	r.telemetry = tel

	client, err := openStorage(ctx, host, r.cfg.StorageID, r.settings.ID, logger)
	if err != nil {
		return err
	}
	r.storage = client
	store, err := checkpoint.Open(ctx, client, checkpointPrefix(r.cfg), checkpoint.WithLogger(logger))
	if err != nil {
		return err
	}

	httpClient, err := r.buildHTTPClient(ctx, host, client)
	if err != nil {
		return err
	}
	r.http = httpClient
	source := newSource(r.cfg, httpClient, openBudget(r.cfg, store), tel, logger)

	fieldNames, _ := logmap.ParseFieldNames(r.cfg.FieldNames)
	bodyFormat, _ := logmap.ParseBodyFormat(r.cfg.BodyFormat)
	p := &poller{
		cfg:       r.cfg,
		source:    source,
		store:     store,
		mapper:    logmap.New(logmap.Options{FieldNames: fieldNames, BodyFormat: bodyFormat, Organization: r.cfg.Organization}),
		next:      r.next,
		obs:       r.obs,
		telemetry: tel,
		logger:    logger,
		resource:  newResource(r.cfg),
		now:       time.Now,
	}

	// Never keep Start's context: it ends when Start returns.
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	p.deliveryCtx, r.cancelDelivery = context.WithCancel(context.Background())
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(runCtx, host, p)
	}()
	return nil
}

// run polls once at start, then every poll_interval, until Shutdown.
func (r *messageTraceReceiver) run(ctx context.Context, host component.Host, p *poller) {
	ticker := time.NewTicker(r.cfg.PollInterval)
	defer ticker.Stop()
	health := statusReporter{host: host, logger: r.settings.Logger}
	for {
		err := p.poll(ctx)
		if (err != nil || ctx.Err() != nil) && p.deliveryCtx.Err() == nil {
			// Pages store the request budget as they commit; the sends of
			// failed requests and a Retry-After pause come after the last
			// one and must outlive a restart too.
			p.save(p.deliveryCtx)
		}
		if ctx.Err() != nil {
			return
		}
		health.report(err)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Shutdown stops fetching at once and waits for the page in flight to be
// delivered and recorded, until ctx ends; then it abandons that page (it is
// read again after the restart).
func (r *messageTraceReceiver) Shutdown(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel()
		stopped := make(chan struct{})
		go func() { r.wg.Wait(); close(stopped) }()
		select {
		case <-stopped:
		case <-ctx.Done():
			r.cancelDelivery()
			<-stopped
		}
		r.cancelDelivery()
	}
	if r.http != nil {
		r.http.CloseIdleConnections()
	}
	var errs []error
	if r.storage != nil {
		errs = append(errs, r.storage.Close(ctx))
	}
	if r.telemetry != nil {
		r.telemetry.Shutdown()
	}
	return errors.Join(errs...)
}

// statusReporter turns poll outcomes into component status events, once per
// change, and logs failures with what the operator should do.
type statusReporter struct {
	host   component.Host
	logger *zap.Logger
	failed bool
	last   string
}

func (s *statusReporter) report(err error) {
	if err == nil {
		if s.failed || s.last == "" {
			componentstatus.ReportStatus(s.host, componentstatus.NewEvent(componentstatus.StatusOK))
			if s.failed {
				s.logger.Info("message trace collection recovered")
			}
		}
		s.failed, s.last = false, "ok"
		return
	}
	if isOperatorError(err) {
		s.logger.Error("message trace collection needs attention; retrying every poll_interval", zap.Error(err))
	} else {
		s.logger.Warn("message trace poll failed; the cursor did not move and the next poll resumes where it stopped", zap.Error(err))
	}
	componentstatus.ReportStatus(s.host, componentstatus.NewRecoverableErrorEvent(err))
	s.failed, s.last = true, err.Error()
}

// newResource describes where the rows come from.
func newResource(cfg *Config) pcommon.Resource {
	res := pcommon.NewResource()
	attrs := res.Attributes()
	attrs.PutStr("cloud.provider", "azure")
	attrs.PutStr("microsoft.tenant.id", cfg.TenantID)
	attrs.PutStr("exchange.message_trace.api", cfg.API)
	return res
}

// checkpointPrefix is where the receiver's state is stored: everything of
// one tenant and API under one prefix (checkpoint.Prefix).
func checkpointPrefix(cfg *Config) string { return checkpoint.Prefix(cfg.API, cfg.TenantID) }
