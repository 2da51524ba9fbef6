package exchangemessagetracereceiver

import (
	"net/url"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

// openBudget returns the tenant's request budget, shared by every receiver
// of the same tenant and API host in the process, with the sends and pause
// the checkpoint holds from before a restart, and makes every later write of
// store carry it again. A collector restarted within Microsoft's rolling
// window (a crash loop, a rollout) would otherwise spend the tenant's quota
// twice.
func openBudget(cfg *Config, store *checkpoint.Store) *throttle.Budget {
	budget := throttle.ForTenant(budgetKey(cfg), cfg.MaxRequestsPer5m)
	if b := store.State.Budget; b != nil {
		sent := make([]time.Time, len(b.Sent))
		for i, ms := range b.Sent {
			sent[i] = time.UnixMilli(ms)
		}
		var paused time.Time
		if b.PausedUntil > 0 {
			paused = time.UnixMilli(b.PausedUntil)
		}
		budget.Restore(sent, paused)
	}
	store.SetBudgetSource(func() *checkpoint.Budget {
		sent, paused := budget.Snapshot()
		b := &checkpoint.Budget{Sent: make([]int64, len(sent))}
		for i, t := range sent {
			b.Sent[i] = t.UnixMilli()
		}
		if !paused.IsZero() {
			b.PausedUntil = paused.UnixMilli()
		}
		return b
	})
	return budget
}

// budgetKey identifies a tenant's quota: Microsoft counts per tenant (and
// per API service: Graph and the legacy report are separate services).
func budgetKey(cfg *Config) string {
	host := cfg.endpoint()
	if u, err := url.Parse(host); err == nil {
		host = u.Host
	}
	return tenantKey(cfg.TenantID) + "@" + host // ids are case-insensitive: one quota
}
