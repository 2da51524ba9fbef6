package exchangemessagetracereceiver

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/pagelogs"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/window"
)

// maxSkipTokenRestarts bounds how often one range is restarted from its first
// page after the API refused its own nextLink (a known Graph defect).
const maxSkipTokenRestarts = 3

// poller runs the two passes over one Source: the live pass reads new
// time, the settling pass re-reads time once it is final. It is driven by
// the receiver's poll loop, one poll at a time.
type poller struct {
	cfg       *Config
	source    msgtrace.Source
	store     *checkpoint.Store
	pages     *pagelogs.Builder
	next      consumer.Logs
	obs       *receiverhelper.ObsReport
	telemetry *metadata.TelemetryBuilder
	// tenantAttr tags every metric with the tenant (microsoft.tenant.id);
	// tenantOnly is it as a measurement option, made once (an attribute
	// set is sorted and allocated each time one is made).
	tenantAttr attribute.KeyValue
	tenantOnly metric.MeasurementOption
	logger     *zap.Logger
	now        func() time.Time

	// deliveryCtx carries a page through the pipeline and into storage. It
	// outlives the poll's context: a shutdown stops fetching at once but lets
	// the page in flight finish, so it is neither cut off mid-export (and then
	// sent again after the restart) nor lost. The receiver cancels it only
	// when the shutdown's own deadline runs out.
	deliveryCtx context.Context

	// rangeRows counts the rows emitted by the range being read, for its log line.
	rangeRows int

	// details looks up the detail events of chosen rows (nil when off).
	details *tenantDetails

	// lease is the leadership term's gate (nil without leader election):
	// a page is delivered only while this replica holds the lease.
	lease *leaseGate
}

// poll runs the live pass up to now - delay, then the settling pass when
// enough settled time has accumulated (each range forgets the keys no later
// range can meet as soon as it is delivered), then the detail lookups.
func (p *poller) poll(ctx context.Context) error {
	now := p.now()
	p.initCursors(ctx, now)

	liveEnd := window.LiveEnd(now, p.cfg.Delay)
	err := p.runPass(ctx, checkpoint.Live, liveEnd)
	p.recordLag(ctx, liveEnd)
	if err != nil {
		return err
	}
	if p.cfg.Settle > 0 {
		settle := p.store.Cursor(checkpoint.Settle)
		end := window.SettleEnd(p.now(), p.cfg.Settle, p.store.Cursor(checkpoint.Live).At)
		if settle.Range != nil || end.Sub(settle.At) >= window.SettleStep(p.cfg.Settle) {
			if err := p.runPass(ctx, checkpoint.Settle, end); err != nil {
				return err
			}
		}
	}
	// Details come last, in what the poll's list calls left.
	return p.lookUpDetails(ctx)
}

// initCursors places the cursors of a first run, and moves cursors that an
// outage left behind Microsoft's retention edge.
func (p *poller) initCursors(ctx context.Context, now time.Time) {
	live, settle := p.store.Cursor(checkpoint.Live), p.store.Cursor(checkpoint.Settle)
	if live.At.IsZero() && live.Range == nil {
		start, clamped := window.InitialStart(now, p.cfg.InitialLookback)
		if clamped {
			p.logger.Warn("initial_lookback reaches past the 90 days Microsoft keeps; starting at the oldest time the API accepts",
				zap.Duration("initial_lookback", p.cfg.InitialLookback), zap.Time("start", start))
		}
		live.At, settle.At = start, start
		p.logger.Info("first run: collecting from initial_lookback", zap.Time("start", start))
		p.save(ctx)
		return
	}
	for _, cur := range []*checkpoint.Cursor{live, settle} {
		if at, moved := window.ClampToRetention(cur.At, now); moved {
			p.logger.Error("the cursor is older than the 90 days Microsoft keeps: rows before the new start are no longer available and are lost",
				zap.Time("cursor", cur.At), zap.Time("new_start", at))
			// A range in flight that starts before the edge would be refused by the API forever.
			cur.At, cur.Range = at, nil
		}
	}
}

