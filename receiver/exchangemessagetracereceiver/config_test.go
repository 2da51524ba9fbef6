package exchangemessagetracereceiver

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
)

// loadConfig reads the named config of testdata/config.yaml as the collector
// does: over the factory's defaults, then xconfmap.Validate.
func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return cfg, err
	}
	return cfg, xconfmap.Validate(cfg)
}

// defaultsWith is the factory's config changed by edit.
func defaultsWith(edit func(*Config)) *Config {
	cfg := createDefaultConfig().(*Config)
	edit(cfg)
	return cfg
}

func storageID(s string) *component.ID {
	var id component.ID
	if err := id.UnmarshalText([]byte(s)); err != nil {
		panic(err)
	}
	return &id
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		want *Config
	}{
		{"defaults", defaultsWith(func(c *Config) {
			c.TenantID, c.ClientID, c.ClientSecret = "contoso.onmicrosoft.com", "00000000-0000-0000-0000-000000000001", "s3cr3t-value"
		})},
		{"full", defaultsWith(func(c *Config) {
			c.API = apiReporting
			c.TenantID, c.ClientID, c.ClientSecret = "11111111-2222-3333-4444-555555555555", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "s3cr3t-value"
			c.AuthorizationCode, c.RedirectURI = "one-time-code", "https://localhost"
			c.AuthorityHost = "https://login.microsoftonline.us"
			c.Endpoint = "https://reports.office365.us/ecp/reportingwebservice/reporting.svc"
			c.Scope = "https://outlook.office365.us/.default"
			c.Timeout = 90 * time.Second
			c.InitialLookback, c.Delay, c.Settle, c.MaxWindow = 240*time.Hour, time.Minute, 12*time.Hour, 2*time.Hour
			c.PollInterval, c.PageSize, c.MaxRequestsPer5m = time.Minute, 2000, 50
			c.RetryOnFailure.InitialInterval, c.RetryOnFailure.MaxInterval, c.RetryOnFailure.MaxElapsedTime = time.Second, 10*time.Second, time.Minute
			c.FieldNames, c.BodyFormat, c.Organization = logmap.FieldNamesLegacy, logmap.BodyJSON, "contoso.onmicrosoft.com"
			c.StorageID = storageID("file_storage")
		})},
		{"certificate_with_code", defaultsWith(func(c *Config) {
			c.API = apiReporting
			c.TenantID, c.ClientID = "0b7e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3", "c"
			c.Certificate = CertificateConfig{Path: "/etc/otelcol/exchange.pfx", Password: "pfx-password"}
			c.AuthorizationCode = "one-time-code"
			c.StorageID = storageID("file_storage/auth")
		})},
		{"managed_identity_empty", defaultsWith(func(c *Config) {
			c.TenantID = "0b7e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3"
			c.ManagedIdentity = configoptional.Some(ManagedIdentityConfig{})
		})},
		{"managed_identity_bare", defaultsWith(func(c *Config) {
			c.TenantID = "0b7e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3"
			c.ManagedIdentity = configoptional.Some(ManagedIdentityConfig{})
		})},
		{"managed_identity_user_assigned", defaultsWith(func(c *Config) {
			c.TenantID = "0b7e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3"
			c.ManagedIdentity = configoptional.Some(ManagedIdentityConfig{ClientID: "99999999-0000-0000-0000-000000000000"})
		})},
		{"workload_identity", defaultsWith(func(c *Config) {
			c.TenantID, c.ClientID = "0b7e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3", "c"
			c.WorkloadIdentity = configoptional.Some(WorkloadIdentityConfig{FederatedTokenFile: "/var/run/secrets/azure/tokens/azure-identity-token"})
		})},
		{"auth_extension", defaultsWith(func(c *Config) {
			c.TenantID = "0b7e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3"
			c.Auth = configoptional.Some(configauth.Config{AuthenticatorID: component.MustNewID("oauth2client")})
		})},
		{"simulator_over_http", defaultsWith(func(c *Config) {
			c.TenantID, c.ClientID, c.ClientSecret = "0b7e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3", "c", "x"
			c.Endpoint, c.AuthorityHost = "http://127.0.0.1:18080/v1.0", "https://localhost:18443/"
			c.FieldNames = logmap.FieldNamesGraph
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadConfig(t, tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestConfigDerivedValues: what the receiver reads from a config when a
// key is unset.
func TestConfigDerivedValues(t *testing.T) {
	graph, err := loadConfig(t, "defaults")
	require.NoError(t, err)
	assert.Equal(t, defaultGraphEndpoint, graph.endpoint())
	assert.Equal(t, graphScope, graph.scope())
	assert.Equal(t, defaultAuthorityHost, graph.authorityHost())
	assert.Equal(t, 24*time.Hour, graph.maxWindow())
	assert.Equal(t, "v1/graph/contoso.onmicrosoft.com", checkpointPrefix(graph))

	reporting := defaultsWith(func(c *Config) { c.API = apiReporting })
	assert.Equal(t, defaultReportingEndpoint, reporting.endpoint())
	assert.Equal(t, reportingScope, reporting.scope())
	assert.Equal(t, time.Hour, reporting.maxWindow())

	sim, err := loadConfig(t, "simulator_over_http")
	require.NoError(t, err)
	assert.Equal(t, "https://localhost:18443", sim.authorityHost(), "the trailing slash is dropped")
}

// TestUnmarshalErrorsNameTheKey: api, field_names and body_format are typed,
// so a bad value fails while loading, naming the key and the valid values.
func TestUnmarshalErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"unknown_api", []string{"'api'", `"exchange" is not an API`, `"graph"`, `"reporting"`}},
		{"bad_field_names", []string{"'field_names'", `"sumo"`, `"api", "graph" and "legacy"`}},
		{"bad_body_format", []string{"'body_format'", `"xml"`, `"map" and "json"`}},
		{"misspelled_managed_identity_key", []string{"managed_identity", "clientid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// validBase is a valid config every Validate case changes one thing of.
func validBase() *Config {
	return defaultsWith(func(c *Config) {
		c.TenantID, c.ClientID, c.ClientSecret = "0b7e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3", "c", "s3cr3t-value"
	})
}

// invalidConfigs are the Validate cases: each edit breaks one rule, and
// the error must hold every fragment of want.
var invalidConfigs = []struct {
	name string
	edit func(*Config)
	want []string
}{
	{"missing tenant", func(c *Config) { c.TenantID = " " }, []string{"tenant_id: required"}},
	{"tenant not a GUID nor a domain", func(c *Config) { c.TenantID = "not a guid!!" }, []string{`tenant_id "not a guid!!" is neither a GUID nor a domain name`, "Directory (tenant) ID"}},
	{"missing client id", func(c *Config) { c.ClientID = "" }, []string{"client_id: required"}},
	{"no credential", func(c *Config) { c.ClientSecret = "" }, []string{"no credential set", "client_secret, certificate.path, managed_identity, workload_identity, or auth"}},
	{"secret and certificate", func(c *Config) { c.Certificate.Path = "/etc/cert.pem" }, []string{"client_secret and certificate are set together"}},
	{"secret and managed identity", func(c *Config) { c.ManagedIdentity = configoptional.Some(ManagedIdentityConfig{}) }, []string{"client_secret and managed_identity are set together"}},
	{"secret and workload identity", func(c *Config) { c.WorkloadIdentity = configoptional.Some(WorkloadIdentityConfig{}) }, []string{"client_secret and workload_identity are set together"}},
	{"certificate password without path", func(c *Config) { c.Certificate.Password = "pfx-s3cr3t" }, []string{"certificate.password: set without certificate.path"}},
	{"code without secret or certificate", func(c *Config) {
		c.ClientSecret, c.AuthorizationCode, c.StorageID = "", "code", storageID("file_storage")
		c.ManagedIdentity = configoptional.Some(ManagedIdentityConfig{})
	}, []string{"authorization_code: needs client_secret or certificate.path"}},
	{"code without storage", func(c *Config) { c.AuthorizationCode = "code" }, []string{"authorization_code: needs storage"}},
	{"initial lookback zero", func(c *Config) { c.InitialLookback = 0 }, []string{"initial_lookback: must be positive"}},
	{"negative delay", func(c *Config) { c.Delay = -time.Minute }, []string{"delay: -1m0s must not be negative"}},
	{"negative settle", func(c *Config) { c.Settle = -time.Hour }, []string{"settle: -1h0m0s must not be negative"}},
	{"settle shorter than delay", func(c *Config) { c.Delay, c.Settle = 2*time.Hour, time.Hour }, []string{"settle: 1h0m0s must be longer than delay (2h0m0s)"}},
	{"settle over 45 days", func(c *Config) { c.Settle = 46 * 24 * time.Hour }, []string{"settle: 1104h0m0s is too long", "at most 45 days"}},
	{"negative max window", func(c *Config) { c.MaxWindow = -time.Hour }, []string{"max_window: -1h0m0s is outside (0, 240h]"}},
	{"max window over 10 days", func(c *Config) { c.MaxWindow = 241 * time.Hour }, []string{"max_window: 241h0m0s is outside (0, 240h]", "10 days"}},
	{"poll too fast", func(c *Config) { c.PollInterval = 10 * time.Millisecond }, []string{"poll_interval: 10ms is too short"}},
	{"page size zero", func(c *Config) { c.PageSize = 0 }, []string{"page_size: 0 is outside 1..5000"}},
	{"page size 6000", func(c *Config) { c.PageSize = 6000 }, []string{"page_size: 6000 is outside 1..5000"}},
	{"quota over Microsoft's", func(c *Config) { c.MaxRequestsPer5m = 150 }, []string{"max_requests_per_5m: 150 is outside 0..100"}},
	{"negative quota", func(c *Config) { c.MaxRequestsPer5m = -1 }, []string{"max_requests_per_5m: -1 is outside 0..100"}},
	{"retry randomization over 1", func(c *Config) { c.RetryOnFailure.RandomizationFactor = 2 }, []string{"retry_on_failure: 'randomization_factor' must be within [0, 1]"}},
	{"retry elapsed under interval", func(c *Config) { c.RetryOnFailure.MaxElapsedTime = time.Second }, []string{"retry_on_failure: 'max_elapsed_time' must not be less than 'initial_interval'"}},
	{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"timeout: -1s must not be negative"}},

	// details and high availability.
	{"details with the legacy report", func(c *Config) {
		c.API = apiReporting
		c.Details.GetOrInsertDefault()
	}, []string{"details: needs api: graph", "MessageTraceDetail"}},
	{"details without statuses", func(c *Config) { c.Details.GetOrInsertDefault().Statuses = nil }, []string{"details.statuses: empty"}},
	{"details with a blank status", func(c *Config) { c.Details.GetOrInsertDefault().Statuses = []string{"failed", " "} }, []string{"details.statuses[1]: empty"}},
	{"details share zero", func(c *Config) { c.Details.GetOrInsertDefault().MaxRequestsPer5m = 0 }, []string{"details.max_requests_per_5m: 0 must be at least 1"}},
	{"details share takes the whole budget", func(c *Config) { c.Details.GetOrInsertDefault().MaxRequestsPer5m = 80 }, []string{"details.max_requests_per_5m: 80 must be below max_requests_per_5m (80)", "list calls must keep a part"}},
	{"details queue zero", func(c *Config) { c.Details.GetOrInsertDefault().MaxPending = 0 }, []string{"details.max_pending: 0 must be at least 1"}},
	{"leader election without storage", func(c *Config) { c.LeaderElectorID = storageID("k8s_leader_elector") }, []string{"k8s_leader_elector: needs storage", "db_storage"}},

	// endpoint and authority_host: absolute https URLs, never guessed at.
	{"endpoint without scheme", func(c *Config) { c.Endpoint = "graph.microsoft.com/v1.0" }, []string{`endpoint: "graph.microsoft.com/v1.0" is not an absolute URL`, "e.g. https://graph.microsoft.com/v1.0"}},
	{"endpoint path only", func(c *Config) { c.Endpoint = "/v1.0" }, []string{`endpoint: "/v1.0" is not an absolute URL`, "e.g. " + defaultGraphEndpoint}},
	{"endpoint http on a remote host", func(c *Config) { c.Endpoint = "http://graph.microsoft.com/v1.0" }, []string{`endpoint: "http://graph.microsoft.com/v1.0" uses http`, "loopback"}},
	{"endpoint other scheme", func(c *Config) { c.Endpoint = "ftp://graph.microsoft.com/v1.0" }, []string{`endpoint: "ftp://graph.microsoft.com/v1.0" must use https`}},
	{"endpoint with query", func(c *Config) { c.Endpoint = "https://graph.microsoft.com/v1.0?$top=10" }, []string{"endpoint:", "has a query or fragment"}},
	{"endpoint with password", func(c *Config) { c.Endpoint = "https://user:pa55word@graph.microsoft.com/v1.0" }, []string{"endpoint:", "carries a user name or password"}},
	{"endpoint not a URL", func(c *Config) { c.Endpoint = "https://[::1" }, []string{`endpoint: "https://[::1" is not a URL`}},
	{"authority without scheme", func(c *Config) { c.AuthorityHost = "login.microsoftonline.com" }, []string{`authority_host: "login.microsoftonline.com" is not an absolute URL`, "e.g. https://login.microsoftonline.com"}},
	{"authority over http", func(c *Config) { c.AuthorityHost = "http://127.0.0.1:18443" }, []string{`authority_host: "http://127.0.0.1:18443" must use https`}},
	{"authority with tenant path", func(c *Config) { c.AuthorityHost = "https://login.microsoftonline.com/contoso" }, []string{"authority_host:", "has a path", "tenant_id"}},

	// Graph message trace exists in the global cloud only.
	{"graph in GCC High", func(c *Config) { c.Endpoint = "https://graph.microsoft.us/v1.0" }, []string{"endpoint: graph.microsoft.us is in the US Government GCC High (L4) cloud", "does not offer Graph message trace", "api: reporting", "https://reports.office365.us/ecp/reportingwebservice/reporting.svc"}},
	{"graph in DoD", func(c *Config) { c.Endpoint = "https://dod-graph.microsoft.us/v1.0" }, []string{"endpoint: dod-graph.microsoft.us is in the US Government DoD (L5) cloud", "api: reporting"}},
	{"graph in China", func(c *Config) { c.Endpoint = "https://microsoftgraph.chinacloudapi.cn/v1.0" }, []string{"endpoint: microsoftgraph.chinacloudapi.cn is in the China (21Vianet) cloud", "https://partner.outlook.cn/ecp/reportingwebservice/reporting.svc"}},
	{"graph with US Government authority", func(c *Config) { c.AuthorityHost = "https://login.microsoftonline.us" }, []string{"authority_host: login.microsoftonline.us is in the US Government GCC High (L4) or US Government DoD (L5) cloud", "reports.office365.us", "webmail.apps.mil"}},
	{"graph with China authority", func(c *Config) { c.AuthorityHost = "https://login.chinacloudapi.cn" }, []string{"authority_host: login.chinacloudapi.cn is in the China (21Vianet) cloud"}},
	{"graph with China partner authority", func(c *Config) { c.AuthorityHost = "https://login.partner.microsoftonline.cn" }, []string{"authority_host: login.partner.microsoftonline.cn is in the China (21Vianet) cloud"}},
	{"graph with national scope", func(c *Config) { c.Scope = "https://graph.microsoft.us/.default" }, []string{"scope: graph.microsoft.us is in the US Government GCC High (L4) cloud"}},
	{"reporting in China at the global endpoint", func(c *Config) {
		c.API, c.AuthorityHost = apiReporting, "https://login.chinacloudapi.cn"
	}, []string{"endpoint: required with authority_host login.chinacloudapi.cn", "serves global tenants only", "endpoint: https://partner.outlook.cn/ecp/reportingwebservice/reporting.svc and scope: https://partner.outlook.cn/.default"}},
}

func TestValidate(t *testing.T) {
	require.NoError(t, xconfmap.Validate(validBase()))
	for _, tt := range invalidConfigs {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validBase()
			tt.edit(cfg)
			err := xconfmap.Validate(cfg)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, secret := range []string{"s3cr3t", "pfx-s3cr3t", "pa55word"} {
				assert.NotContains(t, err.Error(), secret, "errors never carry a secret")
			}
		})
	}
}

// TestValidateAcceptsWhatWorks: each of these is a config a user can run.
func TestValidateAcceptsWhatWorks(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"code with certificate", func(c *Config) {
			c.API, c.ClientSecret, c.Certificate.Path = apiReporting, "", "/etc/otelcol/exchange.pem"
			c.AuthorizationCode, c.StorageID = "code", storageID("file_storage")
		}},
		{"reporting in GCC High", func(c *Config) {
			c.API, c.AuthorityHost = apiReporting, "https://login.microsoftonline.us"
			c.Endpoint, c.Scope = "https://reports.office365.us/ecp/reportingwebservice/reporting.svc", "https://outlook.office365.us/.default"
		}},
		{"graph beta", func(c *Config) { c.Endpoint = "https://graph.microsoft.com/beta/" }},
		{"simulator on IPv6 loopback over http", func(c *Config) { c.Endpoint = "http://[::1]:18080/v1.0" }},
		{"simulator on localhost over http", func(c *Config) { c.Endpoint = "http://localhost:18080/v1.0" }},
		{"settling off", func(c *Config) { c.Settle = 0 }},
		{"no delay", func(c *Config) { c.Delay, c.Settle = 0, 0 }},
		{"settle at 45 days", func(c *Config) { c.Settle = 45 * 24 * time.Hour }},
		{"max window 10 days", func(c *Config) { c.MaxWindow = 240 * time.Hour }},
		{"no quota of our own", func(c *Config) { c.MaxRequestsPer5m = 0 }},
		{"retry off", func(c *Config) { c.RetryOnFailure.Enabled, c.RetryOnFailure.RandomizationFactor = false, 2 }},
		{"details with defaults", func(c *Config) { c.Details.GetOrInsertDefault() }},
		{"details of any status", func(c *Config) { c.Details.GetOrInsertDefault().Statuses = []string{"Delivered", "recalled"} }},
		{"two replicas on one storage", func(c *Config) {
			c.LeaderElectorID, c.StorageID = storageID("k8s_leader_elector"), storageID("db_storage")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validBase()
			tt.edit(cfg)
			assert.NoError(t, xconfmap.Validate(cfg))
		})
	}
}

func TestFactoryDefaultsAreValidButForTheTenant(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	err := xconfmap.Validate(cfg)
	require.Error(t, err, "a tenant and a credential are always needed")
	assert.Contains(t, err.Error(), "tenant_id: required")
	assert.False(t, cfg.ManagedIdentity.HasValue(), "managed_identity is off until the key is written")
	assert.False(t, cfg.WorkloadIdentity.HasValue(), "workload_identity is off until the key is written")
	assert.False(t, cfg.Details.HasValue(), "details are off until the key is written")
}

// TestTenantIDIsAGUIDOrADomain: a tenant is named by its GUID or a verified
// domain, wherever it is written; anything else is refused, naming where it
// stands and what to write instead.
func TestTenantIDIsAGUIDOrADomain(t *testing.T) {
	tests := []struct {
		id   string
		ok   bool
		want []string // what the error says; empty: not a GUID nor a domain
	}{
		{"6babcaad-604b-40ac-a9d7-9fd97c0b779f", true, nil},
		{"6BABCAAD-604B-40AC-A9D7-9FD97C0B779F", true, nil},
		// Used as written (token URL, storage prefix): refused, not trimmed.
		{" 6babcaad-604b-40ac-a9d7-9fd97c0b779f ", false, []string{`tenant_id " 6babcaad-604b-40ac-a9d7-9fd97c0b779f " has white space before or after it`, "write the id without it"}},
		{"contoso.onmicrosoft.com\t", false, []string{`tenant_id "contoso.onmicrosoft.com\t" has white space before or after it`}},
		{"contoso.onmicrosoft.com", true, nil},
		{"Contoso.OnMicrosoft.com", true, nil},
		{"mail.fabrikam-eu.co.uk", true, nil},
		{"xn--bcher-kva.example", true, nil},
		{"not a guid!!", false, nil},
		{"../../evil", false, nil},
		{"contoso/../../evil.com", false, nil},
		{"contoso", false, nil},                             // no dot
		{"common", false, nil},                              // an authority alias, not a tenant
		{"contoso..com", false, nil},                        // empty label
		{"-contoso.com", false, nil},                        // label starts with a hyphen
		{"contoso.com.", false, nil},                        // trailing dot
		{"10.0.0.1", false, nil},                            // an address
		{"6babcaad-604b-40ac-a9d7-9fd97c0b779", false, nil}, // a GUID a digit short
		{"6babcaad604b40aca9d79fd97c0b779f", false, nil},    // a GUID without hyphens
		{"contoso.onmicrosoft.com\nx", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			want := []string{`is neither a GUID nor a domain name`, "72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso.onmicrosoft.com"}
			if tt.want != nil {
				want = tt.want
			}

			// tenant_id at the top level.
			cfg := validBase()
			cfg.TenantID = tt.id
			err := xconfmap.Validate(cfg)
			checkTenantIDError(t, err, tt.ok, append(want, "tenant_id "))

			// An entry of tenants:.
			cfg = validBase()
			cfg.TenantID = ""
			cfg.Tenants = []TenantConfig{{TenantID: "fabrikam.onmicrosoft.com"}, {TenantID: tt.id}}
			err = xconfmap.Validate(cfg)
			checkTenantIDError(t, err, tt.ok, append(want, "tenants[1]: tenant_id "))

			// An entry of tenants_file, read at start and on every change.
			cfg = validBase()
			cfg.TenantID = ""
			cfg.TenantsFile = filepath.Join(t.TempDir(), "tenants.yaml")
			content := fmt.Sprintf("# customers\n- tenant_id: fabrikam.onmicrosoft.com\n- tenant_id: %q\n  organization: x.example\n", tt.id)
			require.NoError(t, os.WriteFile(cfg.TenantsFile, []byte(content), 0o600))
			_, _, err = cfg.tenantList()
			checkTenantIDError(t, err, tt.ok, append(want, "tenants_file "+cfg.TenantsFile+": entry 1 (line 3): tenant_id "))
		})
	}
}

func checkTenantIDError(t *testing.T, err error, ok bool, want []string) {
	t.Helper()
	if ok {
		assert.NoError(t, err)
		return
	}
	require.Error(t, err)
	for _, w := range want {
		assert.Contains(t, err.Error(), w)
	}
}
