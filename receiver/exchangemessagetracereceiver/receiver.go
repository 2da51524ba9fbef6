package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
)

// messageTraceReceiver is the component's lifecycle: Start wires the parts
// (storage, checkpoint, HTTP and token client, API client, page builder)
// into a poller and runs it on its own goroutine; Shutdown stops it.
type messageTraceReceiver struct {
	cfg      *Config
	settings receiver.Settings
	next     consumer.Logs
	obs      *receiverhelper.ObsReport
	// newTicker makes the poll ticker; tests inject one they fire by hand.
	newTicker func(time.Duration) ticker
	// now is the poller's clock; tests fix it to replay recorded pages.
	now func() time.Time

	telemetry      *metadata.TelemetryBuilder
	storage        storage.Client
	http           *http.Client
	cancel         context.CancelFunc
	cancelDelivery context.CancelFunc
	wg             sync.WaitGroup
}

// ticker is the part of *time.Ticker the poll loop uses.
type ticker interface {
	C() <-chan time.Time
	Stop()
}

type wallTicker struct{ *time.Ticker }

func (t wallTicker) C() <-chan time.Time { return t.Ticker.C }

func newWallTicker(d time.Duration) ticker { return wallTicker{time.NewTicker(d)} }

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*messageTraceReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "https",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &messageTraceReceiver{cfg: cfg, settings: set, next: next, obs: obs, newTicker: newWallTicker, now: time.Now}, nil
}

func (r *messageTraceReceiver) Start(ctx context.Context, host component.Host) error {
	p, err := r.newPoller(ctx, host)
	if err != nil {
		return err
	}
	r.startPolling(host, p)
	return nil
}

// startPolling runs p on its own goroutine until Shutdown.
func (r *messageTraceReceiver) startPolling(host component.Host, p *poller) {
	// Never keep Start's context: it ends when Start returns.
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	p.deliveryCtx, r.cancelDelivery = context.WithCancel(context.Background())
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(runCtx, host, p)
	}()
}

// newPoller opens what the poller needs, keeping on r what Shutdown closes.
func (r *messageTraceReceiver) newPoller(ctx context.Context, host component.Host) (*poller, error) {
	logger := r.settings.Logger
	tel, err := metadata.NewTelemetryBuilder(r.settings.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	r.telemetry = tel

	client, err := openStorage(ctx, host, r.cfg.StorageID, r.settings.ID, logger)
	if err != nil {
		return nil, err
	}
	r.storage = client
	store, err := checkpoint.Open(ctx, client, checkpointPrefix(r.cfg), checkpoint.WithLogger(logger))
	if err != nil {
		return nil, err
	}

	httpClient, err := r.buildHTTPClient(ctx, host, client)
	if err != nil {
		return nil, err
	}
	r.http = httpClient
	source := newSource(r.cfg, httpClient, openBudget(r.cfg, store), tel, logger)
	return &poller{
		cfg:       r.cfg,
		source:    source,
		store:     store,
		pages:     newPageBuilder(r.cfg, source.API()),
		next:      r.next,
		obs:       r.obs,
		telemetry: tel,
		logger:    logger,
		now:       r.now,
	}, nil
}

// run polls once at start, then every poll_interval, until Shutdown.
func (r *messageTraceReceiver) run(ctx context.Context, host component.Host, p *poller) {
	tick := r.newTicker(r.cfg.PollInterval)
	defer tick.Stop()
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
		case <-tick.C():
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
