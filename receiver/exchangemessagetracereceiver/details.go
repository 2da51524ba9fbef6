package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/detailevents"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

// maxLookupAttempts is how many polls in a row a lookup may fail (other
// than for the budget) before it is given up: one row Microsoft cannot
// answer for must not hold the tenant's queue for ever.
const maxLookupAttempts = 3

// detailsFetcher looks up one row's detail events (graph.DetailsClient).
type detailsFetcher interface {
	Fetch(ctx context.Context, traceID, recipient string) ([]detailevents.Event, error)
}

// tenantDetails is one tenant's detail collection: which rows qualify,
// the client that spends the details' share of the budget, and the
// mapping of the events.
type tenantDetails struct {
	cfg      DetailsConfig
	client   detailsFetcher
	mapper   *detailevents.Mapper
	staged   []checkpoint.Lookup // the chosen rows of the page being delivered
	failures int                 // polls in a row the oldest lookup failed
}

// newTenantDetails is a tenant's detail collection with cfg's statuses
// trimmed once (stage runs for every emitted row).
func newTenantDetails(cfg DetailsConfig, client detailsFetcher, mapper *detailevents.Mapper) *tenantDetails {
	statuses := make([]string, len(cfg.Statuses))
	for i, s := range cfg.Statuses {
		statuses[i] = strings.TrimSpace(s)
	}
	cfg.Statuses = statuses
	return &tenantDetails{cfg: cfg, client: client, mapper: mapper}
}

// chosen tells whether a row in status gets its details looked up.
func (d *tenantDetails) chosen(status string) bool {
	for _, s := range d.cfg.Statuses {
		if strings.EqualFold(s, status) {
			return true
		}
	}
	return false
}

// stage notes an emitted row whose details are to be looked up once its
// page is accepted (pagelogs.Builder.Emitted).
func (d *tenantDetails) stage(row *msgtrace.Row) {
	if d.chosen(row.Status) {
		d.staged = append(d.staged, checkpoint.Lookup{TraceID: row.ID, Recipient: row.RecipientAddress,
			MessageID: row.MessageID, Status: row.Status, Received: row.Received})
	}
}

// queueStaged adds the staged lookups of an accepted page to the queue the
// page's write stores.
func (p *poller) queueStaged(ctx context.Context) {
	d := p.details
	if d == nil || len(d.staged) == 0 {
		return
	}
	if dropped := p.store.QueueLookups(d.staged, d.cfg.MaxPending); dropped > 0 {
		p.telemetry.ReceiverExchangeMessageTraceDetailsDropped.Add(ctx, int64(dropped), p.tenantOnly)
		p.logger.Warn("detail lookups dropped: the tenant's queue is full (details.max_pending); the oldest go unanswered, their rows were delivered. Raise details.max_requests_per_5m or details.max_pending, or choose fewer details.statuses",
			zap.Int("dropped", dropped), zap.Int("max_pending", d.cfg.MaxPending))
	}
	d.staged = d.staged[:0]
}

// lookUpDetails answers queued lookups, oldest first, while the details'
// share of the budget lasts; it never waits for the budget, so the next
// poll's list calls are never late for it. It returns only storage errors:
// a lookup that fails stays queued for the next poll.
func (p *poller) lookUpDetails(ctx context.Context) error {
	d := p.details
	if d == nil {
		return nil
	}
	defer p.recordPending(ctx)
	for ctx.Err() == nil {
		lk, ok := p.store.NextLookup()
		if !ok {
			return nil
		}
		events, err := d.client.Fetch(ctx, lk.TraceID, lk.Recipient)
		outcome := p.judgeLookup(ctx, lk, err)
		switch outcome {
		case lookupStop:
			return nil
		case lookupAnswered:
			if len(events) > 0 {
				if err := p.deliverEvents(lk, events); err != nil {
					p.logger.Warn("the pipeline refused detail events; the lookup stays queued", zap.Error(err))
					return nil
				}
			}
		case lookupGivenUp:
			p.telemetry.ReceiverExchangeMessageTraceDetailsDropped.Add(ctx, 1, p.tenantOnly)
		}
		p.store.LookupDone()
		p.telemetry.ReceiverExchangeMessageTraceDetailsLookups.Add(ctx, 1, metric.WithAttributes(p.tenantAttr, attribute.String("outcome", string(outcome))))
		if err := p.store.Save(p.deliveryCtx); err != nil {
			return err
		}
	}
	return nil
}

// lookupOutcome is what a lookup's answer means for the queue.
type lookupOutcome string

const (
	lookupAnswered lookupOutcome = "ok"
	lookupNotFound lookupOutcome = "not_found" // Microsoft has no details for the row: an answer
	lookupGivenUp  lookupOutcome = "failed"    // failed on every attempt: dropped
	lookupStop     lookupOutcome = ""          // the poll's lookups end here; the lookup stays queued
)

// judgeLookup reads a lookup's error: the share spent, the tenant
// throttled or the poll ending stop the poll's lookups; another failure
// stops them too, until the lookup has failed maxLookupAttempts polls in a
// row and is given up.
func (p *poller) judgeLookup(ctx context.Context, lk checkpoint.Lookup, err error) lookupOutcome {
	d := p.details
	switch kind, _ := msgtrace.KindOf(err); {
	case err == nil:
		d.failures = 0
		return lookupAnswered
	case isNotFound(err):
		d.failures = 0
		return lookupNotFound
	case ctx.Err() != nil:
		return lookupStop
	case errors.Is(err, throttle.ErrShareSpent) || kind == msgtrace.KindThrottled:
		p.telemetry.ReceiverExchangeMessageTraceDetailsThrottled.Add(ctx, 1, p.tenantOnly)
		return lookupStop
	}
	d.failures++
	if d.failures < maxLookupAttempts {
		p.logger.Warn("a detail lookup failed; it is tried again next poll", zap.String("trace_id", lk.TraceID), zap.Int("attempt", d.failures), zap.Error(err))
		return lookupStop
	}
	d.failures = 0
	p.logger.Warn("detail lookups dropped: a lookup failed on every attempt and is given up; its row was delivered",
		zap.String("trace_id", lk.TraceID), zap.Int("attempts", maxLookupAttempts), zap.Error(err))
	return lookupGivenUp
}

func isNotFound(err error) bool {
	var apiErr *msgtrace.APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
}

// deliverEvents sends one lookup's events to the pipeline, under the
// tenant's resource, in a scope of their own.
func (p *poller) deliverEvents(lk checkpoint.Lookup, events []detailevents.Event) error {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	p.pages.Resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	p.details.mapper.Append(sl.LogRecords(), detailevents.Lookup{TraceID: lk.TraceID, Recipient: lk.Recipient,
		MessageID: lk.MessageID, Status: lk.Status, Received: lk.Received}, events, pcommon.NewTimestampFromTime(p.now()))
	n := logs.LogRecordCount()
	obsCtx := p.obs.StartLogsOp(p.deliveryCtx)
	err := p.next.ConsumeLogs(obsCtx, logs)
	p.obs.EndLogsOp(obsCtx, metadata.Type.String(), n, err)
	if err == nil {
		p.telemetry.ReceiverExchangeMessageTraceDetailsEvents.Add(context.Background(), int64(n), p.tenantOnly)
	}
	return err
}

func (p *poller) recordPending(ctx context.Context) {
	p.telemetry.ReceiverExchangeMessageTraceDetailsPending.Record(ctx, int64(p.store.PendingLookups()), p.tenantOnly)
}
