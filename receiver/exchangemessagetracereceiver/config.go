package exchangemessagetracereceiver

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
)

// Which Microsoft API to read.
const (
	apiGraph     = "graph"
	apiReporting = "reporting"
)

// Limits Microsoft sets on message trace queries.
const (
	graphMaxWindow  = 10 * 24 * time.Hour // longest time range of one Graph query
	retention       = 90 * 24 * time.Hour // how far back message trace keeps rows
	maxPageSize     = 5000                // largest Graph $top
	tenantRateLimit = 100                 // requests per tenant per rolling 5 minutes

	defaultMaxConcurrentTenants = 32
)

// Default endpoints of the two APIs and of the identity platform.
const (
	defaultGraphEndpoint     = "https://graph.microsoft.com/v1.0"
	defaultReportingEndpoint = "https://reports.office365.com/ecp/reportingwebservice/reporting.svc"
	defaultAuthorityHost     = "https://login.microsoftonline.com"
)

// Config is the receiver's configuration. Field names follow what an Azure
// administrator sees in the portal (tenant, client, secret, certificate).
type Config struct {
	// API selects Microsoft Graph messageTraces ("graph", default) or the
	// legacy Reporting Web Service MessageTrace report ("reporting").
	API string `mapstructure:"api"`

	TenantID string `mapstructure:"tenant_id"`
	ClientID string `mapstructure:"client_id"`

	// One credential: a client secret, a certificate, a managed identity, a
	// workload identity, or the collector's own `auth` extension (in the
	// HTTP client settings). AuthorizationCode is the legacy delegated flow
	// and goes with ClientSecret.
	ClientSecret      configopaque.String     `mapstructure:"client_secret"`
	Certificate       CertificateConfig       `mapstructure:"certificate"`
	ManagedIdentity   *ManagedIdentityConfig  `mapstructure:"managed_identity"`
	WorkloadIdentity  *WorkloadIdentityConfig `mapstructure:"workload_identity"`
	AuthorizationCode configopaque.String     `mapstructure:"authorization_code"`
	RedirectURI       string                  `mapstructure:"redirect_uri"`
	AuthorityHost     string                  `mapstructure:"authority_host"`
	// Scope is the token audience; unset, the API's own (Graph or Exchange
	// Online). National clouds set their Graph host here.
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

	FieldNames   string `mapstructure:"field_names"`
	BodyFormat   string `mapstructure:"body_format"`
	Organization string `mapstructure:"organization"`

	// Tenants lists the customer tenants of a provider's receiver (one
	// multi-tenant app consented in each); TenantsFile names a YAML file of
	// the same entries, re-read when it changes. Either replaces tenant_id.
	Tenants     []TenantConfig `mapstructure:"tenants"`
	TenantsFile string         `mapstructure:"tenants_file"`
	// MaxConcurrentTenants bounds how many tenants poll at once.
	MaxConcurrentTenants int `mapstructure:"max_concurrent_tenants"`

	// StorageID names the storage extension that keeps the cursor, the keys
	// of emitted rows and (authorization-code flow) the refresh token.
	StorageID *component.ID `mapstructure:"storage"`

	_ struct{}
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

// credentials lists the credentials the config sets, by their config key.
func (c *Config) credentials() []string {
	var set []string
	if c.ClientSecret != "" {
		set = append(set, "client_secret")
	}
	if c.Certificate.Path != "" {
		set = append(set, "certificate")
	}
	if c.ManagedIdentity != nil {
		set = append(set, "managed_identity")
	}
	if c.WorkloadIdentity != nil {
		set = append(set, "workload_identity")
	}
	if c.Auth.HasValue() {
		set = append(set, "auth")
	}
	return set
}

// Validate reports every problem at once, each naming the field and the fix.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch c.API {
	case apiGraph, apiReporting:
	default:
		add("api: %q is not supported: use %q (Microsoft Graph messageTraces) or %q (legacy Reporting Web Service)", c.API, apiGraph, apiReporting)
	}
	if c.multiTenant() {
		errs = append(errs, c.validateMultiTenant()...)
	} else if strings.TrimSpace(c.TenantID) == "" {
		add("tenant_id: required: the Directory (tenant) ID of the Microsoft 365 tenant (a GUID, or its onmicrosoft.com domain); or `tenants:` / `tenants_file` for many")
	}
	creds := c.credentials()
	if c.ClientID == "" && c.ManagedIdentity == nil && !c.Auth.HasValue() && !c.multiTenant() {
		add("client_id: required: the Application (client) ID of the app registration")
	}
	switch {
	case len(creds) == 0 && c.multiTenant():
		// Each entry may bring its own; checkTenants says which lack one.
	case len(creds) == 0:
		add("credentials: none set: set exactly one of client_secret, certificate.path, managed_identity, workload_identity, or auth (an authenticator extension)")
	case len(creds) > 1:
		add("credentials: %s are set together: set exactly one", strings.Join(creds, " and "))
	}
	if c.AuthorizationCode != "" {
		if c.ClientSecret == "" {
			add("authorization_code: needs client_secret (the code is redeemed by a confidential client)")
		}
		if c.StorageID == nil {
			add("authorization_code: needs storage (e.g. file_storage): every refresh rotates the refresh token and a code can be redeemed only once, so without storage a restart loses access")
		}
	}
	if c.Certificate.Password != "" && c.Certificate.Path == "" {
		add("certificate.password: set without certificate.path")
	}

	if c.InitialLookback <= 0 {
		add("initial_lookback: must be positive (e.g. 24h); it is how far back the first run starts")
	}
	if c.Delay < 0 {
		add("delay: must not be negative")
	}
	if c.Settle < 0 {
		add("settle: must not be negative (0 turns the settling pass off)")
	}
	if c.Settle > 0 && c.Settle <= c.Delay {
		add("settle: %s must be longer than delay (%s), or 0 to turn the settling pass off", c.Settle, c.Delay)
	}
	if c.Settle > retention/2 {
		add("settle: %s is too long: rows older than 90 days cannot be read again; use at most 45 days", c.Settle)
	}
	if c.MaxWindow < 0 || c.MaxWindow > graphMaxWindow {
		add("max_window: %s is outside (0, 240h]: Microsoft refuses queries longer than 10 days", c.MaxWindow)
	}
	if c.PollInterval < time.Second {
		add("poll_interval: %s is too short: use at least 1s (default 5m)", c.PollInterval)
	}
	if c.PageSize < 1 || c.PageSize > maxPageSize {
		add("page_size: %d is outside 1..%d (the API's $top limit); 5000 spends the request quota best", c.PageSize, maxPageSize)
	}
	if c.MaxRequestsPer5m < 0 || c.MaxRequestsPer5m > tenantRateLimit {
		add("max_requests_per_5m: %d is outside 0..%d: Microsoft allows %d per tenant per 5 minutes, shared with every other tool (0 means no limit of our own)", c.MaxRequestsPer5m, tenantRateLimit, tenantRateLimit)
	}
	if _, err := logmap.ParseFieldNames(c.FieldNames); err != nil {
		add("field_names: %w", err)
	}
	if _, err := logmap.ParseBodyFormat(c.BodyFormat); err != nil {
		add("body_format: %w", err)
	}
	if err := c.RetryOnFailure.Validate(); err != nil {
		add("retry_on_failure: %w", err)
	}
	if c.Timeout < 0 {
		add("timeout: must not be negative")
	}
	return errors.Join(errs...)
}

