package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgstatus"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// admitPage admits rows as one page, commits it and returns, per row,
// whether it was emitted and its previous status.
func admitPage(t *testing.T, store *Store, rows ...msgtrace.Row) []string {
	t.Helper()
	txn := store.Keys.Begin()
	var got []string
	for i := range rows {
		emit, prev := txn.Admit(&rows[i])
		if !emit {
			prev = "(not emitted)"
		}
		got = append(got, prev)
	}
	require.NoError(t, store.CommitPage(context.Background(), txn))
	return got
}

func TestUndocumentedStatusesRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	client := openFileStorage(t, dir)
	store, err := Open(ctx, client, "v1/graph/tenant")
	require.NoError(t, err)

	assert.Equal(t, []string{"", ""}, admitPage(t, store,
		row("m1", "a@x.com", "Resubmitted", at), row("m2", "a@x.com", "delivered", at)))
	assert.Equal(t, []string{"Resubmitted", "(not emitted)", "delivered"}, admitPage(t, store,
		row("m1", "a@x.com", "held", at),        // undocumented -> undocumented
		row("m1", "a@x.com", "HELD", at),        // the same, in other letters
		row("m2", "a@x.com", "Resubmitted", at), // documented -> undocumented
	))
	require.NoError(t, client.Close(ctx))

	reopened, err := Open(ctx, openFileStorage(t, dir), "v1/graph/tenant")
	require.NoError(t, err)
	assert.Equal(t, map[uint8]string{msgstatus.FirstUndocumentedCode: "Resubmitted", msgstatus.FirstUndocumentedCode + 1: "held"},
		reopened.State.Statuses, "codes are given on first sight, in order")
	assert.Equal(t, []string{"(not emitted)", "(not emitted)", "held", "Resubmitted"}, admitPage(t, reopened,
		row("m1", "a@x.com", "Held", at),
		row("m2", "a@x.com", "resubmitted", at),
		row("m1", "a@x.com", "resubmitted", at),
		row("m2", "a@x.com", "failed", at),
	), "the table outlives a restart")
}

// TestStatusTableIsWrittenWithItsKeys: the page that first uses a code
// stores its spelling in the same batch, so no crash leaves a stored key
// whose code the stored table lacks.
func TestStatusTableIsWrittenWithItsKeys(t *testing.T) {
	client := &batchRecorder{Client: storage.NewNopClient()}
	store, err := Open(context.Background(), client, "p")
	require.NoError(t, err)
	admitPage(t, store, row("m1", "a@x.com", "Resubmitted", time.Now()))
	require.Len(t, client.batches, 1)
	var keys, state int
	for _, op := range client.batches[0] {
		switch op.Key {
		case "p/state":
			state++
			assert.Contains(t, string(op.Value), fmt.Sprintf(`"statuses":{"%d":"Resubmitted"}`, msgstatus.FirstUndocumentedCode))
		default:
			keys++
			assert.Equal(t, byte(msgstatus.FirstUndocumentedCode), op.Value[8])
		}
	}
	assert.Equal(t, 1, keys)
	assert.Equal(t, 1, state)
}

type batchRecorder struct {
	storage.Client
	batches [][]*storage.Operation
}

func (c *batchRecorder) Batch(_ context.Context, ops ...*storage.Operation) error {
	c.batches = append(c.batches, ops)
	return nil
}

func TestUndocumentedStatusesBeyondTheLimit(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	store, err := Open(context.Background(), storage.NewNopClient(), "p", WithLogger(zap.New(core)))
	require.NoError(t, err)
	at := time.Now()
	for i := range maxUndocumented {
		admitPage(t, store, row(fmt.Sprint("m", i), "a@x.com", fmt.Sprint("status", i), at))
	}
	assert.Zero(t, logs.Len())
	assert.Equal(t, []string{"", "(not emitted)", "status0"}, admitPage(t, store,
		row("over", "a@x.com", "oneTooMany", at),
		row("over", "a@x.com", "twoTooMany", at), // shares the overflow code
		row("m0", "a@x.com", "twoTooMany", at),   // a change from a coded one is seen
	))
	assert.Equal(t, []string{"unknown"}, admitPage(t, store, row("over", "a@x.com", "delivered", at)))
	assert.Equal(t, 1, logs.FilterMessageSnippet("undocumented").Len(), "logged once")
	assert.Len(t, store.State.Statuses, maxUndocumented)
}

