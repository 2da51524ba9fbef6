package exchangemessagetracereceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
)

// A tenant collected with tenant_id (prefix as written) and then listed
// under tenants keeps its cursor; with many tenants the prefix is the id in
// lower case, so an edit of its case keeps it too.
func TestTenantCheckpointSurvivesMovingToTenantsAndCaseEdits(t *testing.T) {
	ctx := context.Background()
	mem := newMemStorage()
	cfg := createDefaultConfig().(*Config)
	cfg.TenantID = "Contoso.onmicrosoft.com"
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

	single, err := openCheckpoint(ctx, mem, cfg, false, nil, zap.NewNop())
	require.NoError(t, err)
	single.Cursor(checkpoint.Live).At = at
	require.NoError(t, single.Save(ctx))

	many, err := openCheckpoint(ctx, mem, cfg, true, nil, zap.NewNop())
	require.NoError(t, err)
	assert.Equal(t, at, many.Cursor(checkpoint.Live).At, "the single-tenant checkpoint is picked up")

	many.Cursor(checkpoint.Live).At = at.Add(time.Hour)
	require.NoError(t, many.Save(ctx))
	for _, spelling := range []string{"contoso.onmicrosoft.com", "CONTOSO.onmicrosoft.com"} {
		cfg.TenantID = spelling
		again, err := openCheckpoint(ctx, mem, cfg, true, nil, zap.NewNop())
		require.NoError(t, err)
		assert.Equal(t, at.Add(time.Hour), again.Cursor(checkpoint.Live).At, "%s: a case edit is the same tenant", spelling)
	}
	_, leftover := mem.kv[checkpoint.Prefix("graph", "Contoso.onmicrosoft.com")+"/state"]
	assert.False(t, leftover, "the old copy is deleted once moved")
}
