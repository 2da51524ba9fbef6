package checkpoint

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// beforeBatch runs a hook once, just before the next Batch reaches the
// client: it puts a newer leader between a stale writer's fence check and
// its write, the narrowest race there is.
type beforeBatch struct {
	storage.Client
	hook func()
}

func (c *beforeBatch) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if h := c.hook; h != nil {
		c.hook = nil
		h()
	}
	return c.Client.Batch(ctx, ops...)
}

func TestGenerationsFenceStaleWriters(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	client := openFileStorage(t, t.TempDir())

	// A checkpoint of a release without leader election.
	plain, err := Open(ctx, client, "p")
	require.NoError(t, err)
	plain.Cursor(Live).At = at
	require.NoError(t, plain.Save(ctx))

	// Replica A leads first: it reads the plain state and moves it to generation 1.
	fenceA, err := TakeLead(ctx, client, "replica-a", at)
	require.NoError(t, err)
	require.Equal(t, uint64(1), fenceA.Generation())
	a, err := Open(ctx, client, "p", WithFence(fenceA))
	require.NoError(t, err)
	require.Equal(t, at, a.Cursor(Live).At, "A resumes where the plain release stopped")
	a.Cursor(Live).At = at.Add(time.Hour)
	require.NoError(t, a.Save(ctx))
	legacy, err := client.Get(ctx, "p/state")
	require.NoError(t, err)
	assert.Nil(t, legacy, "the state moved to generation 1's key")

	// A is paused past its lease; B takes over and moves on.
	fenceB, err := TakeLead(ctx, client, "replica-b", at.Add(time.Minute))
	require.NoError(t, err)
	b, err := Open(ctx, client, "p", WithFence(fenceB))
	require.NoError(t, err)
	require.Equal(t, at.Add(time.Hour), b.Cursor(Live).At, "B resumes where A stopped")
	b.Cursor(Live).At = at.Add(3 * time.Hour)
	require.NoError(t, b.Save(ctx))

	// A wakes with an older cursor in memory: its write is refused.
	a.Cursor(Live).At = at.Add(2 * time.Hour)
	err = a.Save(ctx)
	require.ErrorIs(t, err, ErrFenced)
	assert.Contains(t, err.Error(), "replica-b")

	reopened, err := Open(ctx, client, "p")
	require.NoError(t, err)
	assert.Equal(t, at.Add(3*time.Hour), reopened.Cursor(Live).At, "B's cursor stands")
}

func TestGenerationWriteThatSlipsPastTheCheckIsNeverRead(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	raw := openFileStorage(t, t.TempDir())
	client := &beforeBatch{Client: raw}

	fenceA, err := TakeLead(ctx, client, "replica-a", at)
	require.NoError(t, err)
	a, err := Open(ctx, client, "p", WithFence(fenceA))
	require.NoError(t, err)
	a.Cursor(Live).At = at
	require.NoError(t, a.Save(ctx))

	// B takes over and writes between A's fence check and A's batch.
	var b *Store
	client.hook = func() {
		fenceB, err := TakeLead(ctx, raw, "replica-b", at.Add(time.Minute))
		require.NoError(t, err)
		b, err = Open(ctx, raw, "p", WithFence(fenceB))
		require.NoError(t, err)
		b.Cursor(Live).At = at.Add(2 * time.Hour)
		require.NoError(t, b.Save(ctx))
	}
	a.Cursor(Live).At = at.Add(time.Hour)
	require.NoError(t, a.Save(ctx), "A's write slipped through")

	for _, fence := range []*Fence{nil, {client: raw, self: Leader{Generation: 3}}} {
		var opts []Option
		if fence != nil {
			opts = append(opts, WithFence(fence))
		}
		s, err := Open(ctx, raw, "p", opts...)
		require.NoError(t, err)
		assert.Equal(t, at.Add(2*time.Hour), s.Cursor(Live).At, "the next reader sees B's cursor, not A's late write")
	}
}
