package exchangemessagetracereceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// A Retry-After pause comes after the last page's write: shutting down
// during it must still store it (and the sends before it), so that a
// restarted collector does not ask again before Microsoft allows.
func TestShutdownStoresTheBudgetAndItsPause(t *testing.T) {
	tenant := fixedTenant(200, 1)
	tenant.Faults = simulator.Faults{Throttle: 1, RetryAfterSeconds: 60}
	sim := startSimulator(t, tenant)

	cfg := simConfig(sim)
	cfg.InitialLookback = 2 * 24 * time.Hour
	host := newTestHost()
	cfg.StorageID = host.withFileStorage(t, t.TempDir())
	rcv, logs := startReceiver(t, cfg, new(consumertest.LogsSink), host)
	// The receiver's word, not the simulator's count: the pause starts when
	// the receiver has read the 429, which a loaded machine may delay.
	require.Eventually(t, func() bool { return logs.FilterMessageSnippet("Throttled by Microsoft").Len() >= 1 }, 20*time.Second, 5*time.Millisecond)
	require.GreaterOrEqual(t, sim.Counters().Throttled, int64(1))
	throttledAt := time.Now()
	require.NoError(t, rcv.Shutdown(context.Background()))

	client, err := host.extensions[*cfg.StorageID].(storage.Extension).GetClient(
		context.Background(), component.KindReceiver, component.NewID(metadata.Type), "")
	require.NoError(t, err)
	defer client.Close(context.Background())
	store, err := checkpoint.Open(context.Background(), client, checkpointPrefix(cfg))
	require.NoError(t, err)
	require.NotNil(t, store.State.Budget)
	assert.NotEmpty(t, store.State.Budget.Sent, "the throttled request counts against the window")
	pausedUntil := time.UnixMilli(store.State.Budget.PausedUntil)
	assert.WithinDuration(t, throttledAt.Add(60*time.Second), pausedUntil, 2*time.Second)
}
