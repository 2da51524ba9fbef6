package exchangemessagetracereceiver

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/oauth2clientauthextension"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
)

// With `auth:` the collector's own authenticator extension (here the
// contrib oauth2client, against the simulated identity platform) signs the
// requests instead of our token source.
func TestAuthenticatorExtensionInsteadOfOwnCredentials(t *testing.T) {
	sim := startSimulator(t, fixedTenant(2000, 1))
	truth := truthKeys(sim.Truth(time.Now().Add(-2*24*time.Hour), time.Now()))
	sc := sim.Config()

	f := oauth2clientauthextension.NewFactory()
	extCfg := f.CreateDefaultConfig().(*oauth2clientauthextension.Config)
	extCfg.ClientID = sc.ClientID
	extCfg.ClientSecret = "sim-client-secret"
	extCfg.TokenURL = sim.HTTPSURL + "/" + sc.TenantID + "/oauth2/v2.0/token"
	extCfg.Scopes = []string{graphScope}
	extCfg.TLS.CAFile = sim.CAFile
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), extCfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, ext.Shutdown(context.Background())) })
	host := newTestHost()
	id := component.NewID(f.Type())
	host.extensions[id] = ext

	cfg := simConfig(sim)
	cfg.ClientSecret = ""
	cfg.Auth = configoptional.Some(configauth.Config{AuthenticatorID: id})
	cfg.InitialLookback = 2 * 24 * time.Hour
	sink := new(consumertest.LogsSink)
	startReceiver(t, cfg, sink, host)

	require.Eventually(t, func() bool { return sink.LogRecordCount() >= len(truth) }, 30*time.Second, 50*time.Millisecond)
	missing, duplicated := compare(truth, rowKeys(sink.AllLogs()))
	assert.Zero(t, missing)
	assert.Zero(t, duplicated)
	assert.Positive(t, sim.Identity().Stats().TokensIssued["client_credentials"])
}
