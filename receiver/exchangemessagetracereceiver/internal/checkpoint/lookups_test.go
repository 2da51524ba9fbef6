package checkpoint

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lookup(i int) Lookup {
	return Lookup{TraceID: fmt.Sprintf("t%d", i), Recipient: "a@x.com", Status: "quarantined", Received: time.Date(2026, 3, 1, 10, i, 0, 0, time.UTC)}
}

// pending drains a store's queue without recording anything.
func pending(s *Store) []string {
	var ids []string
	for _, q := range s.lookups.items {
		ids = append(ids, q.TraceID)
	}
	return ids
}

func TestLookupsAreStoredWithTheirPageAndLeaveAfterTheirAnswer(t *testing.T) {
	ctx := context.Background()
	client := openFileStorage(t, t.TempDir())
	s, err := Open(ctx, client, "p")
	require.NoError(t, err)

	assert.Zero(t, s.QueueLookups([]Lookup{lookup(1), lookup(2), lookup(3)}, 10))
	reopened, err := Open(ctx, client, "p")
	require.NoError(t, err)
	assert.Zero(t, reopened.PendingLookups(), "nothing is stored before the page's write")

	require.NoError(t, s.CommitPage(ctx, nil))
	reopened, err = Open(ctx, client, "p")
	require.NoError(t, err)
	assert.Equal(t, []string{"t1", "t2", "t3"}, pending(reopened))
	lk, ok := reopened.NextLookup()
	require.True(t, ok)
	assert.Equal(t, lookup(1), lk, "stored exactly")

	// Answered: gone after the next write, and its key deleted.
	s.LookupDone()
	require.NoError(t, s.Save(ctx))
	reopened, err = Open(ctx, client, "p")
	require.NoError(t, err)
	assert.Equal(t, []string{"t2", "t3"}, pending(reopened))
	raw, err := client.Get(ctx, s.lookupKey(0, 0))
	require.NoError(t, err)
	assert.Nil(t, raw)

	// Past the limit, the oldest go.
	assert.Equal(t, 2, s.QueueLookups([]Lookup{lookup(4), lookup(5), lookup(6)}, 3))
	require.NoError(t, s.Save(ctx))
	reopened, err = Open(ctx, client, "p")
	require.NoError(t, err)
	assert.Equal(t, []string{"t4", "t5", "t6"}, pending(reopened))
}

func TestLookupsOfGenerationsAndMoves(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	client := openFileStorage(t, t.TempDir())
	s, err := Open(ctx, client, "p")
	require.NoError(t, err)
	s.QueueLookups([]Lookup{lookup(1)}, 10)
	require.NoError(t, s.Save(ctx))

	// A leader's term adds its own run; a stale writer of the old
	// generation is refused and leaves the queue alone.
	fence, err := TakeLead(ctx, client, "b", at)
	require.NoError(t, err)
	b, err := Open(ctx, client, "p", WithFence(fence))
	require.NoError(t, err)
	b.QueueLookups([]Lookup{lookup(2)}, 10)
	require.NoError(t, b.Save(ctx))
	assert.Len(t, b.State.Lookups, 2, "one run per generation")

	stale := &Fence{client: client, self: Leader{Generation: 0}}
	old, err := Open(ctx, client, "p", WithFence(stale))
	require.NoError(t, err)
	old.LookupDone()
	require.ErrorIs(t, old.Save(ctx), ErrFenced)

	require.NoError(t, b.MoveTo(ctx, "q"))
	moved, err := Open(ctx, client, "q")
	require.NoError(t, err)
	assert.Equal(t, []string{"t1", "t2"}, pending(moved))
	for _, key := range []string{"p/lookups/g0/0", "p/lookups/g1/1"} {
		raw, err := client.Get(ctx, key)
		require.NoError(t, err)
		assert.Nil(t, raw, "%s deleted from the old prefix", key)
	}

	// A lookup whose record is lost is dropped when reached, not returned.
	require.NoError(t, client.Delete(ctx, moved.lookups.items[0].key))
	again, err := Open(ctx, client, "q")
	require.NoError(t, err)
	lk, ok := again.NextLookup()
	require.True(t, ok)
	assert.Equal(t, "t2", lk.TraceID)
}
