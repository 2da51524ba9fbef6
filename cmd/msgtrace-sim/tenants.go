package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// stormRate is the share of a "429 storm" tenant's requests answered 429.
const stormRate = 0.5

// tenantsConfig asks for customer tenants beside the home tenant: a count,
// their size spread, and which (by place, from 1) are broken how.
type tenantsConfig struct {
	Count  int     `json:"count"`
	Spread string  `json:"spread"`   // lognormal (default), zipf, fixed
	MinRPD float64 `json:"rows_min"` // rows per day (default 100)
	MaxRPD float64 `json:"rows_max"` // rows per day (default 1,000,000)
	// ConsentError is the AADSTS code unconsented tenants answer with:
	// 700016 (default) or 7000229.
	ConsentError       int       `json:"consent_error"`
	NoConsent          indexList `json:"no_consent"`
	NoPermission       indexList `json:"no_permission"`
	NoServicePrincipal indexList `json:"no_service_principal"`
	ThrottleStorm      indexList `json:"throttle_storm"`
	OwnApp             indexList `json:"own_app"`
	// File is where the receiver's tenants file is written (default
	// DIR/tenants.yaml).
	File string `json:"file"`
}

// indexList is a list of tenant places from 1: "3,7" as a flag, [3, 7] in a file.
type indexList []int

func (l *indexList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *indexList) Set(v string) error {
	*l = nil
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return fmt.Errorf("%q is not a tenant number (1 for customer0001, ...)", part)
		}
		*l = append(*l, n)
	}
	return nil
}

func (c tenantsConfig) validate() error {
	var errs []error
	if c.Count < 0 {
		errs = append(errs, fmt.Errorf("tenants.count (-tenants): %d must not be negative", c.Count))
	}
	if err := c.spread().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("tenants.spread, rows_min, rows_max (-tenant-spread, -tenant-rows-min, -tenant-rows-max): %w", err))
	}
	if c.ConsentError != 0 && c.ConsentError != 700016 && c.ConsentError != 7000229 {
		errs = append(errs, fmt.Errorf("tenants.consent_error (-consent-error): %d: use 700016 or 7000229", c.ConsentError))
	}
	for _, l := range []struct {
		key  string
		list indexList
	}{
		{"no_consent (-no-consent)", c.NoConsent}, {"no_permission (-no-permission)", c.NoPermission},
		{"no_service_principal (-no-service-principal)", c.NoServicePrincipal},
		{"throttle_storm (-throttle-storm)", c.ThrottleStorm}, {"own_app (-own-app)", c.OwnApp},
	} {
		for _, n := range l.list {
			if n < 1 || n > c.Count {
				errs = append(errs, fmt.Errorf("tenants.%s: tenant %d is not one of the %d tenants (1..%d)", l.key, n, c.Count, c.Count))
			}
		}
	}
	return errors.Join(errs...)
}

func (c tenantsConfig) spread() simulator.Spread {
	return simulator.Spread{Kind: c.Spread, Min: c.MinRPD, Max: c.MaxRPD}
}

// tenants builds the customer tenants, each with model's mail flow.
func (c tenantsConfig) tenants(seed uint64, model simulator.ModelConfig) ([]simulator.TenantConfig, error) {
	if c.Count == 0 {
		return nil, nil
	}
	list, err := simulator.GenerateTenants(c.Count, c.spread(), seed, model)
	if err != nil {
		return nil, err
	}
	for i := range list {
		n := i + 1
		t := &list[i]
		t.NewerConsentError = c.ConsentError == 7000229
		switch {
		case slices.Contains(c.NoConsent, n):
			t.Consent = identity.ConsentNone
		case slices.Contains(c.NoPermission, n):
			t.Consent = identity.ConsentWithoutPermission
		}
		t.Faults.ServicePrincipalMissing = slices.Contains(c.NoServicePrincipal, n)
		if slices.Contains(c.ThrottleStorm, n) {
			t.Faults.Throttle = stormRate
		}
		if slices.Contains(c.OwnApp, n) {
			r := ownAppID(seed, n)
			t.App = &identity.App{ClientID: r, ClientSecret: fmt.Sprintf("sim-own-app-secret-%04d", n)}
		}
	}
	return list, nil
}

