package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// refusingStorage is the real file_storage client whose writes fail while
// down is set (a full disk, EIO, a read-only remount); reads still work.
type refusingStorage struct {
	storage.Client
	down atomic.Bool
}

var errDiskFull = errors.New("write /var/lib/otelcol/receiver_exchange_message_trace_: no space left on device")

func (r *refusingStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		if op.Type != storage.Get && r.down.Load() {
			return errDiskFull
		}
	}
	return r.Client.Batch(ctx, ops...)
}

func (r *refusingStorage) Set(ctx context.Context, key string, value []byte) error {
	return r.Batch(ctx, storage.SetOperation(key, value))
}

func (r *refusingStorage) Delete(ctx context.Context, key string) error {
	return r.Batch(ctx, storage.DeleteOperation(key))
}

// realFileStorage is the file_storage extension's client on dir.
func realFileStorage(t *testing.T, dir string) storage.Client {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	client, err := ext.(storage.Extension).GetClient(context.Background(), component.KindReceiver, component.MustNewID("exchange_message_trace"), "")
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, client.Close(context.Background()))
		assert.NoError(t, ext.Shutdown(context.Background()))
	})
	return client
}

// outageRowID marks the rows of the outage tests, to tell them apart in
// the delivered records.
const outageRowID = "outage-row-"

// deliveredIDs counts the delivered records by row id (the body's "id").
func deliveredIDs(sink *consumertest.LogsSink) map[string]int {
	ids := map[string]int{}
	for _, ld := range sink.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if id, ok := lr.Body().Map().Get("id"); ok && strings.HasPrefix(id.Str(), outageRowID) {
						ids[id.Str()]++
					}
				}
			}
		}
	}
	return ids
}

// TestPollerReadsNoPageWhileStorageRefusesWrites: a storage that refuses
// writes (no lease gate: a single replica on file_storage) stops the
// reading after the page whose commit failed, poll after poll; once the
// storage takes writes again every row is delivered exactly once, and a
// crash during the outage sends again at most the page in flight.
func TestPollerReadsNoPageWhileStorageRefusesWrites(t *testing.T) {
	const pages, rowsPerPage, outagePolls = 12, 3, 5
	start := pollerNow.Add(-time.Hour)
	rowsOf := func(n int) []msgtrace.Row {
		rows := make([]msgtrace.Row, rowsPerPage)
		for i := range rows {
			id := fmt.Sprintf("%s%03d", outageRowID, n*rowsPerPage+i)
			rows[i] = row(id, start.Add(time.Duration(n*rowsPerPage+i)*time.Minute))
		}
		return rows
	}

	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash during the outage %v", crash), func(t *testing.T) {
			ctx := context.Background()
			client := &refusingStorage{Client: realFileStorage(t, t.TempDir())}
			var served atomic.Int64 // pages handed to the poller
			src := &fakeSource{script: func(_ int, _ msgtrace.Range, resume string, onPage func(*msgtrace.Page) error) error {
				first := 0
				if resume != "" {
					_, err := fmt.Sscanf(resume, "https://graph.microsoft.com/page/%d", &first)
					require.NoError(t, err)
				}
				for n := first; n < pages; n++ {
					if n == 3 && !client.down.Load() && served.Load() == 3 {
						client.down.Store(true) // the disk fills while page 3 is read
					}
					next := ""
					if n+1 < pages {
						next = fmt.Sprintf("https://graph.microsoft.com/page/%d", n+1)
					}
					served.Add(1)
					if err := onPage(page(next, rowsOf(n)...)); err != nil {
						return err
					}
				}
				return nil
			}}
			cfg := pollerConfig()
			sink := new(consumertest.LogsSink)
			newPoller := func() *testPoller {
				tp := newTestPoller(t, cfg, src, sink)
				store, err := checkpoint.Open(ctx, client, checkpointPrefix(cfg))
				require.NoError(t, err)
				tp.store = store
				return tp
			}

			tp := newPoller()
			err := tp.poll(ctx)
			require.ErrorIs(t, err, errDiskFull)
			require.EqualValues(t, 4, served.Load(), "the poll stops at the page whose commit failed")
			for range outagePolls {
				require.ErrorIs(t, tp.poll(ctx), errDiskFull)
			}
			t.Logf("pages read and delivered during the outage (%d polls after the one it began in): %d",
				outagePolls, served.Load()-3)
			assert.EqualValues(t, 4, served.Load(), "no page is read while the checkpoint cannot be saved")

			client.down.Store(false)
			if crash {
				tp = newPoller() // a restart reads what storage kept
			}
			require.NoError(t, tp.poll(ctx))

			ids := deliveredIDs(sink)
			repeated := 0
			for n := range pages * rowsPerPage {
				id := fmt.Sprintf("%s%03d", outageRowID, n)
				require.Positive(t, ids[id], "row %s lost", id)
				repeated += ids[id] - 1
			}
			t.Logf("rows sent again: %d (a page is %d rows)", repeated, rowsPerPage)
			if crash {
				assert.LessOrEqual(t, repeated, rowsPerPage, "a crash sends again at most the page in flight")
			} else {
				assert.Zero(t, repeated, "rows sent again")
			}
		})
	}
}
