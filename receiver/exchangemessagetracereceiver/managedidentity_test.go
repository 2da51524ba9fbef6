//go:build integration

package exchangemessagetracereceiver

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// These tests run azidentity's ManagedIdentityCredential, as the receiver
// builds it, against the simulator's App Service endpoint (plain HTTP on
// loopback, as on App Service). azidentity finds the endpoint through
// environment variables, so they use t.Setenv and cannot run in parallel.

// systemAssignedRan: MSAL caches managed identity tokens process-wide by
// identity and resource, so a second system-assigned run in one process
// (-count=2) would be served the first simulator's token.
var systemAssignedRan atomic.Bool

// appServiceEnv points azidentity at sim's App Service endpoint, with the
// other managed identity sources' variables cleared.
func appServiceEnv(t *testing.T, sim *simulator.Simulator) {
	t.Helper()
	for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"} {
		t.Setenv(k, "")
	}
	t.Setenv("IDENTITY_ENDPOINT", sim.HTTPURL+identity.AppServiceTokenPath)
	t.Setenv("IDENTITY_HEADER", sim.Identity().ManagedIdentity().Header)
}

// managedIdentityConfig is simConfig with managed_identity instead of a
// client secret (no client_id: the identity's own is used).
func managedIdentityConfig(sim *simulator.Simulator, clientID string) *Config {
	cfg := simConfig(sim)
	cfg.ClientID, cfg.ClientSecret = "", ""
	cfg.ManagedIdentity = configoptional.Some(ManagedIdentityConfig{ClientID: clientID})
	cfg.InitialLookback = 2 * 24 * time.Hour
	return cfg
}

func TestManagedIdentityDeliversRows(t *testing.T) {
	tests := []struct {
		name         string
		userAssigned bool
	}{
		{name: "system-assigned (managed_identity: {})"},
		{name: "user-assigned (managed_identity: {client_id})", userAssigned: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.userAssigned && systemAssignedRan.Swap(true) {
				t.Skip("MSAL caches the system-assigned token process-wide: run with -count=1")
			}
			sim := startSimulator(t, fixedTenant(2000, 1))
			// A fresh user-assigned id per run keeps MSAL's cache out of it.
			ua := uuid.NewString()
			header := "identity-header-" + uuid.NewString()
			sim.Identity().SetManagedIdentity(identity.ManagedIdentityConfig{Header: header, UserAssigned: []string{ua}})
			appServiceEnv(t, sim)
			clientID := ""
			if tt.userAssigned {
				clientID = ua
			}
			sink := new(consumertest.LogsSink)
			_, logs := startReceiver(t, managedIdentityConfig(sim, clientID), sink, newTestHost())

			rows := requireAllRows(t, sim, sink)
			t.Logf("%d rows delivered with a managed identity token", rows)
			st := sim.Identity().Stats()
			assert.Positive(t, st.TokensIssued["managed_identity_app_service"])
			assert.Zero(t, st.ManagedIdentityRefused)
			assert.Zero(t, st.TokensIssued["client_credentials"])
			assertNoSecrets(t, logs, header)
		})
	}
}

func TestManagedIdentityNotAttachedTellsWhichKey(t *testing.T) {
	sim := startSimulator(t, fixedTenant(100, 1))
	appServiceEnv(t, sim)
	host := newTestHost()
	sink := new(consumertest.LogsSink)
	notAttached := uuid.NewString()
	_, logs := startReceiver(t, managedIdentityConfig(sim, notAttached), sink, host)

	require.Eventually(t, func() bool {
		ev := host.lastEvent()
		return ev != nil && ev.Status() == componentstatus.StatusRecoverableError
	}, 30*time.Second, 20*time.Millisecond)
	msg := host.lastEvent().Err().Error()
	t.Logf("status: %s", msg)
	for _, want := range []string{"managed_identity.client_id", notAttached, "No User Assigned or Delegated Managed Identity found"} {
		assert.Contains(t, msg, want)
	}
	assert.Zero(t, sink.LogRecordCount())
	assert.Positive(t, sim.Identity().Stats().ManagedIdentityRefused)
	assertNoSecrets(t, logs, sim.Identity().ManagedIdentity().Header)
}

// requireAllRows waits until sink holds every row of sim's truth for the
// last two days, exactly once, and returns how many that is.
func requireAllRows(t *testing.T, sim *simulator.Simulator, sink *consumertest.LogsSink) int {
	t.Helper()
	truth := truthKeys(sim.Truth(time.Now().Add(-2*24*time.Hour), time.Now()))
	require.NotEmpty(t, truth)
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= len(truth) }, 30*time.Second, 50*time.Millisecond)
	missing, duplicated := compare(truth, rowKeys(sink.AllLogs()))
	assert.Zero(t, missing, "rows missing")
	assert.Zero(t, duplicated, "rows duplicated")
	return len(truth)
}
