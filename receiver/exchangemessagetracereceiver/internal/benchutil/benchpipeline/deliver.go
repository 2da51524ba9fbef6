// Package benchpipeline runs a decoded page through the receiver's own page
// builder and key store for the in-process benchmarks. It is apart from
// benchutil because it imports logmap, whose own benchmarks use benchutil.
package benchpipeline

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/pagelogs"
)

// DeliverPage is what the receiver does with a decoded page once the
// pipeline accepts it, without telemetry: admit the rows through a fresh
// key set (as in a backfill, where every row is new), build the logs with
// the receiver's own builder, and commit the keys to a no-op storage client
// (the file_storage write is measured by the whole-binary harness). It
// returns how many records were built.
func DeliverPage(b *pagelogs.Builder, page *msgtrace.Page) int {
	store, err := checkpoint.Open(context.Background(), storage.NewNopClient(), "bench")
	if err != nil {
		panic(err)
	}
	txn := store.Keys.Begin()
	logs, _ := b.Build(txn, page, pcommon.NewTimestampFromTime(time.Now()))
	_ = store.CommitPage(context.Background(), txn)
	return logs.LogRecordCount()
}
