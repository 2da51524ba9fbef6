package exchangemessagetracereceiver

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/tenantsfile"
)

// TenantConfig is one customer tenant of a provider's receiver, in
// `tenants:` or in `tenants_file`. Unset fields take the receiver's
// top-level values; an entry with its own credential (client_secret or
// certificate) uses only that one (a customer with its own app).
type TenantConfig struct {
	TenantID     string              `mapstructure:"tenant_id"`
	Organization string              `mapstructure:"organization"`
	ClientID     string              `mapstructure:"client_id"`
	ClientSecret configopaque.String `mapstructure:"client_secret"`
	Certificate  CertificateConfig   `mapstructure:"certificate"`
	// ResourceAttributes are added to the resource of this tenant's logs,
	// e.g. {customer: acme, _sourceCategory: customers/acme/o365}.
	ResourceAttributes map[string]string `mapstructure:"resource_attributes"`

	_ struct{}
}

// where says where an entry was written, for messages.
type where struct {
	file  string // tenants_file path, "" for the config's tenants list
	index int
	line  int
}

func (w where) String() string {
	if w.file == "" {
		return fmt.Sprintf("tenants[%d]", w.index)
	}
	return fmt.Sprintf("tenants_file %s: entry %d (line %d)", w.file, w.index, w.line)
}

// multiTenant tells whether the config lists tenants rather than naming
// one with tenant_id.
func (c *Config) multiTenant() bool { return len(c.Tenants) > 0 || c.TenantsFile != "" }

// forTenant is the config one tenant is collected with: the receiver's,
// with the entry's values in place of the top-level tenant and credential.
// Everything that is per tenant (cursor, keys, budget, token, resource)
// follows from it.
func (c *Config) forTenant(t TenantConfig) *Config {
	tc := *c
	tc.Tenants, tc.TenantsFile = nil, ""
	tc.TenantID = strings.TrimSpace(t.TenantID)
	if t.Organization != "" {
		tc.Organization = t.Organization
	}
	if t.ClientID != "" {
		tc.ClientID = t.ClientID
	}
	if t.ClientSecret != "" || t.Certificate.Path != "" {
		// The entry's credential is the only one: a top-level workload
		// identity would otherwise be tried first (auth's order).
		tc.ClientSecret, tc.Certificate = t.ClientSecret, t.Certificate
		tc.WorkloadIdentity = configoptional.None[WorkloadIdentityConfig]()
	}
	return &tc
}

