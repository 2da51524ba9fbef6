package simulator

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// TenantConfig is one customer tenant of a managed provider, served next to
// the home tenant (Config.TenantID, whose data is Config.Model and
// Config.Rows): message-trace-api.md §5. The provider's application
// (Config.ClientID and its credentials) works here once the tenant
// consented; each tenant has its own data, quota, faults and counters.
// Zero values take the defaults listed.
type TenantConfig struct {
	// ID is the tenant's GUID (default: drawn from Config.Seed and the
	// tenant's place in Config.Tenants).
	ID string `json:"id"`
	// Domain is its verified domain, by which the token URL may name it
	// too (default customerNNNN.onmicrosoft.com, NNNN its place from 1).
	Domain string `json:"domain"`
	// Seed makes its rows (default: drawn from Config.Seed and its place).
	Seed uint64 `json:"seed"`
	// Model is its mail flow (Organization defaults to Domain, the mail
	// domain to Domain without .onmicrosoft.com plus .com). RowsPerDay 0
	// serves Rows only.
	Model ModelConfig `json:"-"`
	Rows  []Row       `json:"-"`
	// Consent is the provider app's consent in the tenant.
	Consent identity.Consent `json:"consent"`
	// NewerConsentError: without consent, AADSTS7000229 instead of 700016.
	NewerConsentError bool `json:"newer_consent_error,omitempty"`
	// App, when set, is the tenant's own application registration.
	App *identity.App `json:"app,omitempty"`
	// Faults are its initial faults (ServicePrincipalMissing: Microsoft's
	// message trace service principal is not provisioned in the tenant;
	// TokenOutage and ConsentMissing hold for this tenant's token endpoint).
	Faults Faults `json:"faults"`
	// RateLimit is its quota per Config.RateWindow (0: Config.RateLimit;
	// negative: none).
	RateLimit int `json:"rate_limit,omitempty"`
}

// Tenant is one tenant the simulator serves: the home tenant or a
// customer's. Its data is generated only when paged, and its quota and
// counters are made on its first request, so that thousands cost little.
type Tenant struct {
	sim  *Simulator
	home bool
	cfg  TenantConfig

	once   sync.Once
	ready  atomic.Bool // once has run
	model  *model
	quota  *quota
	counts *counters

	faultMu  sync.Mutex
	faults   Faults
	faultRNG rng
}

// defaultTenant fills a customer tenant's defaults from its place i (from 0).
func defaultTenant(c TenantConfig, i int, seed uint64, from time.Time) TenantConfig {
	if c.ID == "" {
		c.ID = tenantGUID(seed, i)
	}
	if c.Domain == "" {
		c.Domain = fmt.Sprintf("customer%04d.onmicrosoft.com", i+1)
	}
	if c.Seed == 0 {
		c.Seed = mix(seed, 0x5eed7e4a47, uint64(i))
	}
	if c.Model.Organization == "" {
		c.Model.Organization = c.Domain
	}
	if c.Model.Domain == "" {
		c.Model.Domain = strings.TrimSuffix(strings.ToLower(c.Domain), ".onmicrosoft.com") + ".com"
	}
	if c.Model.From.IsZero() {
		c.Model.From = from
	}
	return c
}