func TestOverlongStatusesShareACode(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	store, err := Open(context.Background(), storage.NewNopClient(), "p", WithLogger(zap.New(core)))
	require.NoError(t, err)
	at := time.Now()
	long := strings.Repeat("x", maxStatusLen)
	assert.Equal(t, []string{"", long, "(not emitted)", "unknown"}, admitPage(t, store,
		row("m", "a@x.com", long, at), // the longest given a code
		row("m", "a@x.com", long+"1", at),
		row("m", "a@x.com", long+"2", at),
		row("m", "a@x.com", "held", at),
	))
	assert.Equal(t, 1, logs.FilterMessageSnippet("longer").Len(), "logged once")
	assert.Len(t, store.State.Statuses, 2)
}

func TestCorruptStatusTableNamesTheFix(t *testing.T) {
	tests := map[string]string{
		"code below the range":    `{"10":"held"}`,
		"two codes, one spelling": `{"48":"held","49":"Held"}`,
	}
	for name, table := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			client := openFileStorage(t, t.TempDir())
			state := `{"version":1,"live":{"at":"2026-03-01T10:00:00Z"},"settle":{"at":"2026-03-01T10:00:00Z"},"chunks":{},"statuses":` + table + `}`
			require.NoError(t, client.Set(ctx, "c/state", []byte(state)))
			_, err := Open(ctx, client, "c")
			require.ErrorContains(t, err, "statuses")
			require.ErrorContains(t, err, "initial_lookback")
		})
	}
}

// TestReadsAV1CheckpointOfTheFirstRelease reads testdata/v1-checkpoint.json:
// the storage of a checkpoint written by the release before undocumented
// statuses had codes of their own (commit 041e40f), into real file_storage.
// Its rows, received 2026-03-01 from 10:00: m1 delivered, m2 Pending, m3
// failed, m4 Resubmitted (stored as the shared code 255), m5 without a
// status, m6 unknownFutureValue (11:01, the second bucket).
func TestReadsAV1CheckpointOfTheFirstRelease(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/v1-checkpoint.json")
	require.NoError(t, err)
	var dump map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &dump))
	dir := t.TempDir()
	client := openFileStorage(t, dir)
	for key, v := range dump {
		var value []byte
		if v[0] == '{' { // the state record, kept readable
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, v))
			value = compact.Bytes()
		} else {
			require.NoError(t, json.Unmarshal(v, &value))
		}
		require.NoError(t, client.Set(ctx, key, value))
	}

	store, err := Open(ctx, client, "v1/graph/tenant")
	require.NoError(t, err)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	assert.True(t, store.State.Live.At.Equal(at.Add(2*time.Hour)))
	assert.Equal(t, "https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces?$skiptoken=abc", store.State.Live.Range.NextLink)
	assert.True(t, store.State.Settle.At.Equal(at))
	assert.Equal(t, &Budget{Sent: []int64{at.Add(time.Hour).UnixMilli()}, PausedUntil: at.Add(time.Hour + time.Minute).UnixMilli()}, store.State.Budget)
	assert.Equal(t, 6, store.Keys.Len())
	assert.Equal(t, []string{"(not emitted)", "(not emitted)", "(not emitted)", "(not emitted)", "(not emitted)", "unknown", "failed"}, admitPage(t, store,
		row("m1", "a@contoso.com", "Delivered", at),
		row("m2", "b@contoso.com", "pending", at.Add(time.Minute)),
		row("m3", "c@contoso.com", "failed", at.Add(2*time.Minute)),
		row("m5", "e@contoso.com", "", at.Add(4*time.Minute)),
		row("m6", "f@contoso.com", "unknownFutureValue", at.Add(time.Hour+time.Minute)),
		// Which undocumented status it had is not stored: emitted once more.
		row("m4", "d@contoso.com", "Resubmitted", at.Add(3*time.Minute)),
		row("m3", "c@contoso.com", "delivered", at.Add(2*time.Minute)),
	))
	require.NoError(t, client.Close(ctx))

	reopened, err := Open(ctx, openFileStorage(t, dir), "v1/graph/tenant")
	require.NoError(t, err)
	assert.Equal(t, []string{"(not emitted)", "Resubmitted"}, admitPage(t, reopened,
		row("m4", "d@contoso.com", "Resubmitted", at.Add(3*time.Minute)),
		row("m4", "d@contoso.com", "held", at.Add(3*time.Minute)),
	))
}
