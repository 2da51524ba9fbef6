//go:build integration

package exchangemessagetracereceiver

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// Workload identity as AKS sets it up: the webhook mounts a service account
// token and sets AZURE_FEDERATED_TOKEN_FILE; `workload_identity: {}` reads
// that variable. The tests set it with t.Setenv: no t.Parallel.

const (
	clusterIssuer  = "https://oidc.sim.test/cluster-1/"
	serviceAccount = "system:serviceaccount:otel:collector"
)

// federatedCluster registers a federated credential for serviceAccount of
// clusterIssuer on sim's application and writes a token of it, signed by
// the cluster's key, to a file whose path it returns with the token.
func federatedCluster(t *testing.T, sim *simulator.Simulator) (path, token string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	sim.Identity().AddFederatedCredential(identity.FederatedCredential{Issuer: clusterIssuer, Subject: serviceAccount, Key: &key.PublicKey})
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": clusterIssuer, "sub": serviceAccount, "aud": []string{identity.FederatedAudience},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"kubernetes.io": map[string]any{"namespace": "otel", "serviceaccount": map[string]string{"name": "collector"}},
	})
	tok.Header["kid"] = "cluster-1"
	token, err = tok.SignedString(key)
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), "azure-identity-token")
	require.NoError(t, os.WriteFile(path, []byte(token), 0o600))
	return path, token
}

func workloadIdentityConfig(sim *simulator.Simulator) *Config {
	cfg := simConfig(sim)
	cfg.ClientSecret = ""
	cfg.WorkloadIdentity = configoptional.Some(WorkloadIdentityConfig{})
	cfg.InitialLookback = 2 * 24 * time.Hour
	return cfg
}

func TestWorkloadIdentityFromEnvironmentDeliversRows(t *testing.T) {
	sim := startSimulator(t, fixedTenant(2000, 1))
	path, token := federatedCluster(t, sim)
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", path)
	sink := new(consumertest.LogsSink)
	_, logs := startReceiver(t, workloadIdentityConfig(sim), sink, newTestHost())

	rows := requireAllRows(t, sim, sink)
	t.Logf("%d rows delivered with a token for a federated token from $AZURE_FEDERATED_TOKEN_FILE", rows)
	st := sim.Identity().Stats()
	assert.Positive(t, st.TokensIssued["client_credentials"])
	assert.Empty(t, st.Failures)
	assertNoSecrets(t, logs, token)
}

func TestWorkloadIdentityWithoutTokenFileNamesTheKey(t *testing.T) {
	tests := []struct {
		name string
		env  func(t *testing.T) // sets AZURE_FEDERATED_TOKEN_FILE
	}{
		{name: "variable unset", env: func(t *testing.T) {
			t.Setenv("AZURE_FEDERATED_TOKEN_FILE", "") // restores it afterwards
			require.NoError(t, os.Unsetenv("AZURE_FEDERATED_TOKEN_FILE"))
		}},
		{name: "variable empty", env: func(t *testing.T) { t.Setenv("AZURE_FEDERATED_TOKEN_FILE", "") }},
		{name: "file missing", env: func(t *testing.T) {
			t.Setenv("AZURE_FEDERATED_TOKEN_FILE", filepath.Join(t.TempDir(), "not-mounted"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := startSimulator(t, fixedTenant(100, 1))
			tt.env(t)
			logs, err := startErr(t, workloadIdentityConfig(sim))
			require.Error(t, err)
			t.Logf("error: %v", err)
			assert.Contains(t, err.Error(), "workload_identity.federated_token_file")
			assert.Contains(t, err.Error(), "AZURE_FEDERATED_TOKEN_FILE")
			assert.Zero(t, sim.Counters().APIRequests)
			assertNoSecrets(t, logs)
		})
	}
}

// startErr starts a receiver for cfg and returns why it cannot work: the
// error of Start, or else the first recoverable error status it reports.
func startErr(t *testing.T, cfg *Config) (*observer.ObservedLogs, error) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zapcore.DebugLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.ID = component.NewID(metadata.Type)
	set.Logger = zap.New(core)
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, new(consumertest.LogsSink))
	require.NoError(t, err)
	host := newTestHost()
	t.Cleanup(func() { assert.NoError(t, rcv.Shutdown(context.Background())) })
	if err := rcv.Start(context.Background(), host); err != nil {
		return logs, err
	}
	require.Eventually(t, func() bool {
		ev := host.lastEvent()
		return ev != nil && ev.Status() == componentstatus.StatusRecoverableError
	}, 30*time.Second, 20*time.Millisecond)
	return logs, host.lastEvent().Err()
}
