package exchangemessagetracereceiver

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// Which Microsoft API to read (the `api` key).
const (
	apiGraph     = msgtrace.APIGraph
	apiReporting = msgtrace.APIReporting
)

// Limits Microsoft sets on message trace queries.
const (
	graphMaxWindow  = 10 * 24 * time.Hour // longest time range of one Graph query
	retention       = 90 * 24 * time.Hour // how far back message trace keeps rows
	maxPageSize     = 5000                // largest Graph $top
	tenantRateLimit = 100                 // requests per tenant per rolling 5 minutes

	defaultMaxConcurrentTenants = 32
)

// Default endpoints of the two APIs and of the identity platform: the
// global cloud's.
const (
	defaultGraphEndpoint     = "https://graph.microsoft.com/v1.0"
	defaultReportingEndpoint = "https://reports.office365.com/ecp/reportingwebservice/reporting.svc"
	defaultAuthorityHost     = "https://login.microsoftonline.com"
)

// Config is the receiver's configuration. Field names follow what an Azure
// administrator sees in the portal (tenant, client, secret, certificate).
// README.md describes every key.
type Config struct {
	// API selects Microsoft Graph messageTraces ("graph", default) or the
	// legacy Reporting Web Service MessageTrace report ("reporting").
	API msgtrace.API `mapstructure:"api"`

	// TenantID is the tenant's Directory (tenant) ID, a GUID, or one of its
	// verified domains (checkTenantID; the same for every entry of
	// tenants and tenants_file).
	TenantID string `mapstructure:"tenant_id"`
	ClientID string `mapstructure:"client_id"`

	// One credential: a client secret, a certificate, a managed identity, a
	// workload identity, or the collector's own `auth` extension (in the
	// HTTP client settings). AuthorizationCode is the legacy delegated flow;
	// the code is redeemed with the client secret or the certificate.
	ClientSecret      configopaque.String                             `mapstructure:"client_secret"`
	Certificate       CertificateConfig                               `mapstructure:"certificate"`
	ManagedIdentity   configoptional.Optional[ManagedIdentityConfig]  `mapstructure:"managed_identity"`
	WorkloadIdentity  configoptional.Optional[WorkloadIdentityConfig] `mapstructure:"workload_identity"`
	AuthorizationCode configopaque.String                             `mapstructure:"authorization_code"`
	RedirectURI       string                                          `mapstructure:"redirect_uri"`
	AuthorityHost     string                                          `mapstructure:"authority_host"`
	// Scope is the token audience; unset, the API's own in the global cloud
	// (Graph or Exchange Online).
	Scope string `mapstructure:"scope"`

	// ClientConfig is the API's HTTP client: endpoint (base URL), TLS, proxy,
	// timeout, headers, auth extension.
	confighttp.ClientConfig `mapstructure:",squash"`

	InitialLookback time.Duration `mapstructure:"initial_lookback"`
	Delay           time.Duration `mapstructure:"delay"`
	Settle          time.Duration `mapstructure:"settle"`
	MaxWindow       time.Duration `mapstructure:"max_window"`
	PollInterval    time.Duration `mapstructure:"poll_interval"`
	PageSize        int           `mapstructure:"page_size"`

	MaxRequestsPer5m int                       `mapstructure:"max_requests_per_5m"`
	RetryOnFailure   configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	FieldNames   logmap.FieldNames `mapstructure:"field_names"`
	BodyFormat   logmap.BodyFormat `mapstructure:"body_format"`
	Organization string            `mapstructure:"organization"`

	// Tenants lists the customer tenants of a provider's receiver (one
	// multi-tenant app consented in each); TenantsFile names a YAML file of
	// the same entries, re-read when it changes (a change is applied once
	// it ends with a newline and has stayed the same for a settle period:
	// tenantsfile.Watch; only a file replaced by rename is never read
	// half-written). Either replaces tenant_id.
	Tenants     []TenantConfig `mapstructure:"tenants"`
	TenantsFile string         `mapstructure:"tenants_file"`
	// MaxConcurrentTenants bounds how many tenants poll at once.
	MaxConcurrentTenants int `mapstructure:"max_concurrent_tenants"`

	// StorageID names the storage extension that keeps the cursor, the keys
	// of emitted rows and (authorization-code flow) the refresh token.
	StorageID *component.ID `mapstructure:"storage"`

	// LeaderElectorID names a k8s_leader_elector extension: replicas
	// sharing one storage (db_storage on PostgreSQL) collect only while
	// they hold its lease.
	LeaderElectorID *component.ID `mapstructure:"k8s_leader_elector"`

	// Details turns on the detail events of chosen rows (Graph
	// getDetailsByRecipient): the key alone turns them on with defaults.
	Details configoptional.Optional[DetailsConfig] `mapstructure:"details"`

	_ struct{}
}

// DetailsConfig chooses which rows get their detail events looked up and
// what the lookups may spend of the tenant's request budget.
type DetailsConfig struct {
	// Statuses are the row statuses whose details are looked up (any
	// spelling, compared without regard to case).
	Statuses []string `mapstructure:"statuses"`
	// MaxRequestsPer5m is the lookups' share of max_requests_per_5m: the
	// list calls always keep the rest, and lookups run only after the
	// poll's list calls, in what the share has left.
	MaxRequestsPer5m int `mapstructure:"max_requests_per_5m"`
	// MaxPending bounds each tenant's queue of lookups; past it the oldest
	// are dropped (counted, with a warning), never rows.
	MaxPending int `mapstructure:"max_pending"`
}

// CertificateConfig is a certificate credential: a PEM file holding the
// certificate and its private key, or a PKCS#12 (.pfx/.p12) file.
type CertificateConfig struct {
	Path     string              `mapstructure:"path"`
	Password configopaque.String `mapstructure:"password"`
}

// ManagedIdentityConfig selects an Azure managed identity; ClientID picks a
// user-assigned identity, empty means the system-assigned one.
type ManagedIdentityConfig struct {
	ClientID string `mapstructure:"client_id"`
}

// WorkloadIdentityConfig selects Azure workload identity federation (AKS):
// the federated token file defaults to $AZURE_FEDERATED_TOKEN_FILE.
type WorkloadIdentityConfig struct {
	FederatedTokenFile string `mapstructure:"federated_token_file"`
}

// endpoint is the API base URL to use, with the API's default applied.
// Validate has checked a configured one is an absolute URL.
func (c *Config) endpoint() string {
	if c.Endpoint != "" {
		return strings.TrimRight(c.Endpoint, "/")
	}
	if c.API == apiReporting {
		return defaultReportingEndpoint
	}
	return defaultGraphEndpoint
}

// maxWindow is the longest range one query may cover. Unset, it is a day
// for Graph (few requests for small tenants, pages carry large ones) and an
// hour for the legacy report, whose paging breaks near a million rows.
func (c *Config) maxWindow() time.Duration {
	if c.MaxWindow > 0 {
		return c.MaxWindow
	}
	if c.API == apiReporting {
		return time.Hour
	}
	return 24 * time.Hour
}

func (c *Config) authorityHost() string {
	if c.AuthorityHost != "" {
		return strings.TrimRight(c.AuthorityHost, "/")
	}
	return defaultAuthorityHost
}

func (c *Config) scope() string {
	if c.Scope != "" {
		return c.Scope
	}
	if c.API == apiReporting {
		return reportingScope
	}
	return graphScope
}
