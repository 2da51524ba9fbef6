//go:build integration

package exchangemessagetracereceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/pagelogs"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// Places of the simulated customer tenants in TestTenantsAgainstTheSimulator.
const (
	simHealthy   = iota // named by GUID
	simNoConsent        // never consented to the provider's app
	simByDomain         // named by its verified domain
	simNoSP             // lacks Microsoft's message trace service principal
	simOwnApp           // has its own app registration
	simTenants
)

// TestTenantsAgainstTheSimulator runs one receiver over five tenants of the
// many-tenant simulator: every row of the three healthy tenants arrives
// once, in that tenant's own ResourceLogs; the two broken tenants are named
// in a recoverable status; every tenant stays within its own budget.
func TestTenantsAgainstTheSimulator(t *testing.T) {
	const budget = 12 // a healthy tenant needs 8 requests (4 windows of 2 pages); together they need more than one budget
	now := time.Now().UTC()
	model := simulator.ModelConfig{From: now.Add(-3 * time.Hour), To: now.Add(-time.Minute),
		DelayedFraction: -1, ChangingFraction: -1}
	tenants, err := simulator.GenerateTenants(simTenants, simulator.Spread{Kind: "fixed", Max: 4000}, 3, model)
	require.NoError(t, err)
	tenants[simNoConsent].Consent = identity.ConsentNone
	tenants[simNoSP].Faults.ServicePrincipalMissing = true
	tenants[simOwnApp].Consent = identity.ConsentNone // only its own app gets in
	tenants[simOwnApp].App = &identity.App{ClientID: "0d1e2f3a-4b5c-4d6e-8f70-819203a4b5c6", ClientSecret: "own-app-secret"}
	sim := startSimulator(t, simulator.Config{Seed: 3, RateLimit: 100, Tenants: tenants})

	cfg := simConfig(sim)
	cfg.TenantID = ""
	cfg.InitialLookback = 4 * time.Hour
	cfg.MaxWindow = time.Hour
	cfg.PageSize = 100
	cfg.MaxRequestsPer5m = budget
	all := sim.Tenants()[1:]
	for i, st := range all {
		entry := TenantConfig{TenantID: st.ID(), ResourceAttributes: map[string]string{"customer": customerOf(st)}}
		switch i {
		case simByDomain:
			entry.TenantID = st.Domain()
		case simOwnApp:
			entry.ClientID, entry.ClientSecret = st.Config().App.ClientID, "own-app-secret"
		}
		cfg.Tenants = append(cfg.Tenants, entry)
	}
	healthy := []int{simHealthy, simByDomain, simOwnApp}
	broken := []int{simNoConsent, simNoSP}

	sink := new(consumertest.LogsSink)
	host := newTestHost()
	startReceiver(t, cfg, sink, host)

	// A tenant's rows are judged by the key they are delivered under.
	truth := make([][]simulator.Row, len(all))
	owner := map[simulator.StatusKey]int{}
	for i, st := range all {
		truth[i] = st.Truth(model.From, now)
		for _, r := range truth[i] {
			owner[r.StatusKey()] = i
		}
	}
	for _, i := range healthy {
		require.NotEmpty(t, truth[i], "tenant %d has no rows to collect", i)
	}
	judge := func() ([]*simulator.DeliveryCheck, []string) {
		checks := make([]*simulator.DeliveryCheck, len(all))
		for i := range checks {
			checks[i] = simulator.NewDeliveryCheck()
		}
		var problems []string
		for _, ld := range sink.AllLogs() {
			for i := 0; i < ld.ResourceLogs().Len(); i++ {
				problems = append(problems, checkResource(t, ld.ResourceLogs().At(i), cfg.Tenants, owner, checks)...)
			}
		}
		return checks, problems
	}
	statusNames := func() bool {
		ev := host.lastEvent()
		if ev == nil || ev.Status() != componentstatus.StatusRecoverableError || ev.Err() == nil {
			return false
		}
		for _, i := range broken {
			if !strings.Contains(ev.Err().Error(), cfg.Tenants[i].TenantID) {
				return false
			}
		}
		return true
	}
	require.Eventually(t, func() bool {
		checks, _ := judge()
		for _, i := range healthy {
			if d := checks[i].Compare(truth[i], now); d.Missing > 0 {
				return false
			}
		}
		return statusNames()
	}, 90*time.Second, 200*time.Millisecond, "the healthy tenants' rows and a status naming the broken tenants")

	checks, problems := judge()
	assert.Empty(t, problems)
	for _, i := range healthy {
		d := checks[i].Compare(truth[i], now)
		assert.Truef(t, d.Missing == 0 && d.Duplicated == 0 && d.Unexpected == 0 && d.Malformed == 0 && d.Delivered == len(truth[i]),
			"tenant %s: %s %v", cfg.Tenants[i].TenantID, d, d.Samples)
	}
	for _, i := range broken {
		assert.Zerof(t, checks[i].Distinct(), "broken tenant %s delivered rows", cfg.Tenants[i].TenantID)
	}

	status := host.lastEvent().Err().Error()
	assert.Contains(t, status, "2 of 5 tenants failing")
	for _, i := range healthy {
		assert.NotContains(t, status, cfg.Tenants[i].TenantID)
	}
	t.Logf("component status: %s", status)

	// Each tenant's requests, counted by the simulator per tenant: within
	// its own budget, never throttled; together more than one budget.
	var total int64
	for i, st := range all {
		c := st.Counters()
		total += c.APIRequests
		t.Logf("tenant %s: %d requests (peak %d per 5m), %v", cfg.Tenants[i].TenantID, c.APIRequests, c.MaxAPIRequestsInWindow, c.Requests)
		assert.LessOrEqualf(t, c.MaxAPIRequestsInWindow, budget, "tenant %s: %+v", cfg.Tenants[i].TenantID, c)
		assert.Zerof(t, c.Throttled, "tenant %s was throttled: %+v", cfg.Tenants[i].TenantID, c)
	}
	assert.Zero(t, all[simNoConsent].Counters().APIRequests, "a tenant without a token reached the API")
	assert.Greater(t, total, int64(budget), "the tenants' requests fit one budget: nothing shows the budgets are per tenant")
	stats, _ := sim.Identity().TenantStats(all[simNoConsent].ID())
	assert.NotZero(t, stats.Failures[700016])
}

