package simulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// The tenants' admin API:
//
//	GET  /admin/tenants                 every tenant (TenantInfo); with truth=1, or start=/end=, each with its truth_rows
//	GET  /admin/tenants/{id}            one tenant, by GUID or domain (same query)
//	POST /admin/tenants/{id}            change it (JSON TenantPatch): consent, service principal, faults
//	GET  /admin/tenants/{id}/truth      its final rows, as /admin/truth
//	GET  /admin/tenants/{id}/details-truth  its rows' detail events, as /admin/details-truth
//
// POST /admin/counters/reset resets every tenant's counters too.

// TenantInfo is what the admin API tells of a tenant.
type TenantInfo struct {
	ID                string           `json:"id"`
	Domain            string           `json:"domain,omitempty"`
	Organization      string           `json:"organization"`
	Home              bool             `json:"home,omitempty"`
	RowsPerDay        float64          `json:"rows_per_day"`
	Consent           identity.Consent `json:"consent"`
	NewerConsentError bool             `json:"newer_consent_error,omitempty"`
	// AppClientID is the tenant's own application, when it has one.
	AppClientID string `json:"app_client_id,omitempty"`
	Faults      Faults `json:"faults"`
	RateLimit   int    `json:"rate_limit"`
	// Counters are the tenant's own (Graph and legacy requests by status,
	// peak per window, throttled, rows served); Tokens its token endpoint's.
	Counters Counters             `json:"counters"`
	Tokens   identity.TenantStats `json:"tokens"`
	// TruthRows counts its rows in the asked range (only when asked).
	TruthRows *int `json:"truth_rows,omitempty"`
}

// TenantPatch changes a tenant at run time; absent fields stay as they are.
// ServicePrincipalMissing sets that one fault (after Faults, when both).
type TenantPatch struct {
	Consent                 *identity.Consent `json:"consent,omitempty"`
	ServicePrincipalMissing *bool             `json:"service_principal_missing,omitempty"`
	Faults                  *Faults           `json:"faults,omitempty"`
}

// Info describes the tenant now.
func (t *Tenant) Info() TenantInfo {
	c := t.Config()
	info := TenantInfo{ID: c.ID, Domain: c.Domain, Organization: t.Organization(), Home: t.home,
		RowsPerDay: c.Model.RowsPerDay, Consent: t.Consent(), NewerConsentError: c.NewerConsentError,
		Faults: t.Faults(), RateLimit: c.RateLimit, Counters: t.Counters()}
	if t.home {
		info.RowsPerDay = t.sim.cfg.Model.RowsPerDay
	}
	if info.RateLimit == 0 {
		info.RateLimit = t.sim.cfg.RateLimit
	}
	if c.App != nil {
		info.AppClientID = c.App.ClientID
	}
	info.Tokens, _ = t.sim.id.TenantStats(c.ID)
	return info
}

// TruthCount is how many rows Truth(start, end) would return, counted
// without keeping them.
func (t *Tenant) TruthCount(start, end time.Time) int {
	t.init()
	n := 0
	q := query{Start: start.UTC(), End: end.UTC(), Now: t.sim.cfg.Now(), Truth: true}
	t.model.scan(q, position{Bucket: t.model.bucketOf(q.End)}, func(*Row, Status) bool {
		n++
		return true
	})
	return n
}

// Apply changes the tenant as p says.
func (t *Tenant) Apply(p TenantPatch) error {
	if p.Consent != nil {
		if err := t.SetConsent(*p.Consent); err != nil {
			return err
		}
	}
	if p.Faults != nil || p.ServicePrincipalMissing != nil {
		f := t.Faults()
		if p.Faults != nil {
			f = *p.Faults
		}
		if p.ServicePrincipalMissing != nil {
			f.ServicePrincipalMissing = *p.ServicePrincipalMissing
		}
		t.SetFaults(f)
	}
	return nil
}

func (s *Simulator) serveTenantsAdmin(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/admin/tenants"), "/")
	name, sub, _ := strings.Cut(rest, "/")
	info := func(t *Tenant) (TenantInfo, bool) {
		i := t.Info()
		q := r.URL.Query()
		if q.Get("truth") != "" || q.Get("start") != "" || q.Get("end") != "" {
			start, end, err := s.truthRange(r)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return i, false
			}
			n := t.TruthCount(start, end)
			i.TruthRows = &n
		}
		return i, true
	}
	if name == "" {
		list := make([]TenantInfo, 0, len(s.tenants))
		for _, t := range s.tenants {
			i, ok := info(t)
			if !ok {
				return
			}
			list = append(list, i)
		}
		writeJSON(w, http.StatusOK, map[string]any{"tenants": list})
		return
	}
	t, ok := s.Tenant(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no tenant " + name + ": name one by its GUID or verified domain (GET /admin/tenants lists them)"})
		return
	}
	switch sub {
	case "truth":
		s.serveTruth(w, r, t)
		return
	case "details-truth":
		s.serveDetailsTruth(w, r, t)
		return
	case "":
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such admin endpoint"})
		return
	}
	if r.Method == http.MethodPost {
		var p TenantPatch
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad tenant change JSON (consent, service_principal_missing, faults): " + err.Error()})
			return
		}
		if err := t.Apply(p); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	}
	if i, ok := info(t); ok {
		writeJSON(w, http.StatusOK, i)
	}
}