// pruneBefore is the oldest time a range still to be read may start at:
// keys of rows received before it can no longer match anything.
func (p *poller) pruneBefore() time.Time {
	oldest := p.store.Cursor(checkpoint.Live).At
	if p.cfg.Settle > 0 {
		if s := p.store.Cursor(checkpoint.Settle).At; s.Before(oldest) {
			oldest = s
		}
	}
	return oldest
}

// runPass reads the pass's ranges up to end, oldest first, resuming a range
// left in flight. It stops at the first failure, with the cursor on the
// last delivered page.
func (p *poller) runPass(ctx context.Context, pass checkpoint.Pass, end time.Time) error {
	if err := p.saveBeforeReading(); err != nil {
		return err
	}
	cur := p.store.Cursor(pass)
	restarts := 0
	for {
		if cur.Range == nil {
			ranges := window.Split(cur.At, end, p.cfg.maxWindow())
			if len(ranges) == 0 {
				return nil
			}
			cur.Range = &checkpoint.InFlight{Start: ranges[0].Start, End: ranges[0].End}
			p.rangeRows = 0
		}
		r := msgtrace.Range{Start: cur.Range.Start, End: cur.Range.End}
		readAt := p.now()
		err := p.source.FetchPages(ctx, r, cur.Range.NextLink, func(page *msgtrace.Page) error {
			return p.deliver(ctx, pass, r, readAt, page)
		})
		if kind, ok := msgtrace.KindOf(err); ok && kind == msgtrace.KindBadSkipToken && restarts < maxSkipTokenRestarts {
			restarts++
			p.logger.Warn("the API refused its own next-page link; reading the range again from its first page (rows already delivered are skipped)",
				zap.String("pass", string(pass)), zap.Time("start", r.Start), zap.Time("end", r.End), zap.Error(err))
			cur.Range.NextLink = ""
			continue
		}
		if err != nil {
			return err
		}
		if cur.Range != nil { // the source returned without a last page
			p.finishRange(pass, r, readAt)
			p.save(ctx)
		}
		restarts = 0
		// Forget keys no later range can meet after every range, not once a
		// poll: a backfill of weeks is one poll, and memory must stay bounded
		// by a range, not by the backfill.
		if err := p.store.Prune(ctx, p.pruneBefore()); err != nil {
			return err
		}
	}
}

// saveBeforeReading writes what an earlier failed write left in memory
// only (pages' keys, the cursor past them) before any page is read, and
// refuses to read one while storage still refuses the write: a page
// delivered then could not be recorded either, and a crash would send
// every such page again, where only the page in flight may be. (Within a
// pass, a failed commit already ends the pass: deliver's error stops the
// source.)
func (p *poller) saveBeforeReading() error {
	if !p.store.Dirty() {
		return nil
	}
	if err := p.store.Save(p.deliveryCtx); err != nil {
		return fmt.Errorf("no page is read until the checkpoint of the pages already delivered is saved: %w", err)
	}
	return nil
}

