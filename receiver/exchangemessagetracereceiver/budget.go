package exchangemessagetracereceiver

import (
	"net/url"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

// openBudget returns the tenant's request budget, shared by every receiver
// of the same tenant and API host in the process, and the detail lookups'
// share of it when details are on (nil otherwise), with the sends and pause
// the checkpoint holds from before a restart; and it makes every later
// write of store carry them again. A collector restarted within
// Microsoft's rolling window (a crash loop, a rollout) would otherwise
// spend the tenant's quota, or the details' share, twice.
func openBudget(cfg *Config, store *checkpoint.Store) (*throttle.Budget, *throttle.Share) {
	budget := throttle.ForTenant(budgetKey(cfg), cfg.MaxRequestsPer5m)
	var share *throttle.Share
	if cfg.Details.HasValue() {
		share = budget.Share(cfg.Details.Get().MaxRequestsPer5m)
	}
	if b := store.State.Budget; b != nil {
		var paused time.Time
		if b.PausedUntil > 0 {
			paused = time.UnixMilli(b.PausedUntil)
		}
		sent := fromUnixMilli(b.Sent)
		if now := time.Now(); len(sent) > 0 && now.Sub(sent[len(sent)-1]) < throttle.Window {
			// The previous process, active within the window, may have
			// had a request in flight when it died, after its last write:
			// it counts until it leaves the window.
			sent = append(sent, now)
		}
		budget.Restore(sent, paused)
		if share != nil {
			share.Restore(fromUnixMilli(b.DetailsSent))
		}
	}
	store.SetBudgetSource(func() *checkpoint.Budget {
		sent, paused := budget.Snapshot()
		b := &checkpoint.Budget{Sent: toUnixMilli(sent)}
		if !paused.IsZero() {
			b.PausedUntil = paused.UnixMilli()
		}
		if share != nil {
			b.DetailsSent = toUnixMilli(share.Snapshot())
		}
		return b
	})
	return budget, share
}

func fromUnixMilli(ms []int64) []time.Time {
	out := make([]time.Time, len(ms))
	for i, m := range ms {
		out[i] = time.UnixMilli(m)
	}
	return out
}

func toUnixMilli(ts []time.Time) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.UnixMilli()
	}
	return out
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
