package groupcommit

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// gatedClient is an in-memory storage.Client whose Batch is atomic (all
// or nothing, like bbolt and PostgreSQL), can be held at its start (until
// open, or one at a time through next), and refuses a batch holding a key
// that starts with "bad". With ctxAware it refuses a batch whose context
// ended, as db_storage does.
type gatedClient struct {
	storage.Client
	ctxAware bool
	mu       sync.Mutex
	kv       map[string][]byte
	batches  [][]string // the keys of every Batch call
	entered  chan context.Context
	gate     chan struct{}
	next     chan struct{}
}

func newGatedClient() *gatedClient {
	return &gatedClient{Client: storage.NewNopClient(), kv: map[string][]byte{},
		entered: make(chan context.Context, 64), gate: make(chan struct{}), next: make(chan struct{})}
}

func (g *gatedClient) open() { close(g.gate) }

func (g *gatedClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	g.entered <- ctx
	select {
	case <-g.gate:
	case <-g.next:
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var keys []string
	for _, op := range ops {
		keys = append(keys, op.Key)
	}
	g.batches = append(g.batches, keys)
	if g.ctxAware && ctx.Err() != nil {
		return ctx.Err()
	}
	for _, op := range ops {
		if strings.HasPrefix(op.Key, "bad") {
			return fmt.Errorf("refused %s", op.Key)
		}
	}
	for _, op := range ops {
		switch op.Type {
		case storage.Set:
			g.kv[op.Key] = op.Value
		case storage.Delete:
			delete(g.kv, op.Key)
		case storage.Get:
			op.Value = g.kv[op.Key]
		}
	}
	return nil
}

func (g *gatedClient) value(key string) ([]byte, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.kv[key]
	return v, ok
}

// queueBehindFirst starts one call, waits until the wrapped client holds it,
// then starts the others in order, which queue behind it; it returns each
// call's result channel.
func queueBehindFirst(t *testing.T, c *Client, g *gatedClient, first string, keys []string, ctxOf func(string) context.Context) map[string]chan error {
	t.Helper()
	results := map[string]chan error{}
	start := func(key string) {
		ch := make(chan error, 1)
		results[key] = ch
		go func() { ch <- c.Batch(ctxOf(key), storage.SetOperation(key, []byte(key))) }()
	}
	start(first)
	<-g.entered
	for i, k := range keys {
		start(k)
		// one at a time, so that the group holds them in this order
		require.Eventually(t, func() bool { return len(c.calls) == i+1 }, 5*time.Second, time.Millisecond)
	}
	return results
}

func TestBatchesQueuedBehindACommitShareTheNext(t *testing.T) {
	tests := []struct {
		name     string
		keys     []string
		giveUp   string            // a key whose caller gives up once queued
		wantErr  map[string]string // key -> error text; absent: nil
		wantKept []string
		// batches the wrapped client saw after the first
		wantBatches [][]string
	}{
		{
			name:        "all good: one transaction",
			keys:        []string{"a", "b", "c"},
			wantKept:    []string{"first", "a", "b", "c"},
			wantBatches: [][]string{{"a", "b", "c"}},
		},
		{
			name:     "one bad call fails alone",
			keys:     []string{"a", "bad", "c"},
			wantErr:  map[string]string{"bad": "refused bad"},
			wantKept: []string{"first", "a", "c"},
			// the group is refused as a whole, then each call is written alone
			wantBatches: [][]string{{"a", "bad", "c"}, {"a"}, {"bad"}, {"c"}},
		},
		{
			name:        "a caller that gave up is not written",
			keys:        []string{"a", "gone"},
			giveUp:      "gone",
			wantErr:     map[string]string{"gone": context.Canceled.Error()},
			wantKept:    []string{"first", "a"},
			wantBatches: [][]string{{"a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGatedClient()
			c := New(g, 0)
			gone, giveUp := context.WithCancel(context.Background())
			results := queueBehindFirst(t, c, g, "first", tt.keys, func(k string) context.Context {
				if k == tt.giveUp {
					return gone
				}
				return context.Background()
			})
			giveUp()
			g.open()
			for key, ch := range results {
				err := <-ch
				if want, ok := tt.wantErr[key]; ok {
					assert.EqualError(t, err, want, key)
				} else {
					assert.NoError(t, err, key)
				}
			}
			for _, k := range tt.wantKept {
				_, ok := g.value(k)
				assert.True(t, ok, "%s written", k)
			}
			for k := range tt.wantErr {
				_, ok := g.value(k)
				assert.False(t, ok, "%s not written", k)
			}
			require.NoError(t, c.Close(context.Background()))
			// the calls of a refused group are written at once, in any order
			assert.ElementsMatch(t, append([][]string{{"first"}}, tt.wantBatches...), g.batches)
		})
	}
}

func TestBatchAloneIsWrittenAtOnce(t *testing.T) {
	g := newGatedClient()
	g.open()
	c := New(g, 0)
	require.NoError(t, c.Batch(context.Background(), storage.SetOperation("k", []byte("v"))))
	get := storage.GetOperation("k")
	require.NoError(t, c.Batch(context.Background(), get))
	assert.Equal(t, []byte("v"), get.Value, "a Get in a batch gets its value")
	tx, calls := c.Stats()
	assert.Equal(t, int64(2), tx)
	assert.Equal(t, int64(2), calls)
	require.NoError(t, c.Close(context.Background()))
	assert.ErrorIs(t, c.Batch(context.Background(), storage.SetOperation("k", nil)), ErrClosed)
}

func TestCloseWritesWhatIsQueued(t *testing.T) {
	g := newGatedClient()
	c := New(g, 0)
	results := queueBehindFirst(t, c, g, "first", []string{"a", "b"}, func(string) context.Context { return context.Background() })
	closed := make(chan error, 1)
	go func() { closed <- c.Close(context.Background()) }()
	g.open()
	require.NoError(t, <-closed)
	for k, ch := range results {
		assert.NoError(t, <-ch, k)
	}
	_, ok := g.value("b")
	assert.True(t, ok)
}

// A caller that gives up while its group is being written stops the
// group's transaction (as db_storage does with a cancelled context); the
// others are then written alone, and it is not.
func TestCallerGivingUpMidTransactionIsNotWrittenByTheOthers(t *testing.T) {
	g := newGatedClient()
	g.ctxAware = true
	c := New(g, 0)
	gone, cancel := context.WithCancel(context.Background())
	results := queueBehindFirst(t, c, g, "first", []string{"a", "gone", "c"}, func(k string) context.Context {
		if k == "gone" {
			return gone
		}
		return context.Background()
	})
	g.next <- struct{}{}    // "first" is written
	groupCtx := <-g.entered // the group's transaction started
	cancel()
	<-groupCtx.Done() // and is stopped by the caller that gave up
	g.open()
	for key, ch := range results {
		if key == "gone" {
			assert.ErrorIs(t, <-ch, context.Canceled)
		} else {
			assert.NoError(t, <-ch, key)
		}
	}
	_, written := g.value("gone")
	assert.False(t, written)
	for _, k := range []string{"first", "a", "c"} {
		_, ok := g.value(k)
		assert.True(t, ok, k)
	}
	require.NoError(t, c.Close(context.Background()))
	require.NoError(t, c.Close(context.Background()), "closing twice")
}

// Against the real file_storage extension: many tenants writing at once
// all land, in fewer transactions than calls.
func TestConcurrentWritersOnFileStorage(t *testing.T) {
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = t.TempDir()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { assert.NoError(t, ext.Shutdown(context.Background())) }()
	raw, err := ext.(storage.Extension).GetClient(context.Background(), component.KindReceiver, component.MustNewID("exchange_message_trace"), "")
	require.NoError(t, err)
	c := New(raw, 0)

	const writers, rounds = 32, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				key := fmt.Sprintf("tenant-%02d/state", w)
				assert.NoError(t, c.Batch(context.Background(),
					storage.SetOperation(key, []byte(fmt.Sprint(r))),
					storage.SetOperation(fmt.Sprintf("tenant-%02d/chunk-%d", w, r), []byte("keys"))))
			}
		}()
	}
	wg.Wait()
	tx, calls := c.Stats()
	t.Logf("%d Batch calls in %d transactions", calls, tx)
	assert.Equal(t, int64(writers*rounds), calls)
	assert.Less(t, tx, calls, "concurrent writers share transactions")
	for w := range writers {
		v, err := c.Get(context.Background(), fmt.Sprintf("tenant-%02d/state", w))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(rounds-1), string(v))
	}
	require.NoError(t, c.Close(context.Background()))
}

func TestLingerGathersCallsThatArriveSoonAfter(t *testing.T) {
	tests := []struct {
		name   string
		linger time.Duration
		wantTx int64
	}{
		{name: "no linger: written apart", linger: 0, wantTx: 2},
		{name: "a linger longer than the gap: one transaction", linger: 200 * time.Millisecond, wantTx: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGatedClient()
			g.open()
			c := New(g, tt.linger)
			first := make(chan error, 1)
			go func() { first <- c.Batch(context.Background(), storage.SetOperation("a", nil)) }()
			if tt.linger == 0 {
				require.NoError(t, <-first)
				first <- nil
			} else {
				time.Sleep(20 * time.Millisecond) // the first call waits in its linger
			}
			require.NoError(t, c.Batch(context.Background(), storage.SetOperation("b", nil)))
			require.NoError(t, <-first)
			tx, calls := c.Stats()
			assert.Equal(t, tt.wantTx, tx)
			assert.Equal(t, int64(2), calls)
			require.NoError(t, c.Close(context.Background()))
		})
	}
}
