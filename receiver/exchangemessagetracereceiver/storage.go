package exchangemessagetracereceiver

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
)

// openStorage returns the storage extension's client for this receiver, or
// a client that keeps nothing when no `storage` is configured.
func openStorage(ctx context.Context, host component.Host, id *component.ID, self component.ID, logger *zap.Logger) (storage.Client, error) {
	if id == nil {
		logger.Warn("no storage extension configured: the cursor and the keys of emitted rows live in memory only, so a restart starts again from initial_lookback and repeats rows; set `storage: file_storage` for production")
		return storage.NewNopClient(), nil
	}
	ext, ok := host.GetExtensions()[*id]
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not configured: add it under `extensions:` and `service.extensions:` (e.g. file_storage)", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("storage: extension %q is not a storage extension (use file_storage or db_storage)", id)
	}
	if err := checkStateFile(ext, self, logger); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		client, err := se.GetClient(ctx, component.KindReceiver, self, "")
		if err == nil {
			return client, nil
		}
		// A database that is still starting, or two replicas creating
		// db_storage's table at once (PostgreSQL refuses one of two
		// concurrent CREATE TABLE IF NOT EXISTS), heals in seconds.
		if attempt == storageOpenAttempts || ctx.Err() != nil {
			return nil, fmt.Errorf("storage: opening extension %q (%d attempts): %w", id, attempt, err)
		}
		logger.Warn("storage: opening the extension failed; retrying", zap.Stringer("storage", id), zap.Int("attempt", attempt), zap.Error(err))
		if err := schedule.Sleep(ctx, storageOpenRetry); err != nil {
			return nil, fmt.Errorf("storage: opening extension %q: %w", id, err)
		}
	}
}

// How long Start keeps trying to open the storage extension.
const (
	storageOpenAttempts = 5
	storageOpenRetry    = 2 * time.Second
)

// checkpointPrefix is where the receiver's state is stored: everything of
// one tenant and API under one prefix (checkpoint.Prefix).
func checkpointPrefix(cfg *Config) string { return checkpoint.Prefix(cfg.API.String(), cfg.TenantID) }

// openCheckpoint opens a tenant's checkpoint. One tenant (tenant_id) keeps
// the prefix of its id as written, as every release has. With many tenants
// the prefix holds the id in lower case (GUIDs and domains are
// case-insensitive), so that an edit of an entry's case is not a new tenant
// with a fresh cursor and its rows again; a checkpoint written under the id
// as written (the same tenant collected with tenant_id before) is moved
// there when the lower-case one does not exist yet.
func openCheckpoint(ctx context.Context, client storage.Client, cfg *Config, multiTenant bool, fence *checkpoint.Fence, logger *zap.Logger) (*checkpoint.Store, error) {
	opts := []checkpoint.Option{checkpoint.WithLogger(logger)}
	if fence != nil {
		opts = append(opts, checkpoint.WithFence(fence))
	}
	asWritten := checkpointPrefix(cfg)
	lower := checkpoint.Prefix(cfg.API.String(), tenantKey(cfg.TenantID))
	if !multiTenant || lower == asWritten {
		return checkpoint.Open(ctx, client, asWritten, opts...)
	}
	store, err := checkpoint.Open(ctx, client, lower, opts...)
	if err != nil || !neverRan(store) {
		return store, err
	}
	old, err := checkpoint.Open(ctx, client, asWritten, opts...)
	if err != nil || neverRan(old) {
		return store, err
	}
	if err := old.MoveTo(ctx, lower); err != nil {
		return nil, err
	}
	logger.Info("moved the tenant's checkpoint to the lower-case tenant id", zap.String("from", asWritten), zap.String("to", lower))
	return old, nil
}

// neverRan tells a checkpoint that holds no position yet.
func neverRan(s *checkpoint.Store) bool {
	live := s.Cursor(checkpoint.Live)
	return live.At.IsZero() && live.Range == nil
}
