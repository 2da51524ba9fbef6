package checkpoint

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// openFileStorage starts the real file_storage extension on dir and returns
// a client, as the receiver gets it in a collector.
func openFileStorage(t *testing.T, dir string) storage.Client {
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

func row(id, recipient, status string, received time.Time) msgtrace.Row {
	return msgtrace.Row{ID: id, RecipientAddress: recipient, Status: status, Received: received}
}

func TestAdmit(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	store, err := Open(context.Background(), storage.NewNopClient(), "t")
	require.NoError(t, err)
	first := store.Keys.Begin()
	for _, r := range []msgtrace.Row{row("m1", "a@x.com", "pending", at), row("m1", "b@x.com", "delivered", at)} {
		emit, prev := first.Admit(&r)
		require.True(t, emit)
		require.Empty(t, prev)
	}
	require.NoError(t, store.CommitPage(context.Background(), first))

	tests := []struct {
		name     string
		row      msgtrace.Row
		emit     bool
		previous string
	}{
		{"same key and status", row("m1", "a@x.com", "pending", at), false, ""},
		{"status casing differs only", row("m1", "a@x.com", "Pending", at), false, ""},
		{"recipient casing differs only", row("m1", "A@X.com", "pending", at), false, ""},
		{"status changed", row("m1", "a@x.com", "delivered", at), true, "pending"},
		{"another recipient of the same message", row("m1", "c@x.com", "delivered", at), true, ""},
		{"unknown status", row("m1", "b@x.com", "somethingNew", at), true, "delivered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txn := store.Keys.Begin()
			emit, prev := txn.Admit(&tt.row)
			assert.Equal(t, tt.emit, emit)
			assert.Equal(t, tt.previous, prev)
		})
	}

	t.Run("repeat within one page", func(t *testing.T) {
		txn := store.Keys.Begin()
		r := row("m2", "a@x.com", "delivered", at)
		emit, _ := txn.Admit(&r)
		require.True(t, emit)
		emit, _ = txn.Admit(&r)
		require.False(t, emit)
	})
	t.Run("an uncommitted page leaves no keys", func(t *testing.T) {
		r := row("m3", "a@x.com", "delivered", at)
		emit, _ := store.Keys.Begin().Admit(&r)
		require.True(t, emit)
		emit, _ = store.Keys.Begin().Admit(&r)
		require.True(t, emit, "a page the pipeline refused must be admitted again")
	})
	t.Run("a discarded page restores what it changed", func(t *testing.T) {
		txn := store.Keys.Begin() // also discards the previous subtest's page
		keysBefore := store.Keys.Len()
		changed := row("m1", "a@x.com", "delivered", at)
		emit, prev := txn.Admit(&changed)
		require.True(t, emit)
		require.Equal(t, "pending", prev)
		// A status change within the page names the status admitted before it.
		fresh, freshChanged := row("m5", "a@x.com", "pending", at), row("m5", "a@x.com", "failed", at)
		_, _ = txn.Admit(&fresh)
		emit, prev = txn.Admit(&freshChanged)
		require.True(t, emit)
		require.Equal(t, "pending", prev)
		other := row("m6", "a@x.com", "delivered", at.Add(48*time.Hour)) // a bucket of its own
		_, _ = txn.Admit(&other)
		txn.Discard()
		txn.Discard() // twice is harmless

		assert.Equal(t, keysBefore, store.Keys.Len())
		assert.Len(t, store.Keys.buckets, 1, "a bucket created by the discarded page is gone")
		emit, prev = store.Keys.Begin().Admit(&changed)
		assert.True(t, emit)
		assert.Equal(t, "pending", prev, "the status emitted before the discarded page is back")
	})
	t.Run("discard after commit keeps the page", func(t *testing.T) {
		txn := store.Keys.Begin()
		r := row("m7", "a@x.com", "delivered", at)
		emit, _ := txn.Admit(&r)
		require.True(t, emit)
		require.NoError(t, store.CommitPage(context.Background(), txn))
		txn.Discard()
		emit, _ = store.Keys.Begin().Admit(&r)
		assert.False(t, emit)
	})
}

func TestPersistAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

	client := openFileStorage(t, dir)
	store, err := Open(ctx, client, "v1/graph/tenant")
	require.NoError(t, err)
	live := store.Cursor(Live)
	live.At = at
	live.Range = &InFlight{Start: at, End: at.Add(24 * time.Hour), NextLink: "https://graph/next?$skiptoken=abc", Pages: 3}
	budget := &Budget{Sent: []int64{at.UnixMilli()}, PausedUntil: at.Add(time.Minute).UnixMilli()}
	store.SetBudgetSource(func() *Budget { return budget })
	txn := store.Keys.Begin()
	for i := range 100 {
		r := row(fmt.Sprintf("m%d", i), "a@x.com", "delivered", at.Add(time.Duration(i)*time.Minute))
		txn.Admit(&r)
	}
	require.NoError(t, store.CommitPage(ctx, txn))
	require.NoError(t, client.Close(ctx))

	reopened, err := Open(ctx, openFileStorage(t, dir), "v1/graph/tenant")
	require.NoError(t, err)
	assert.Equal(t, store.State.Live.Range.NextLink, reopened.State.Live.Range.NextLink)
	assert.True(t, reopened.State.Live.At.Equal(at))
	assert.Equal(t, budget, reopened.State.Budget, "the request budget is written with the page")
	assert.Equal(t, 100, reopened.Keys.Len())
	r := row("m5", "a@x.com", "delivered", at.Add(5*time.Minute))
	emit, _ := reopened.Keys.Begin().Admit(&r)
	assert.False(t, emit, "a row delivered before the restart is not emitted again")

	// Another tenant in the same storage starts empty.
	other, err := Open(ctx, openFileStorage(t, t.TempDir()), "v1/graph/other")
	require.NoError(t, err)
	assert.Zero(t, other.Keys.Len())
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	client := openFileStorage(t, t.TempDir())
	store, err := Open(ctx, client, "p")
	require.NoError(t, err)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for h := range 48 {
		txn := store.Keys.Begin()
		r := row(fmt.Sprintf("m%d", h), "a@x.com", "delivered", base.Add(time.Duration(h)*time.Hour+time.Minute))
		txn.Admit(&r)
		require.NoError(t, store.CommitPage(ctx, txn))
	}
	require.Equal(t, 48, store.Keys.Len())

	// A cursor at 24:30 still needs the 24:00 bucket (the next range starts inside it).
	require.NoError(t, store.Prune(ctx, base.Add(24*time.Hour+30*time.Minute)))
	assert.Equal(t, 24, store.Keys.Len())
	assert.Len(t, store.State.Chunks, 24)

	reopened, err := Open(ctx, client, "p")
	require.NoError(t, err)
	assert.Equal(t, 24, reopened.Keys.Len())
	gone, err := client.Get(ctx, store.chunkKey(base.Unix(), 0))
	require.NoError(t, err)
	assert.Nil(t, gone, "pruned chunks are deleted from storage")
}

func TestCorruptStateNamesTheFix(t *testing.T) {
	ctx := context.Background()
	client := openFileStorage(t, t.TempDir())
	require.NoError(t, client.Set(ctx, "c/state", []byte("{not json")))
	_, err := Open(ctx, client, "c")
	require.ErrorContains(t, err, "corrupt")
	require.ErrorContains(t, err, "initial_lookback")
}

func TestUnreadableBudgetIsIgnored(t *testing.T) {
	ctx := context.Background()
	client := openFileStorage(t, t.TempDir())
	state := `{"version":1,"live":{"at":"2026-03-01T10:00:00Z"},"settle":{"at":"2026-03-01T10:00:00Z"},"chunks":{},"budget":{"sent":"yesterday"}}`
	require.NoError(t, client.Set(ctx, "c/state", []byte(state)))
	store, err := Open(ctx, client, "c")
	require.NoError(t, err, "the budget only spares the quota: it must not stop the receiver")
	assert.Empty(t, store.State.Budget.Sent)
	assert.Equal(t, 2026, store.State.Live.At.Year(), "the rest of the state is read")
}

// BenchmarkCommitPage measures the state write of one 5000-row page (the
// unit of work at 1,000,000 rows a day) on the real file_storage.
func BenchmarkCommitPage(b *testing.B) {
	ctx := context.Background()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = b.TempDir()
	ext, err := f.Create(ctx, extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(b, err)
	require.NoError(b, ext.Start(ctx, componenttest.NewNopHost()))
	client, err := ext.(storage.Extension).GetClient(ctx, component.KindReceiver, component.MustNewID("exchange_message_trace"), "")
	require.NoError(b, err)
	defer func() { _ = client.Close(ctx); _ = ext.Shutdown(ctx) }()
	store, err := Open(ctx, client, "bench")
	require.NoError(b, err)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]msgtrace.Row, 5000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		for j := range rows {
			rows[j] = row(fmt.Sprintf("id-%d-%d", i, j), "someone@contoso.com", "delivered", base.Add(time.Duration(i*5000+j)*86*time.Millisecond))
		}
		b.StartTimer()
		txn := store.Keys.Begin()
		for j := range rows {
			txn.Admit(&rows[j])
		}
		if err := store.CommitPage(ctx, txn); err != nil {
			b.Fatal(err)
		}
	}
}
