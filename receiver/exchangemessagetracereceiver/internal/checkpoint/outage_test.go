package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// outageClient is the real file_storage client whose Batch fails while down
// is set, as db_storage's does while PostgreSQL is stopped; reads still
// work (a restart reads what was written before and after the outage).
type outageClient struct {
	storage.Client
	down atomic.Bool
}

var errStorageDown = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func (c *outageClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if c.down.Load() {
		return errStorageDown
	}
	return c.Client.Batch(ctx, ops...)
}

// deliverPage admits rows as one page (as pagelogs.Build does), moves the
// pass's cursor past them and commits; it returns the rows emitted.
func deliverPage(t *testing.T, s *Store, pass Pass, rows []msgtrace.Row, at time.Time) (emitted int, err error) {
	t.Helper()
	txn := s.Keys.Begin()
	defer txn.Discard()
	for i := range rows {
		if emit, _ := txn.Admit(&rows[i]); emit {
			emitted++
		}
	}
	s.Cursor(pass).At = at
	return emitted, s.CommitPage(context.Background(), txn)
}

func pageRows(page int, start time.Time, status string) []msgtrace.Row {
	rows := make([]msgtrace.Row, 50)
	for i := range rows {
		// Page 2 straddles an hour, so its keys go to two buckets.
		rows[i] = row(fmt.Sprintf("p%d-m%d", page, i), "a@x.com", status, start.Add(time.Duration(page*50+i)*40*time.Second))
	}
	return rows
}

// TestOutageRepeatsNothing: pages delivered while the storage refuses
// writes are recorded by the first write that succeeds, so that a
// restart from storage (a new leader's) re-reading that time (the settling
// pass) emits none of their rows again, and the chunk count stored names
// only chunks that exist.
func TestOutageRepeatsNothing(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// after the outage: what the first write that succeeds is
		after func(t *testing.T, s *Store)
	}{
		{"a page", func(t *testing.T, s *Store) {
			n, err := deliverPage(t, s, Live, pageRows(5, start, "delivered"), start.Add(4*time.Hour))
			require.NoError(t, err)
			require.Equal(t, 50, n)
		}},
		{"a cursor save", func(t *testing.T, s *Store) { require.NoError(t, s.Save(ctx)) }},
		{"an empty page", func(t *testing.T, s *Store) {
			_, err := deliverPage(t, s, Live, nil, start.Add(4*time.Hour))
			require.NoError(t, err)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &outageClient{Client: openFileStorage(t, t.TempDir())}
			leader, err := Open(ctx, client, "v1/graph/tenant")
			require.NoError(t, err)

			pages := make([][]msgtrace.Row, 5)
			for p := range pages {
				pages[p] = pageRows(p, start, "delivered")
			}
			_, err = deliverPage(t, leader, Live, pages[0], start.Add(time.Hour))
			require.NoError(t, err)
			client.down.Store(true)
			for p := 1; p < len(pages); p++ {
				n, err := deliverPage(t, leader, Live, pages[p], start.Add(time.Duration(p+1)*time.Hour))
				require.ErrorIs(t, err, errStorageDown)
				require.Equal(t, 50, n, "page %d is delivered during the outage", p)
			}
			client.down.Store(false)
			tt.after(t, leader)

			// A new leader (or a restart) reads the state from storage.
			next, err := Open(ctx, client, "v1/graph/tenant")
			require.NoError(t, err)
			assert.Equal(t, leader.Keys.Len(), next.Keys.Len(), "every key in memory is in storage")
			for bucket, n := range next.State.Chunks {
				for i := range n {
					raw, err := client.Get(ctx, next.chunkKey(bucket, i))
					require.NoError(t, err)
					assert.NotEmpty(t, raw, "chunk %d of bucket %d is counted, so it must be stored", i, bucket)
				}
			}
			// The settling pass re-reads the outage's time: nothing is new.
			repeated := 0
			for p := range pages {
				n, err := deliverPage(t, next, Settle, pages[p], start.Add(time.Duration(p+1)*time.Hour))
				require.NoError(t, err)
				repeated += n
			}
			assert.Zero(t, repeated, "rows emitted again after the outage and a restart")
			// A status that did change is still news.
			n, err := deliverPage(t, next, Settle, pageRows(3, start, "failed"), start.Add(5*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 50, n)
		})
	}
}

// TestPruneDeletesAfterAFailedWrite: chunks of a bucket pruned while the
// storage refused the write are deleted by the next write that succeeds,
// not left in storage for ever.
func TestPruneDeletesAfterAFailedWrite(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	client := &outageClient{Client: openFileStorage(t, t.TempDir())}
	s, err := Open(ctx, client, "p")
	require.NoError(t, err)
	_, err = deliverPage(t, s, Live, pageRows(0, start, "delivered"), start.Add(time.Hour))
	require.NoError(t, err)
	first := s.chunkKey(start.Unix(), 0)
	raw, err := client.Get(ctx, first)
	require.NoError(t, err)
	require.NotEmpty(t, raw)

	client.down.Store(true)
	require.ErrorIs(t, s.Prune(ctx, start.Add(3*time.Hour)), errStorageDown)
	client.down.Store(false)
	require.NoError(t, s.Save(ctx))

	raw, err = client.Get(ctx, first)
	require.NoError(t, err)
	assert.Nil(t, raw, "the pruned chunk is deleted by the next write")
	reopened, err := Open(ctx, client, "p")
	require.NoError(t, err)
	assert.Empty(t, reopened.State.Chunks)
}

// TestDirtyUntilAWriteSucceeds: a failed commit leaves the store dirty
// (memory holds a page storage lacks) until a write succeeds.
func TestDirtyUntilAWriteSucceeds(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	client := &outageClient{Client: openFileStorage(t, t.TempDir())}
	s, err := Open(ctx, client, "p")
	require.NoError(t, err)
	assert.False(t, s.Dirty(), "opened")
	_, err = deliverPage(t, s, Live, pageRows(0, start, "delivered"), start.Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, s.Dirty(), "page committed")

	client.down.Store(true)
	_, err = deliverPage(t, s, Live, pageRows(1, start, "delivered"), start.Add(2*time.Hour))
	require.ErrorIs(t, err, errStorageDown)
	assert.True(t, s.Dirty(), "page commit failed")
	_, err = deliverPage(t, s, Live, nil, start.Add(3*time.Hour))
	require.ErrorIs(t, err, errStorageDown)
	assert.True(t, s.Dirty(), "a cursor move failed too")
	require.ErrorIs(t, s.Save(ctx), errStorageDown)
	assert.True(t, s.Dirty(), "save failed")

	client.down.Store(false)
	require.NoError(t, s.Save(ctx))
	assert.False(t, s.Dirty(), "saved")
}