// validateMultiTenant checks what goes with a tenants list: the entries of
// the config (the file is read at start and on change), and the settings
// that only make sense for one tenant.
func (c *Config) validateMultiTenant() []error {
	var errs []error
	if c.TenantID != "" {
		errs = append(errs, errors.New("tenant_id: set together with tenants/tenants_file: use tenant_id for one tenant, or list every tenant (that one too) under tenants"))
	}
	if c.AuthorizationCode != "" {
		errs = append(errs, errors.New("authorization_code: is a single user's delegated grant in one tenant: it cannot serve tenants; use a multi-tenant app with client_secret or certificate"))
	}
	if c.ManagedIdentity != nil {
		errs = append(errs, errors.New("managed_identity: gets tokens only for its own tenant: it cannot serve tenants; use a multi-tenant app with certificate or client_secret (or workload_identity)"))
	}
	if c.Auth.HasValue() {
		errs = append(errs, errors.New("auth: an authenticator extension signs requests for one tenant: it cannot serve tenants; use client_secret or certificate"))
	}
	if c.MaxConcurrentTenants < 1 {
		errs = append(errs, fmt.Errorf("max_concurrent_tenants: %d must be at least 1 (default %d)", c.MaxConcurrentTenants, defaultMaxConcurrentTenants))
	}
	list, at := c.Tenants, make([]where, len(c.Tenants))
	for i := range at {
		at[i] = where{index: i}
	}
	if err := c.checkTenants(list, at); err != nil {
		errs = append(errs, err)
	}
	return errs
}
