package checkpoint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// TestStateOfADayAtAMillionRows measures what a day of a 1,000,000-rows-a-day
// tenant costs the checkpoint on the real file_storage: bytes on disk, write
// time per 5000-row page, load time at restart, and that pruning after the
// settling window gives the space back. It reports; it asserts no time.
func TestStateOfADayAtAMillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a million keys")
	}
	ctx := context.Background()
	dir := t.TempDir()
	client := openFileStorage(t, dir)
	store, err := Open(ctx, client, "v1/graph/tenant")
	require.NoError(t, err)

	const rowsPerDay, pageSize = 1_000_000, 5000
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	step := 24 * time.Hour / rowsPerDay
	rows := make([]msgtrace.Row, pageSize)
	var writing time.Duration
	for page := range rowsPerDay / pageSize {
		for j := range rows {
			n := page*pageSize + j
			rows[j] = msgtrace.Row{ID: fmt.Sprintf("%08x-9a6e-4c3b-8f2d-1e0a6c5b4d3f", n), RecipientAddress: "recipient@contoso.com",
				Status: "delivered", Received: base.Add(time.Duration(n) * step)}
		}
		start := time.Now()
		txn := store.Keys.Begin()
		for j := range rows {
			txn.Admit(&rows[j])
		}
		require.NoError(t, store.CommitPage(ctx, txn))
		writing += time.Since(start)
	}
	size := dirSize(t, dir)
	require.NoError(t, client.Close(ctx))

	start := time.Now()
	reopened, err := Open(ctx, openFileStorage(t, dir), "v1/graph/tenant")
	require.NoError(t, err)
	loading := time.Since(start)
	require.Equal(t, rowsPerDay, reopened.Keys.Len())

	require.NoError(t, reopened.Prune(ctx, base.Add(24*time.Hour)))
	require.Zero(t, reopened.Keys.Len())
	t.Logf("a day at 1,000,000 rows: %d keys, %.1f MB on disk, %.2f ms per 5000-row page (admit + write), %.2f s to load at restart",
		rowsPerDay, float64(size)/1e6, float64(writing.Microseconds())/1000/float64(rowsPerDay/pageSize), loading.Seconds())
}

func dirSize(t *testing.T, dir string) int64 {
	var size int64
	require.NoError(t, filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			size += info.Size()
		}
		return err
	}))
	return size
}