// tenantKey identifies a tenant for duplicates: ids are GUIDs or domains,
// both case-insensitive.
func tenantKey(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// guidPattern is a Directory (tenant) ID as Entra shows it.
var guidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// dnsLabel is one label of a domain name: letters, digits and inner hyphens.
var dnsLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// checkTenantID accepts what names a tenant at the identity platform: its
// GUID or one of its verified domains (at least two labels, such as
// contoso.onmicrosoft.com). The id goes into token endpoint paths, storage
// keys and telemetry, so anything else ("../../evil", a typo with spaces,
// "common") is refused here rather than fail later, less clearly. So is
// white space around it: the id is used as written, and " contoso.com"
// would go into the token URL and the storage prefix with its space.
func checkTenantID(id string) error {
	if strings.TrimSpace(id) != id {
		return fmt.Errorf("tenant_id %q has white space before or after it: write the id without it "+
			"(it goes into the token endpoint's URL and the storage keys as written)", logsafe.Truncate(id, 100)) // %q, not Quote: that trims
	}
	if guidPattern.MatchString(id) || isDomainName(id) {
		return nil
	}
	return fmt.Errorf("tenant_id %s is neither a GUID nor a domain name: set the tenant's Directory (tenant) ID "+
		"(a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, in Entra ID > Overview) or one of its verified domains (such as contoso.onmicrosoft.com)",
		logsafe.Quote(id))
}

// isDomainName tells whether s is a domain name of two labels or more
// whose last label is not all digits (that would be an IP address).
func isDomainName(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if !dnsLabel.MatchString(l) {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// checkTenants validates the entries of one list, every problem at once,
// each naming the entry.
func (c *Config) checkTenants(list []TenantConfig, at []where) error {
	var errs []error
	seen := map[string]where{}
	for i, t := range list {
		w := at[i]
		if strings.TrimSpace(t.TenantID) == "" {
			errs = append(errs, fmt.Errorf("%s: tenant_id: required: the customer's Directory (tenant) ID (a GUID, or its onmicrosoft.com domain)", w))
			continue
		}
		if err := checkTenantID(t.TenantID); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", w, err))
			continue
		}
		if first, dup := seen[tenantKey(t.TenantID)]; dup {
			errs = append(errs, fmt.Errorf("%s: tenant_id %q is listed twice (first at %s): each tenant once", w, t.TenantID, first))
			continue
		}
		seen[tenantKey(t.TenantID)] = w
		if t.ClientSecret != "" && t.Certificate.Path != "" {
			errs = append(errs, fmt.Errorf("%s: client_secret and certificate are set together: set exactly one", w))
		}
		if t.Certificate.Password != "" && t.Certificate.Path == "" {
			errs = append(errs, fmt.Errorf("%s: certificate.password: set without certificate.path", w))
		}
		tc := c.forTenant(t)
		if tc.ClientID == "" {
			errs = append(errs, fmt.Errorf("%s: client_id: required here or at the receiver's top level: the Application (client) ID", w))
		}
		if tc.ClientSecret == "" && tc.Certificate.Path == "" && !tc.WorkloadIdentity.HasValue() {
			errs = append(errs, fmt.Errorf("%s: no credential: set client_secret or certificate.path here or at the receiver's top level", w))
		}
	}
	return errors.Join(errs...)
}

// decodeTenantEntries reads the file's entries the way the collector reads
// its own config (same keys, same types, unknown keys refused).
func decodeTenantEntries(file string, entries []tenantsfile.Entry) ([]TenantConfig, []where, error) {
	list := make([]TenantConfig, 0, len(entries))
	at := make([]where, 0, len(entries))
	var errs []error
	for _, e := range entries {
		w := where{file: file, index: e.Index, line: e.Line}
		var t TenantConfig
		if err := confmap.NewFromStringMap(e.Fields).Unmarshal(&t); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", w, err))
			continue
		}
		list = append(list, t)
		at = append(at, w)
	}
	return list, at, errors.Join(errs...)
}

// tenantList is every tenant to collect at start: the one tenant_id, or the
// config's list followed by the tenants file's entries (with the file's
// content, for the watcher).
func (c *Config) tenantList() ([]TenantConfig, []byte, error) {
	if !c.multiTenant() {
		return []TenantConfig{{TenantID: c.TenantID}}, nil, nil
	}
	if c.TenantsFile == "" {
		list, err := c.withFileEntries(nil)
		return list, nil, err
	}
	entries, data, err := tenantsfile.Read(c.TenantsFile)
	if err != nil {
		// tenantsfile names the file (and the line) itself.
		return nil, data, fmt.Errorf("tenants_file: %w", err)
	}
	list, err := c.withFileEntries(entries)
	return list, data, err
}

// withFileEntries is the config's tenants followed by the file's entries,
// validated together so that a tenant in both is a duplicate. The watcher
// calls it with the entries it read, never reading the file again.
func (c *Config) withFileEntries(entries []tenantsfile.Entry) ([]TenantConfig, error) {
	list, at := c.configEntries()
	fromFile, fileAt, err := decodeTenantEntries(c.TenantsFile, entries)
	if err != nil {
		return nil, err
	}
	list, at = append(list, fromFile...), append(at, fileAt...)
	return list, c.checkTenants(list, at)
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
	if c.ManagedIdentity.HasValue() {
		errs = append(errs, errors.New("managed_identity: gets tokens only for its own tenant: it cannot serve tenants; use a multi-tenant app with certificate or client_secret (or workload_identity)"))
	}
	if c.Auth.HasValue() {
		errs = append(errs, errors.New("auth: an authenticator extension signs requests for one tenant: it cannot serve tenants; use client_secret or certificate"))
	}
	if creds := c.credentials(); len(creds) > 1 {
		errs = append(errs, fmt.Errorf("%s are set together: set at most one of the credentials at the top level (entries may bring their own)", strings.Join(creds, " and ")))
	}
	if c.Certificate.Password != "" && c.Certificate.Path == "" {
		errs = append(errs, errors.New("certificate.password: set without certificate.path: set the path of the PKCS#12 or encrypted PEM file it opens"))
	}
	if c.MaxConcurrentTenants < 1 {
		errs = append(errs, fmt.Errorf("max_concurrent_tenants: %d must be at least 1 (default %d)", c.MaxConcurrentTenants, defaultMaxConcurrentTenants))
	}
	if err := c.checkTenants(c.configEntries()); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// configEntries is a copy of the config's own tenants list, with where each
// entry stands.
func (c *Config) configEntries() ([]TenantConfig, []where) {
	list := append([]TenantConfig(nil), c.Tenants...)
	at := make([]where, len(list))
	for i := range list {
		at[i] = where{index: i}
	}
	return list, at
}
