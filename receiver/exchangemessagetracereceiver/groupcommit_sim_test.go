//go:build integration

package exchangemessagetracereceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/groupcommit"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// TestTenantsShareStorageTransactions runs 40 tenants polling on their beat
// over the real file_storage: their checkpoint writes are fewer
// transactions than writes, and every row still arrives. One tenant's
// receiver writes straight to the extension's client.
func TestTenantsShareStorageTransactions(t *testing.T) {
	const tenants = 40
	now := time.Now().UTC()
	model := simulator.ModelConfig{From: now.Add(-90 * time.Minute), To: now.Add(time.Hour), DelayedFraction: -1, ChangingFraction: -1}
	gen, err := simulator.GenerateTenants(tenants, simulator.Spread{Kind: "fixed", Max: 2000}, 5, model)
	require.NoError(t, err)
	sim := startSimulator(t, simulator.Config{Seed: 5, Tenants: gen})

	cfg := simConfig(sim)
	cfg.TenantID = ""
	cfg.InitialLookback = 2 * time.Hour
	cfg.PollInterval = 3 * time.Second // a beat of 100 ms
	for _, st := range sim.Tenants()[1:] {
		cfg.Tenants = append(cfg.Tenants, TenantConfig{TenantID: st.ID()})
	}
	host := newTestHost()
	cfg.StorageID = host.withFileStorage(t, t.TempDir())
	sink := new(consumertest.LogsSink)
	rcv, _ := startReceiver(t, cfg, sink, host)

	grouped, ok := rcv.shared.storage.(*groupcommit.Client)
	require.True(t, ok, "many tenants write through a group-commit client")
	// The backfill, then three polls of every tenant on its beat.
	require.Eventually(t, func() bool {
		for _, st := range sim.Tenants()[1:] {
			if st.Counters().APIRequests < 4 {
				return false
			}
		}
		return true
	}, 60*time.Second, 50*time.Millisecond)
	tx, calls := grouped.Stats()
	t.Logf("%d tenants: %d checkpoint writes in %d storage transactions (%.1f writes each)", tenants, calls, tx, float64(calls)/float64(tx))
	assert.Less(t, tx, calls/2, "tenants polling in the same beat share transactions")

	var want int
	for _, st := range sim.Tenants()[1:] {
		want += len(st.Truth(model.From, now))
	}
	assert.Eventually(t, func() bool { return sink.LogRecordCount() >= want }, 30*time.Second, 50*time.Millisecond, "every row of the backfill delivered")

	one := simConfig(sim)
	one.StorageID = host.withFileStorage(t, t.TempDir())
	single, _ := startReceiver(t, one, new(consumertest.LogsSink), host)
	_, wrapped := single.shared.storage.(*groupcommit.Client)
	assert.False(t, wrapped, "one tenant has nobody to share a transaction with")
}
