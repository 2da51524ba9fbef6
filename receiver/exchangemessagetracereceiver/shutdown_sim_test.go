//go:build integration

package exchangemessagetracereceiver

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/tenantsfile"
)

// blockingConsumer is a pipeline whose exporter never accepts: ConsumeLogs
// returns only when its context ends, as an exporter retrying an outage
// does.
type blockingConsumer struct{ blocked chan struct{} }

func (blockingConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c blockingConsumer) ConsumeLogs(ctx context.Context, _ plog.Logs) error {
	select {
	case c.blocked <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

// Shutdown returns by its deadline while a tenants_file change is being
// applied that waits for the poll of the tenant it removes, and that poll
// is delivering a page to a pipeline that blocks.
func TestShutdownReturnsByItsDeadlineDuringATenantsFileChange(t *testing.T) {
	sim := startSimulator(t, fixedTenant(3000, 1))
	dir := t.TempDir()
	file := filepath.Join(dir, "tenants.yaml")
	require.NoError(t, os.WriteFile(file, []byte("- tenant_id: "+sim.Config().TenantID+"\n"), 0o600))

	cfg := simConfig(sim)
	cfg.TenantID, cfg.TenantsFile = "", file
	host := newTestHost()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "storage"), 0o700))
	cfg.StorageID = host.withFileStorage(t, filepath.Join(dir, "storage"))
	next := blockingConsumer{blocked: make(chan struct{}, 1)}
	rcv, _ := newTestReceiver(t, cfg, next, nil)
	rcv.fileTiming = tenantsfile.Timing{Clock: schedule.WallClock{}, Interval: 10 * time.Millisecond, Settle: 20 * time.Millisecond}
	require.NoError(t, rcv.Start(context.Background(), host))

	select {
	case <-next.blocked:
	case <-time.After(30 * time.Second):
		t.Fatal("no page reached the pipeline")
	}
	// The tenant is removed: applying that waits for its poll, which waits
	// for the pipeline.
	require.NoError(t, os.WriteFile(file+".new", []byte("[]\n"), 0o600))
	require.NoError(t, os.Rename(file+".new", file))
	require.Eventually(t, func() bool {
		ts := rcv.currentTenants()
		return ts != nil && len(ts.sched.Tenants()) == 0
	}, 10*time.Second, time.Millisecond, "the change is being applied")

	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	began := time.Now()
	returned := make(chan error, 1)
	go func() { returned <- rcv.Shutdown(ctx) }()
	select {
	case err := <-returned:
		took := time.Since(began)
		t.Logf("Shutdown with a %s deadline returned after %s: %v", deadline, took.Round(time.Millisecond), err)
		if err != nil {
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		}
	case <-time.After(deadline + 10*time.Second): // generous: only a hang trips it
		t.Fatalf("Shutdown with a %s deadline had not returned 10s past it", deadline)
	}
}
