package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
)

// fileConfig is the command's configuration: a JSON or YAML file, with
// flags overriding it. Durations are strings such as "5m".
type fileConfig struct {
	Seed         uint64 `json:"seed"`
	TenantID     string `json:"tenant_id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RedirectURI  string `json:"redirect_uri"`

	RowsPerDay         float64            `json:"rows_per_day"`
	Days               float64            `json:"days"` // history generated before start
	DailySwing         float64            `json:"daily_swing"`
	DelayedFraction    float64            `json:"delayed_fraction"`
	MaxVisibilityDelay simulator.Duration `json:"max_visibility_delay"`
	ChangingFraction   float64            `json:"changing_fraction"`
	MaxChangeDelay     simulator.Duration `json:"max_change_delay"`
	// StatusWeights are the final statuses' relative weights
	// ({delivered: 70, failed: 10}); absent or empty: the simulator's mix.
	StatusWeights statusWeights `json:"status_weights"`
	Organization  string        `json:"organization"`
	Domain        string        `json:"domain"`
	RowsFile      string        `json:"rows_file"` // explicit rows (JSON array or API response)

	// RateLimit: requests per tenant per window. As every setting of the
	// simulator: absent or 0 means the default (100), negative means none.
	RateLimit       int                `json:"rate_limit"`
	RateWindow      simulator.Duration `json:"rate_window"`
	RetryAfter      simulator.Duration `json:"retry_after"`
	AccessTokenTTL  simulator.Duration `json:"access_token_ttl"`
	RefreshTokenTTL simulator.Duration `json:"refresh_token_ttl"`
	AuthCodeTTL     simulator.Duration `json:"auth_code_ttl"`
	// ClientCertFile is a PEM certificate registered on the application
	// (certificate credentials).
	ClientCertFile string `json:"client_cert_file"`
	LegacyVerbose  bool   `json:"legacy_verbose"`

	HTTPSAddr string `json:"https_addr"`
	HTTPAddr  string `json:"http_addr"`
	SumoAddr  string `json:"sumo_addr"`
	Dir       string `json:"dir"`
	// Summary, when > 0, prints delivered vs existing rows this often.
	Summary time.Duration `json:"-"`

	Faults simulator.Faults `json:"faults"`

	// Tenants are customer tenants of a managed provider beside the home
	// tenant (tenant_id), sized by a spread.
	Tenants tenantsConfig `json:"tenants"`
}

func defaultConfig() fileConfig {
	return fileConfig{
		Seed: 1, RowsPerDay: 10000, Days: 15, DailySwing: 0.5,
		HTTPSAddr: "127.0.0.1:18443", HTTPAddr: "127.0.0.1:18081", SumoAddr: "127.0.0.1:18080",
		Dir: ".msgtrace-sim",
	}
}

// loadFile merges a JSON or YAML file into c (YAML is read as generic data
// and re-encoded as JSON, so one set of tags serves both).
func loadFile(path string, c *fileConfig) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var generic any
	if err := yaml.Unmarshal(data, &generic); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	j, err := json.Marshal(generic)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(j, c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// validate rejects what the simulator would silently misread.
func (c fileConfig) validate() error {
	var errs []error
	for _, d := range []struct {
		key string
		v   simulator.Duration
	}{
		{"access_token_ttl (-token-ttl)", c.AccessTokenTTL}, {"refresh_token_ttl (-refresh-token-ttl)", c.RefreshTokenTTL},
		{"auth_code_ttl (-auth-code-ttl)", c.AuthCodeTTL}, {"max_visibility_delay (-max-visibility-delay)", c.MaxVisibilityDelay},
		{"max_change_delay (-max-change-delay)", c.MaxChangeDelay}, {"rate_window (-rate-window)", c.RateWindow},
		{"retry_after (-retry-after)", c.RetryAfter},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative; 0 means the default", d.key, time.Duration(d.v)))
		}
	}
	for _, f := range []struct {
		key string
		v   float64
	}{
		{"delayed_fraction (-delayed-fraction)", c.DelayedFraction}, {"changing_fraction (-changing-fraction)", c.ChangingFraction},
	} {
		if f.v > 1 {
			errs = append(errs, fmt.Errorf("%s: %g is over 1; 0 means the default, a negative value none", f.key, f.v))
		}
	}
	if c.DailySwing < 0 || c.DailySwing >= 1 {
		errs = append(errs, fmt.Errorf("daily_swing (-daily-swing): %g is outside [0, 1)", c.DailySwing))
	}
	if c.RowsPerDay < 0 || c.Days < 0 {
		errs = append(errs, fmt.Errorf("rows_per_day and days are amounts: %g and %g must not be negative", c.RowsPerDay, c.Days))
	}
	if err := c.StatusWeights.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Tenants.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// simConfig turns the command's configuration into the simulator's.
func (c fileConfig) simConfig(now time.Time) (simulator.Config, error) {
	cfg := simulator.Config{
		Seed: c.Seed, TenantID: c.TenantID, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RedirectURI: c.RedirectURI, AccessTokenTTL: time.Duration(c.AccessTokenTTL),
		RefreshTokenTTL: time.Duration(c.RefreshTokenTTL), AuthCodeTTL: time.Duration(c.AuthCodeTTL),
		RateLimit: c.RateLimit, RateWindow: time.Duration(c.RateWindow), RetryAfter: time.Duration(c.RetryAfter),
		LegacyVerbose: c.LegacyVerbose, Faults: c.Faults,
		HTTPSAddr: c.HTTPSAddr, HTTPAddr: c.HTTPAddr, CertDir: c.Dir,
		Model: simulator.ModelConfig{
			RowsPerDay: c.RowsPerDay, DailySwing: c.DailySwing, From: now.Add(-time.Duration(c.Days * float64(24*time.Hour))),
			DelayedFraction: c.DelayedFraction, MaxVisibilityDelay: time.Duration(c.MaxVisibilityDelay),
			ChangingFraction: c.ChangingFraction, MaxChangeDelay: time.Duration(c.MaxChangeDelay),
			Organization: c.Organization, Domain: c.Domain, StatusWeights: c.StatusWeights.weights(),
		},
	}
	tenants, err := c.Tenants.tenants(c.Seed, cfg.Model)
	if err != nil {
		return cfg, err
	}
	cfg.Tenants = tenants
	if c.ClientCertFile != "" {
		cert, err := readCertificate(c.ClientCertFile)
		if err != nil {
			return cfg, err
		}
		cfg.ClientCertificate = cert
	}
	if c.RowsFile != "" {
		data, err := os.ReadFile(c.RowsFile)
		if err != nil {
			return cfg, err
		}
		if cfg.Rows, err = simulator.ParseRows(data); err != nil {
			return cfg, fmt.Errorf("%s: %w", c.RowsFile, err)
		}
	}
	return cfg, nil
}

// readCertificate reads the first CERTIFICATE block of a PEM file (a key
// in the same file is ignored).
func readCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%s: no PEM certificate", path)
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}

// statusWeights are final statuses' relative weights by name (any case):
// "delivered=70,failed=10" as a flag, a map in the file.
type statusWeights map[string]float64

func (w *statusWeights) String() string {
	if w == nil || len(*w) == 0 {
		return ""
	}
	names := make([]string, 0, len(*w))
	for n := range *w {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + strconv.FormatFloat((*w)[n], 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Set reads the flag: replaces the whole mix.
func (w *statusWeights) Set(v string) error {
	m := statusWeights{}
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, num, ok := strings.Cut(part, "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if !ok || err != nil {
			return fmt.Errorf("%q is not status=weight (delivered=70,failed=10,quarantined=10,filteredAsSpam=10)", part)
		}
		m[strings.TrimSpace(name)] = f
	}
	*w = m
	return nil
}

func (w statusWeights) validate() error {
	var errs []error
	positive := false
	for name, f := range w {
		if _, err := simulator.ParseStatus(name); err != nil {
			errs = append(errs, fmt.Errorf("status_weights (-status-weights): %w", err))
		}
		if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			errs = append(errs, fmt.Errorf("status_weights (-status-weights): %s=%g: weights are relative amounts, 0 or more", name, f))
		}
		positive = positive || f > 0
	}
	if len(w) > 0 && !positive {
		errs = append(errs, errors.New("status_weights (-status-weights): no status has a weight above 0; leave the setting out for the default mix"))
	}
	return errors.Join(errs...)
}

// weights is the simulator's form (nil: its default mix); validate first.
func (w statusWeights) weights() map[simulator.Status]float64 {
	if len(w) == 0 {
		return nil
	}
	out := make(map[simulator.Status]float64, len(w))
	for name, f := range w {
		st, _ := simulator.ParseStatus(name)
		out[st] += f
	}
	return out
}
