package checkpoint

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMoveToKeepsStateAndKeys(t *testing.T) {
	ctx := context.Background()
	client := openFileStorage(t, t.TempDir())
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	store, err := Open(ctx, client, "v1/graph/Contoso")
	require.NoError(t, err)
	store.State.Live.At = at
	txn := store.Keys.Begin()
	for i := range 50 {
		r := row(fmt.Sprintf("m%d", i), "a@x.com", "delivered", at.Add(-time.Duration(i)*time.Minute))
		txn.Admit(&r)
	}
	require.NoError(t, store.CommitPage(ctx, txn))

	require.NoError(t, store.MoveTo(ctx, "v1/graph/contoso"))
	moved, err := Open(ctx, client, "v1/graph/contoso")
	require.NoError(t, err)
	assert.True(t, moved.State.Live.At.Equal(at))
	assert.Equal(t, 50, moved.Keys.Len(), "the emitted-row keys moved too")
	old, err := Open(ctx, client, "v1/graph/Contoso")
	require.NoError(t, err)
	assert.True(t, old.State.Live.At.IsZero(), "the old copy is gone")
	assert.Zero(t, old.Keys.Len())

	// The moved store keeps writing where it moved.
	store.State.Live.At = at.Add(time.Hour)
	require.NoError(t, store.Save(ctx))
	again, err := Open(ctx, client, "v1/graph/contoso")
	require.NoError(t, err)
	assert.True(t, again.State.Live.At.Equal(at.Add(time.Hour)))
}
