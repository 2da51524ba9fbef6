package exchangemessagetracereceiver

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Validate reports every problem at once, each naming the key and the fix.
// (api, field_names and body_format are checked earlier, when the config is
// unmarshaled: their types accept only valid values. retry_on_failure and
// the HTTP client settings validate themselves: xconfmap.Validate calls
// them and prefixes their key.)
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.multiTenant() {
		errs = append(errs, c.validateMultiTenant()...)
	} else {
		if strings.TrimSpace(c.TenantID) == "" {
			add("tenant_id: required: the Directory (tenant) ID of the Microsoft 365 tenant (a GUID, or its onmicrosoft.com domain); or tenants / tenants_file for many tenants")
		} else if err := checkTenantID(c.TenantID); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, c.validateCredentials()...)
	}
	errs = append(errs, c.validateEndpoints()...)

	if c.InitialLookback <= 0 {
		add("initial_lookback: must be positive (e.g. 24h); it is how far back the first run starts")
	}
	if c.Delay < 0 {
		add("delay: %s must not be negative", c.Delay)
	}
	if c.Settle < 0 {
		add("settle: %s must not be negative (0 turns the settling pass off)", c.Settle)
	}
	if c.Settle > 0 && c.Settle <= c.Delay {
		add("settle: %s must be longer than delay (%s), or 0 to turn the settling pass off", c.Settle, c.Delay)
	}
	if c.Settle > retention/2 {
		add("settle: %s is too long: rows older than 90 days cannot be read again; use at most 45 days (1080h)", c.Settle)
	}
	if c.MaxWindow < 0 || c.MaxWindow > graphMaxWindow {
		add("max_window: %s is outside (0, 240h]: Microsoft refuses queries longer than 10 days (0 means the API's default)", c.MaxWindow)
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
	errs = append(errs, c.validateDetails()...)
	if c.LeaderElectorID != nil && c.StorageID == nil {
		add("k8s_leader_elector: needs storage that every replica reaches (db_storage with driver pgx): each new leader resumes from the cursor the previous one stored")
	}
	if c.Timeout < 0 {
		add("timeout: %s must not be negative (0 means no timeout; default 60s)", c.Timeout)
	}
	return errors.Join(errs...)
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
	if c.ManagedIdentity.HasValue() {
		set = append(set, "managed_identity")
	}
	if c.WorkloadIdentity.HasValue() {
		set = append(set, "workload_identity")
	}
	if c.Auth.HasValue() {
		set = append(set, "auth")
	}
	return set
}

// validateCredentials checks that exactly one credential is set, and what
// the authorization code flow needs.
func (c *Config) validateCredentials() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	creds := c.credentials()
	if c.ClientID == "" && !c.ManagedIdentity.HasValue() && !c.Auth.HasValue() {
		add("client_id: required: the Application (client) ID of the app registration")
	}
	switch {
	case len(creds) == 0:
		add("no credential set: set exactly one of the credentials client_secret, certificate.path, managed_identity, workload_identity, or auth (an authenticator extension)")
	case len(creds) > 1:
		add("%s are set together: set exactly one of the credentials", strings.Join(creds, " and "))
	}
	if c.Certificate.Password != "" && c.Certificate.Path == "" {
		add("certificate.password: set without certificate.path: set the path of the PKCS#12 or encrypted PEM file it opens")
	}
	if c.AuthorizationCode != "" {
		// Microsoft redeems a code only for a confidential client that
		// proves itself with a secret or a certificate assertion.
		if c.ClientSecret == "" && c.Certificate.Path == "" {
			add("authorization_code: needs client_secret or certificate.path: the code is redeemed by the app registration, which proves itself with one of them")
		}
		if c.StorageID == nil {
			add("authorization_code: needs storage (e.g. file_storage): every refresh rotates the refresh token and a code can be redeemed only once, so without storage a restart loses access")
		}
	}
	return errs
}

// validateDetails checks the details block, when it is on.
func (c *Config) validateDetails() []error {
	if !c.Details.HasValue() {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	d := c.Details.Get()
	if c.API == apiReporting {
		add("details: needs api: graph: the legacy report's MessageTraceDetail is retired with it; remove details or switch to Graph")
	}
	if len(d.Statuses) == 0 {
		add("details.statuses: empty: list the row statuses whose detail events to look up (e.g. [failed, quarantined, filteredAsSpam]), or remove details")
	}
	for i, s := range d.Statuses {
		if strings.TrimSpace(s) == "" {
			add("details.statuses[%d]: empty: name a status (e.g. quarantined)", i)
		}
	}
	if d.MaxRequestsPer5m < 1 {
		add("details.max_requests_per_5m: %d must be at least 1 (the lookups' share of max_requests_per_5m)", d.MaxRequestsPer5m)
	}
	budget := c.MaxRequestsPer5m
	if budget == 0 {
		budget = tenantRateLimit
	}
	if d.MaxRequestsPer5m >= budget {
		add("details.max_requests_per_5m: %d must be below max_requests_per_5m (%d): the list calls must keep a part of the tenant's budget (default 30 of 80)", d.MaxRequestsPer5m, budget)
	}
	if d.MaxPending < 1 {
		add("details.max_pending: %d must be at least 1 (default 10000 lookups per tenant)", d.MaxPending)
	}
	return errs
}