// customerOf is the short name of a simulated tenant (customer0001).
func customerOf(st *simulator.Tenant) string {
	name, _, _ := strings.Cut(st.Domain(), ".")
	return name
}

// checkResource adds one ResourceLogs' rows to the check of the tenant its
// microsoft.tenant.id names, and returns what is wrong with it: attributes
// other than its entry's, rows of another tenant.
func checkResource(t *testing.T, rl plog.ResourceLogs, entries []TenantConfig, owner map[simulator.StatusKey]int, checks []*simulator.DeliveryCheck) []string {
	t.Helper()
	attrs := rl.Resource().Attributes()
	id, ok := attrs.Get(pagelogs.AttributeTenantID)
	if !ok {
		return []string{"a ResourceLogs without " + pagelogs.AttributeTenantID}
	}
	tenant := -1
	for i, e := range entries {
		if e.TenantID == id.Str() {
			tenant = i
		}
	}
	if tenant < 0 {
		return []string{"a ResourceLogs of unknown tenant " + id.Str()}
	}
	var problems []string
	for k, v := range entries[tenant].ResourceAttributes {
		if got, ok := attrs.Get(k); !ok || got.Str() != v {
			problems = append(problems, "tenant "+id.Str()+": resource attribute "+k+" is not "+v)
		}
	}
	sls := rl.ScopeLogs()
	for i := 0; i < sls.Len(); i++ {
		lrs := sls.At(i).LogRecords()
		for j := 0; j < lrs.Len(); j++ {
			body := lrs.At(j).Body()
			if body.Type() != pcommon.ValueTypeMap {
				problems = append(problems, "tenant "+id.Str()+": a body that is not a map")
				continue
			}
			row, err := simulator.ExportedRowFromMap(body.Map().AsRaw())
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			if o, known := owner[row.Key]; known && o != tenant {
				problems = append(problems, "tenant "+id.Str()+" carries a row of "+entries[o].TenantID)
			}
			checks[tenant].Add(row)
		}
	}
	return problems
}

// TestTenantThatCannotBeSetUpFailsAlone: one customer's entry names a
// certificate that does not exist. The collector starts, the other tenant
// is collected, and the status names the broken tenant and the key; the
// broken tenant is set up again on each of its polls.
func TestTenantThatCannotBeSetUpFailsAlone(t *testing.T) {
	now := time.Now().UTC()
	model := simulator.ModelConfig{From: now.Add(-2 * time.Hour), To: now.Add(-time.Minute), DelayedFraction: -1, ChangingFraction: -1}
	tenants, err := simulator.GenerateTenants(2, simulator.Spread{Kind: "fixed", Max: 500}, 5, model)
	require.NoError(t, err)
	sim := startSimulator(t, simulator.Config{Seed: 5, RateLimit: 100, Tenants: tenants})
	cfg := simConfig(sim)
	cfg.TenantID = ""
	cfg.InitialLookback = 3 * time.Hour
	all := sim.Tenants()[1:]
	good, bad := all[0], all[1]
	cfg.Tenants = []TenantConfig{
		{TenantID: good.ID()},
		{TenantID: bad.ID(), ClientID: cfg.ClientID, Certificate: CertificateConfig{Path: filepath.Join(t.TempDir(), "missing.pem")}},
	}
	sink := new(consumertest.LogsSink)
	host := newTestHost()
	startReceiver(t, cfg, sink, host)

	truth := good.Truth(model.From, now)
	require.NotEmpty(t, truth)
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= len(truth) }, 60*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		ev := host.lastEvent()
		return ev != nil && ev.Err() != nil && strings.Contains(ev.Err().Error(), bad.ID()) && strings.Contains(ev.Err().Error(), "certificate.path")
	}, 30*time.Second, 20*time.Millisecond, "the status names the broken tenant and the key")
	for i := 0; i < sink.LogRecordCount() && i < 1; i++ {
		tid, _ := sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().Get("microsoft.tenant.id")
		assert.Equal(t, good.ID(), tid.Str(), "only the good tenant's rows")
	}
}
