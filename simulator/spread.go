package simulator

import (
	"fmt"
	"math"
	"strings"
)

// Spread is how mail volume spreads over a provider's tenants: most are
// small, a few are large. Rows per day are drawn between Min and Max.
type Spread struct {
	// Kind is lognormal (default), zipf or fixed.
	//   lognormal: median Min*(Max/Min)^0.25 (1,000 for 100..1e6), sigma
	//              ln(Max/Min)/6: a few tenants reach a hundred times the median.
	//   zipf:      the tenant of rank k (a seeded shuffle) gets Max/k^s, s
	//              such that the last one gets Min.
	//   fixed:     every tenant gets Max.
	Kind string `json:"kind"`
	// Min and Max bound rows per day (default 100 and 1,000,000).
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// SpreadKinds are the Spread kinds.
var SpreadKinds = []string{"lognormal", "zipf", "fixed"}

func (sp Spread) withDefaults() Spread {
	if sp.Kind == "" {
		sp.Kind = "lognormal"
	}
	if sp.Min == 0 {
		sp.Min = 100
	}
	if sp.Max == 0 {
		sp.Max = 1_000_000
	}
	return sp
}

// Validate names what is wrong with the spread.
func (sp Spread) Validate() error {
	sp = sp.withDefaults()
	switch {
	case !strings.Contains(" "+strings.Join(SpreadKinds, " ")+" ", " "+sp.Kind+" "):
		return fmt.Errorf("spread kind %q: use one of %s", sp.Kind, strings.Join(SpreadKinds, ", "))
	case sp.Min <= 0 || sp.Max < sp.Min:
		return fmt.Errorf("spread rows per day: min %g and max %g must be positive, min <= max", sp.Min, sp.Max)
	}
	return nil
}

// RowsPerDay draws n tenants' rows per day, reproducibly from seed.
func (sp Spread) RowsPerDay(n int, seed uint64) ([]float64, error) {
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	sp = sp.withDefaults()
	out := make([]float64, n)
	r := newRNG(seed, 0x5b7ead)
	span := math.Log(sp.Max / sp.Min)
	switch sp.Kind {
	case "fixed":
		for i := range out {
			out[i] = sp.Max
		}
	case "lognormal":
		mu, sigma := math.Log(sp.Min)+span/4, span/6
		for i := range out {
			out[i] = math.Round(min(max(math.Exp(mu+sigma*r.normal()), sp.Min), sp.Max))
		}
	case "zipf":
		s := 0.0
		if n > 1 {
			s = span / math.Log(float64(n))
		}
		for i := range out {
			out[i] = math.Round(max(sp.Max/math.Pow(float64(i+1), s), sp.Min))
		}
		for i := n - 1; i > 0; i-- { // the large ones anywhere in the list
			j := r.intn(i + 1)
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// GenerateTenants returns n customer tenants whose sizes follow sp, each
// with model as its mail flow but its own RowsPerDay (ids, domains and
// seeds are left to Start's defaults: customerNNNN.onmicrosoft.com).
func GenerateTenants(n int, sp Spread, seed uint64, model ModelConfig) ([]TenantConfig, error) {
	sizes, err := sp.RowsPerDay(n, seed)
	if err != nil {
		return nil, err
	}
	out := make([]TenantConfig, n)
	for i, rows := range sizes {
		out[i].Model = model
		out[i].Model.RowsPerDay = rows
		out[i].Model.Organization, out[i].Model.Domain = "", "" // each tenant's own
	}
	return out, nil
}