// deliver filters one page through the emitted-row keys, sends what is new
// to the pipeline and, only once the pipeline accepted it, records the
// page's keys, the pass's position and the detail lookups of its chosen
// rows in one storage write.
func (p *poller) deliver(ctx context.Context, pass checkpoint.Pass, r msgtrace.Range, readAt time.Time, page *msgtrace.Page) error {
	if page.Malformed > 0 {
		p.telemetry.ReceiverExchangeMessageTraceRowsMalformed.Add(ctx, int64(page.Malformed), p.tenantOnly)
		p.logger.Warn("skipped malformed rows", zap.Int("rows", page.Malformed), zap.Errors("reasons", page.MalformedErrors))
	}
	if p.details != nil {
		p.details.staged = p.details.staged[:0] // a page refused before leaves no lookups
	}
	txn := p.store.Keys.Begin()
	// A page not committed (the pipeline refused it) must leave no keys,
	// or its rows would be dropped as duplicates when it is read again.
	defer txn.Discard()
	logs, duplicates := p.pages.Build(txn, page, pcommon.NewTimestampFromTime(p.now()))
	if duplicates > 0 {
		p.telemetry.ReceiverExchangeMessageTraceRowsDeduplicated.Add(ctx, int64(duplicates), p.tenantOnly)
	}
	if n := logs.LogRecordCount(); n > 0 {
		// A page read before a pause past the lease is the next leader's
		// to deliver: sent now it would only be a duplicate.
		if err := p.lease.check(p.deliveryCtx); err != nil {
			return err
		}
		obsCtx := p.obs.StartLogsOp(p.deliveryCtx)
		err := p.next.ConsumeLogs(obsCtx, logs)
		p.obs.EndLogsOp(obsCtx, metadata.Type.String(), n, err)
		if err != nil {
			return fmt.Errorf("the pipeline refused %d rows (the cursor stays; the page is read again on the next attempt): %w", n, err)
		}
		p.telemetry.ReceiverExchangeMessageTraceRowsEmitted.Add(ctx, int64(n), metric.WithAttributes(p.tenantAttr, attribute.String("pass", string(pass))))
		p.rangeRows += n
		p.queueStaged(ctx)
	}
	cur := p.store.Cursor(pass)
	cur.Range.Pages++
	cur.Range.NextLink = page.NextLink
	if page.NextLink == "" {
		p.finishRange(pass, r, readAt)
	}
	return p.store.CommitPage(p.deliveryCtx, txn)
}

// finishRange moves the pass's cursor to the range end. A live range read
// when it was already `settle` old needs no re-read: the settling cursor
// follows it, so a backfill is not read twice.
func (p *poller) finishRange(pass checkpoint.Pass, r msgtrace.Range, readAt time.Time) {
	cur := p.store.Cursor(pass)
	// While catching up (a backfill, or after an outage) each range is news
	// for the operator; in steady state it is routine.
	log := p.logger.Debug
	if readAt.Sub(r.End) > p.cfg.Delay+p.cfg.PollInterval {
		log = p.logger.Info
	}
	log("range collected", zap.String("pass", string(pass)), zap.Time("start", r.Start), zap.Time("end", r.End),
		zap.Int("pages", cur.Range.Pages), zap.Int("rows_emitted", p.rangeRows), zap.Duration("behind", readAt.Sub(r.End).Truncate(time.Second)))
	p.rangeRows = 0
	cur.At, cur.Range = r.End, nil
	if pass != checkpoint.Live {
		return
	}
	settle := p.store.Cursor(checkpoint.Settle)
	if settle.Range == nil && !settle.At.Before(r.Start) && settle.At.Before(r.End) &&
		(p.cfg.Settle == 0 || readAt.Sub(r.End) >= p.cfg.Settle) {
		settle.At = r.End
	}
}

func (p *poller) save(ctx context.Context) {
	if err := p.store.Save(ctx); err != nil {
		p.logger.Error("could not save the checkpoint", zap.Error(err))
	}
}

// recordLag reports how far the live cursor is behind now and behind the
// newest time it may reach.
func (p *poller) recordLag(ctx context.Context, liveEnd time.Time) {
	at := p.store.Cursor(checkpoint.Live).At
	p.telemetry.ReceiverExchangeMessageTraceCursorLag.Record(ctx, p.now().Sub(at).Seconds(), p.tenantOnly)
	p.telemetry.ReceiverExchangeMessageTraceBacklog.Record(ctx, max(liveEnd.Sub(at), 0).Seconds(), p.tenantOnly)
}

// idle gives back what only a poll in progress needs (page scratch of the
// key store, the mapper's string block), so an idle tenant costs its state
// and little else.
func (p *poller) idle() {
	p.store.Keys.Idle()
	p.pages.Mapper.Idle()
}
