package exchangemessagetracereceiver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
)

func loadTenantsConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "tenants", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, xconfmap.Validate(cfg)
}

func TestProviderConfigGivesEachTenantItsOwnSettings(t *testing.T) {
	cfg, err := loadTenantsConfig(t, "provider")
	require.NoError(t, err)
	list, _, err := cfg.tenantList()
	require.NoError(t, err)
	require.Len(t, list, 2)

	acme := cfg.forTenant(list[0])
	assert.Equal(t, "6babcaad-604b-40ac-a9d7-9fd97c0b779f", acme.TenantID)
	assert.Equal(t, "00000000-0000-0000-0000-0000000000aa", acme.ClientID, "the provider's app")
	assert.EqualValues(t, "provider-app-s3cr3t", acme.ClientSecret)
	assert.Equal(t, "customers/acme/o365/messagetrace", list[0].ResourceAttributes["_sourceCategory"])

	contoso := cfg.forTenant(list[1])
	assert.Equal(t, "00000000-0000-0000-0000-0000000000bb", contoso.ClientID, "the customer's own app")
	assert.EqualValues(t, "contoso-own-s3cr3t", contoso.ClientSecret)
	assert.Equal(t, "contoso.onmicrosoft.com", contoso.Organization)
	assert.Empty(t, contoso.Tenants)
	assert.NotEqual(t, checkpointPrefix(acme), checkpointPrefix(contoso), "each tenant has its own checkpoint")
	assert.Equal(t, 4, cfg.MaxConcurrentTenants)
}

func TestTenantsValidationNamesTheEntry(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"with_tenant_id", []string{"tenant_id: set together with tenants/tenants_file"}},
		{"duplicates", []string{`tenants[2]: tenant_id "contoso.onmicrosoft.com" is listed twice (first at tenants[0])`}},
		{"entry_problems", []string{
			"tenants[0]: tenant_id: required",
			"tenants[1]: client_id: required here or at the receiver's top level",
			"tenants[1]: no credential",
			"tenants[2]: client_secret and certificate are set together",
		}},
		{"single_tenant_only", []string{
			"authorization_code: is a single user's delegated grant",
			"max_concurrent_tenants: 0 must be at least 1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadTenantsConfig(t, tt.name)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestTenantsFileEntriesAreCheckedWithTheConfig(t *testing.T) {
	cfg, err := loadTenantsConfig(t, "provider")
	require.NoError(t, err)
	dir := t.TempDir()
	cfg.TenantsFile = filepath.Join(dir, "tenants.yaml")

	require.NoError(t, os.WriteFile(cfg.TenantsFile, []byte("- tenant_id: fabrikam.onmicrosoft.com\n  resource_attributes: {customer: fabrikam}\n"), 0o600))
	list, content, err := cfg.tenantList()
	require.NoError(t, err)
	assert.Len(t, list, 3)
	assert.NotEmpty(t, content)

	for _, bad := range []struct{ file, want string }{
		{"- tenant_id: a.onmicrosoft.com\n- tenant_id: 6BABCAAD-604b-40ac-a9d7-9fd97c0b779f\n", "entry 1 (line 2): tenant_id \"6BABCAAD-604b-40ac-a9d7-9fd97c0b779f\" is listed twice (first at tenants[0])"},
		{"- tenant_id: a.onmicrosoft.com\n- tenant_id: b.onmicrosoft.com\n  client_sercet: typo\n", "entry 1 (line 2): decoding failed"},
		{"- tenant_id: [a\n", "not valid YAML"},
	} {
		require.NoError(t, os.WriteFile(cfg.TenantsFile, []byte(bad.file), 0o600))
		_, _, err := cfg.tenantList()
		require.Error(t, err, bad.file)
		assert.Contains(t, err.Error(), bad.want)
		assert.Contains(t, err.Error(), "tenants_file")
	}
}

func TestAnEntrysOwnCredentialIsItsOnlyOne(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientID = "00000000-0000-0000-0000-0000000000aa"
	cfg.WorkloadIdentity = configoptional.Some(WorkloadIdentityConfig{})
	cfg.Tenants = []TenantConfig{
		{TenantID: "a.onmicrosoft.com"},
		{TenantID: "b.onmicrosoft.com", ClientID: "00000000-0000-0000-0000-0000000000bb", ClientSecret: "b-own-secret"},
	}
	require.NoError(t, xconfmap.Validate(cfg))
	assert.True(t, cfg.forTenant(cfg.Tenants[0]).WorkloadIdentity.HasValue(), "the provider's federated credential")
	own := cfg.forTenant(cfg.Tenants[1])
	assert.False(t, own.WorkloadIdentity.HasValue(), "the entry's secret, not the top-level federated token")
	assert.EqualValues(t, "b-own-secret", own.ClientSecret)

	cfg.ClientSecret = "x"
	err := xconfmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "client_secret and workload_identity are set together")
}
