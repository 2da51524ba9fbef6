package exchangemessagetracereceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// legacyKeys reads (MessageTraceId, RecipientAddress, Status) from legacy bodies.
func legacyKeys(logs []plog.Logs) []string {
	var keys []string
	for _, ld := range logs {
		forEachRecord(ld, func(lr plog.LogRecord) {
			body := lr.Body().Map()
			id, _ := body.Get("MessageTraceId")
			rcpt, _ := body.Get("RecipientAddress")
			st, _ := body.Get("Status")
			keys = append(keys, simulator.NewStatusKey(id.Str(), rcpt.Str(), st.Str()).String())
		})
	}
	return keys
}

// reportingConfig points a receiver at the simulator's legacy report.
func reportingConfig(sim *simulator.Simulator) *Config {
	cfg := simConfig(sim)
	cfg.API = apiReporting
	cfg.Endpoint = sim.HTTPSURL + "/ecp/reportingwebservice/reporting.svc"
	cfg.InitialLookback = 2 * 24 * time.Hour
	cfg.PageSize = 500
	return cfg
}

func TestReportingWithAuthorizationCodeSurvivesRestarts(t *testing.T) {
	tenant := fixedTenant(3000, 1)
	tenant.AccessTokenTTL = time.Second // every poll refreshes: the refresh token rotates
	sim := startSimulator(t, tenant)
	truth := truthKeys(sim.Truth(time.Now().Add(-3*24*time.Hour), time.Now()))
	dir := t.TempDir()

	cfg := reportingConfig(sim)
	// A code as if an administrator had just signed in at the authorize URL.
	code := sim.Identity().NewAuthCode()
	cfg.AuthorizationCode = configOpaque(code)

	var all []plog.Logs
	for run := range 3 {
		host := newTestHost()
		c := *cfg
		c.StorageID = host.withFileStorage(t, dir)
		sink := new(consumertest.LogsSink)
		rcv, logs, tick := startManualReceiver(t, &c, sink, host, nil)
		if run == 0 {
			tick.pollUntil(t, func() bool { return sink.LogRecordCount() >= len(truth) }, 3)
		}
		// Let a few refreshes (rotations) happen, then stop: the access
		// token lives a second, less than the renewal margin, so every
		// poll refreshes it.
		tick.poll(t)
		tick.poll(t)
		require.NoError(t, rcv.Shutdown(context.Background()))
		all = append(all, sink.AllLogs()...)
		assertNoSecrets(t, logs, "sim-client-secret", code)
	}
	stats := sim.Identity().Stats()
	t.Logf("identity: %+v", stats)
	assert.Equal(t, 1, stats.CodesRedeemed, "the code is redeemed once, never again after a restart")
	assert.Zero(t, stats.CodesReused)
	assert.GreaterOrEqual(t, stats.RefreshTokensRotated, 3)
	assert.Zero(t, stats.StaleRefreshReuse, "a replaced refresh token is never presented again")

	missing, duplicated := compare(truth, legacyKeys(all))
	assert.Zero(t, missing)
	assert.Zero(t, duplicated)
}

func TestReportingHTMLPagesLoseNothing(t *testing.T) {
	tenant := fixedTenant(4000, 1)
	tenant.Faults = simulator.Faults{HTML: 0.3}
	sim := startSimulator(t, tenant)
	truth := truthKeys(sim.Truth(time.Now().Add(-3*24*time.Hour), time.Now()))

	cfg := reportingConfig(sim)
	host := newTestHost()
	sink := new(consumertest.LogsSink)
	_, logs, tick := startManualReceiver(t, cfg, sink, host, nil)
	// A poll that gives up on HTML pages ends; the next resumes where it stopped.
	tick.pollUntil(t, func() bool { return sink.LogRecordCount() >= len(truth) }, 5)
	tick.poll(t) // one more poll: nothing new may come
	assertNoSecrets(t, logs, "sim-client-secret")

	missing, duplicated := compare(truth, legacyKeys(sink.AllLogs()))
	assert.Zero(t, missing)
	assert.Zero(t, duplicated)
	assert.Positive(t, sim.Counters().Faults["html"])
}

func configOpaque(s string) configopaque.String { return configopaque.String(s) }