// tenantGUID is a version 4 GUID, as Entra's tenant ids are.
func tenantGUID(seed uint64, i int) string {
	r := newRNG(seed, 0x7e4a47, uint64(i))
	var b [16]byte
	x, y := r.next(), r.next()
	for k := range 8 {
		b[k], b[8+k] = byte(x>>(8*k)), byte(y>>(8*k))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

func (t *Tenant) init() {
	t.once.Do(func() {
		now := t.sim.cfg.Now()
		if t.home {
			t.model = newModel(t.sim.cfg.Seed, t.sim.cfg.Model, t.sim.cfg.Rows)
		} else {
			t.model = newModel(t.cfg.Seed, t.cfg.Model.withDefaults(now), t.cfg.Rows)
		}
		limit := t.cfg.RateLimit
		if limit == 0 {
			limit = t.sim.cfg.RateLimit
		}
		t.quota = &quota{limit: limit, window: t.sim.cfg.RateWindow}
		t.counts = newCounters(t.sim.cfg.RateWindow)
		t.ready.Store(true)
	})
}

// ID is the tenant's GUID.
func (t *Tenant) ID() string { return t.cfg.ID }

// Domain is its verified domain ("" for the home tenant).
func (t *Tenant) Domain() string { return t.cfg.Domain }

// Home tells whether this is the home tenant (Config.TenantID).
func (t *Tenant) Home() bool { return t.home }

// Config is the tenant's configuration, defaults filled in (for the home
// tenant: its id, model, rows and rate limit from Config).
func (t *Tenant) Config() TenantConfig {
	t.faultMu.Lock() // SetConsent writes cfg.Consent
	defer t.faultMu.Unlock()
	return t.cfg
}

// Organization is the tenant's legacy Organization field.
func (t *Tenant) Organization() string {
	if t.home {
		return t.sim.cfg.Model.Organization
	}
	return t.cfg.Model.Organization
}

// Truth returns every row of the tenant received in [start, end]
// (inclusive) that exists now, with its final status, newest first.
func (t *Tenant) Truth(start, end time.Time) []Row {
	t.init()
	out := t.model.truth(start.UTC(), end.UTC(), t.sim.cfg.Now())
	org := t.Organization()
	for i := range out {
		if out[i].Organization == "" {
			out[i].Organization = org
		}
	}
	return out
}

// Counters returns a snapshot of the tenant's own request counters.
func (t *Tenant) Counters() Counters {
	if !t.ready.Load() {
		return newCounters(t.sim.cfg.RateWindow).snapshot() // not asked yet: nothing to count
	}
	return t.counts.snapshot()
}

// Faults returns the tenant's fault setting.
func (t *Tenant) Faults() Faults {
	t.faultMu.Lock()
	defer t.faultMu.Unlock()
	return t.faults
}

// SetFaults replaces the tenant's fault setting. The home tenant's token
// switches (TokenOutage, ConsentMissing) are the identity platform's and
// hold in every tenant, as they did before there were several; a customer
// tenant's hold in that tenant only.
func (t *Tenant) SetFaults(f Faults) {
	t.faultMu.Lock()
	t.faults = f
	t.faultMu.Unlock()
	if t.home {
		t.sim.id.SetOutage(f.TokenOutage)
		t.sim.id.SetConsentMissing(f.ConsentMissing)
		return
	}
	_ = t.sim.id.SetTenantSwitches(t.cfg.ID, f.TokenOutage, f.ConsentMissing)
}

// SetConsent grants or revokes the provider app's consent in the tenant
// (the home tenant is the app's own: always consented).
func (t *Tenant) SetConsent(c identity.Consent) error {
	if t.home {
		return fmt.Errorf("tenant %s is the application's home tenant: it needs no consent", t.cfg.ID)
	}
	if err := t.sim.id.SetConsent(t.cfg.ID, c); err != nil {
		return err
	}
	t.faultMu.Lock()
	t.cfg.Consent = c
	t.faultMu.Unlock()
	return nil
}

// Consent is the provider app's consent in the tenant.
func (t *Tenant) Consent() identity.Consent {
	t.faultMu.Lock()
	defer t.faultMu.Unlock()
	return t.cfg.Consent
}

// Tenant returns the tenant named by GUID or verified domain.
func (s *Simulator) Tenant(name string) (*Tenant, bool) {
	t := s.tenantByName[strings.ToLower(name)]
	return t, t != nil
}

// Tenants returns every tenant: the home tenant first, then
// Config.Tenants in order.
func (s *Simulator) Tenants() []*Tenant { return append([]*Tenant(nil), s.tenants...) }

// HomeTenant is the home tenant (Config.TenantID).
func (s *Simulator) HomeTenant() *Tenant { return s.tenants[0] }

// newTenants builds the home tenant and the customer tenants and registers
// the customers with the identity platform.
func (s *Simulator) newTenants() error {
	cfg := s.cfg
	home := &Tenant{sim: s, home: true, cfg: TenantConfig{ID: cfg.TenantID, Seed: cfg.Seed, Model: cfg.Model, Rows: cfg.Rows,
		RateLimit: cfg.RateLimit}}
	home.faultRNG = newRNG(cfg.Seed, 0xfa017)
	s.tenants = make([]*Tenant, 0, 1+len(cfg.Tenants))
	s.tenants = append(s.tenants, home)
	s.tenantByName = make(map[string]*Tenant, 1+2*len(cfg.Tenants))
	s.tenantByName[strings.ToLower(cfg.TenantID)] = home
	for i, tc := range cfg.Tenants {
		tc = defaultTenant(tc, i, cfg.Seed, cfg.Model.From)
		if err := s.id.AddTenant(identity.TenantConfig{ID: tc.ID, Domains: []string{tc.Domain}, Consent: tc.Consent,
			NewerConsentError: tc.NewerConsentError, App: tc.App}); err != nil {
			return fmt.Errorf("tenants[%d]: %w", i, err)
		}
		t := &Tenant{sim: s, cfg: tc, faultRNG: newRNG(tc.Seed, 0xfa017)}
		s.tenants = append(s.tenants, t)
		s.tenantByName[strings.ToLower(tc.ID)] = t
		s.tenantByName[strings.ToLower(tc.Domain)] = t
		t.SetFaults(tc.Faults)
	}
	return nil
}
