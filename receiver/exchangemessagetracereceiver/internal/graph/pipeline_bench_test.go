package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/benchutil"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// BenchmarkPipeline is what the receiver does with one Graph page, in
// process: decode, dedup against the emitted-row keys (a fresh key set per
// page, as in a backfill where every row is new), map to LogRecords and
// commit the page's keys (to a no-op storage client: the file_storage write
// is measured by the whole-binary harness). Beside it, encoding/json
// decoding the same bytes into plain structs: the floor our conversion is
// compared against.
//
//	go test ./receiver/exchangemessagetracereceiver/internal/graph/ -run XXX -bench Pipeline -benchmem -count 6
func BenchmarkPipeline(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		body := benchPage(n)
		for _, format := range []logmap.BodyFormat{logmap.BodyJSON, logmap.BodyMap} {
			b.Run(fmt.Sprintf("rows=%d/stage=all/body=%s", n, format), func(b *testing.B) {
				m := logmap.New(logmap.Options{BodyFormat: format})
				res := benchResource()
				benchutil.MeasureRows(b, n, func() {
					d := newPageDecoder(testRange, MaxPageSize)
					page, err := d.Decode(body, nil)
					if err != nil {
						b.Fatal(err)
					}
					store, _ := checkpoint.Open(context.Background(), storage.NewNopClient(), "bench")
					if got := deliverPage(store, m, res, page, msgtrace.APIGraph); got != n {
						b.Fatalf("emitted %d rows, want %d", got, n)
					}
				})
			})
		}
		b.Run(fmt.Sprintf("rows=%d/stage=decode", n), func(b *testing.B) {
			benchutil.MeasureRows(b, n, func() {
				d := newPageDecoder(testRange, MaxPageSize)
				if _, err := d.Decode(body, nil); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(fmt.Sprintf("rows=%d/stage=dedup", n), func(b *testing.B) {
			d := newPageDecoder(testRange, MaxPageSize)
			page, _ := d.Decode(body, nil)
			benchutil.MeasureRows(b, n, func() {
				store, _ := checkpoint.Open(context.Background(), storage.NewNopClient(), "bench")
				txn := store.Keys.Begin()
				for i := range page.Rows {
					txn.Admit(&page.Rows[i])
				}
				_ = store.CommitPage(context.Background(), txn)
			})
		})
		for _, format := range []logmap.BodyFormat{logmap.BodyJSON, logmap.BodyMap} {
			b.Run(fmt.Sprintf("rows=%d/stage=map/body=%s", n, format), func(b *testing.B) {
				d := newPageDecoder(testRange, MaxPageSize)
				page, _ := d.Decode(body, nil)
				m := logmap.New(logmap.Options{BodyFormat: format})
				observed := pcommon.NewTimestampFromTime(time.Now())
				benchutil.MeasureRows(b, n, func() {
					lrs := plog.NewLogRecordSlice()
					lrs.EnsureCapacity(len(page.Rows))
					for i := range page.Rows {
						m.Append(lrs, &page.Rows[i], msgtrace.APIGraph, observed, "")
					}
				})
			})
		}
		b.Run(fmt.Sprintf("rows=%d/stage=encoding_json_floor", n), func(b *testing.B) {
			benchutil.MeasureRows(b, n, func() {
				var p plainPage
				if err := json.Unmarshal(body, &p); err != nil || len(p.Value) != n {
					b.Fatal(err)
				}
			})
		})
	}
}

// deliverPage is the receiver's deliver (poller.go) without telemetry.
func deliverPage(store *checkpoint.Store, m *logmap.Mapper, res pcommon.Resource, page *msgtrace.Page, api msgtrace.API) int {
	txn := store.Keys.Begin()
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	res.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver")
	records := sl.LogRecords()
	records.EnsureCapacity(len(page.Rows))
	observed := pcommon.NewTimestampFromTime(time.Now())
	for i := range page.Rows {
		row := &page.Rows[i]
		if emit, previous := txn.Admit(row); emit {
			m.Append(records, row, api, observed, previous)
		}
	}
	_ = store.CommitPage(context.Background(), txn)
	return records.Len()
}

func benchResource() pcommon.Resource {
	res := pcommon.NewResource()
	res.Attributes().PutStr("cloud.provider", "azure")
	res.Attributes().PutStr("microsoft.tenant.id", "6babcaad-604b-40ac-a9d7-9fd97c0b779f")
	res.Attributes().PutStr("exchange.message_trace.api", "graph")
	return res
}