// ownAppID is tenant n's own application id: fixed by seed and place.
func ownAppID(seed uint64, n int) string {
	return fmt.Sprintf("a0a0a0a0-0000-4000-8000-%04x%08x", seed&0xffff, n)
}

// tenantsFileEntry is one entry of the receiver's tenants_file.
type tenantsFileEntry struct {
	TenantID           string            `yaml:"tenant_id"`
	Organization       string            `yaml:"organization"`
	ClientID           string            `yaml:"client_id,omitempty"`
	ClientSecret       string            `yaml:"client_secret,omitempty"`
	ResourceAttributes map[string]string `yaml:"resource_attributes"`
}

// customerName is the short name of a tenant: customer0001.
func customerName(t *simulator.Tenant) string {
	name, _, _ := strings.Cut(t.Domain(), ".")
	return name
}

// sourceCategory is where a tenant's rows land in Sumo Logic.
func sourceCategory(t *simulator.Tenant) string { return "customers/" + customerName(t) + "/o365" }

// writeTenantsFile writes the receiver's tenants_file for the customer
// tenants of sim (the home tenant is the provider's own: not listed). A
// tenant with its own app carries its client id and (simulated) secret.
func writeTenantsFile(path string, sim *simulator.Simulator) error {
	var entries []tenantsFileEntry
	for _, t := range sim.Tenants() {
		if t.Home() {
			continue
		}
		e := tenantsFileEntry{TenantID: t.ID(), Organization: t.Organization(), ResourceAttributes: map[string]string{
			"customer": customerName(t), "_sourceCategory": sourceCategory(t),
		}}
		if app := t.Config().App; app != nil {
			e.ClientID, e.ClientSecret = app.ClientID, app.ClientSecret
		}
		entries = append(entries, e)
	}
	body, err := yaml.Marshal(map[string]any{"tenants": entries})
	if err != nil {
		return err
	}
	head := fmt.Sprintf("# The simulator's %d customer tenants, for the receiver's tenants_file (written by msgtrace-sim).\n", len(entries))
	return os.WriteFile(path, append([]byte(head), body...), 0o600)
}

// printTenants tells where the tenants are and lists the first ten and
// every broken one.
func printTenants(out io.Writer, sim *simulator.Simulator, c tenantsConfig, ep endpoints) {
	kind := c.Spread
	if kind == "" {
		kind = "lognormal"
	}
	fmt.Fprintf(out, "  tenants   %d customers (%s spread of rows/day), tenants file %s, admin %stenants\n", ep.Tenants, kind, ep.TenantsFile, ep.Admin)
	for i, t := range sim.Tenants()[1:] {
		line, special := tenantLine(t)
		if i < 10 || special {
			fmt.Fprintf(out, "    %s\n", line)
		}
	}
}

// tenantLine says what is special about a tenant, for the start banner.
func tenantLine(t *simulator.Tenant) (string, bool) {
	var notes []string
	c := t.Config()
	if c.Consent != identity.ConsentGranted {
		notes = append(notes, "consent "+c.Consent.String())
	}
	if c.Faults.ServicePrincipalMissing {
		notes = append(notes, "no message trace service principal")
	}
	if c.Faults.Throttle > 0 {
		notes = append(notes, fmt.Sprintf("429 storm (%.0f%%)", 100*c.Faults.Throttle))
	}
	if c.App != nil {
		notes = append(notes, "own app "+c.App.ClientID)
	}
	line := fmt.Sprintf("%s %s %8.0f rows/day", customerName(t), t.ID(), c.Model.RowsPerDay)
	if len(notes) > 0 {
		line += ": " + strings.Join(notes, ", ")
	}
	return line, len(notes) > 0
}
