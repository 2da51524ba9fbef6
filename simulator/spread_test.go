package simulator

import (
	"math"
	"runtime"
	"slices"
	"testing"
	"time"
)

func TestSpreadRowsPerDay(t *testing.T) {
	tests := []struct {
		spread              Spread
		n                   int
		medianLo, medianHi  float64
		wantMax, wantMinAll bool // some tenant reaches Max; some tenant at Min
	}{
		{spread: Spread{}, n: 1000, medianLo: 700, medianHi: 1400, wantMinAll: true},
		{spread: Spread{Kind: "zipf"}, n: 1000, medianLo: 150, medianHi: 600, wantMax: true, wantMinAll: true},
		{spread: Spread{Kind: "fixed", Max: 5000}, n: 10, medianLo: 5000, medianHi: 5000, wantMax: true},
	}
	for _, tt := range tests {
		t.Run(tt.spread.Kind, func(t *testing.T) {
			a, err := tt.spread.RowsPerDay(tt.n, 42)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := tt.spread.RowsPerDay(tt.n, 42)
			if !slices.Equal(a, b) {
				t.Fatal("the same seed drew different sizes")
			}
			sp := tt.spread.withDefaults()
			sorted := slices.Sorted(slices.Values(a))
			median := sorted[len(sorted)/2]
			if median < tt.medianLo || median > tt.medianHi || sorted[0] < sp.Min || sorted[len(sorted)-1] > sp.Max {
				t.Fatalf("median %g, range %g..%g", median, sorted[0], sorted[len(sorted)-1])
			}
			if tt.wantMax != (sorted[len(sorted)-1] == sp.Max) || tt.wantMinAll != (sorted[0] == sp.Min) {
				t.Fatalf("range %g..%g", sorted[0], sorted[len(sorted)-1])
			}
			if sp.Kind != "fixed" && sorted[len(sorted)*99/100] < 10*median {
				t.Fatalf("p99 %g is not a large tenant next to the median %g", sorted[len(sorted)*99/100], median)
			}
		})
	}
	for _, bad := range []Spread{{Kind: "pareto"}, {Min: 10, Max: 5}, {Min: -1}} {
		if _, err := bad.RowsPerDay(3, 1); err == nil {
			t.Fatalf("%+v: no error", bad)
		}
	}
}

// TestTenThousandTenants starts 10,000 tenants and checks the last one
// works; BenchmarkStartTenThousandTenants measures what it costs.
func TestTenThousandTenants(t *testing.T) {
	clk := newClock(testNow)
	cfg := quiet(1000, clk)
	var err error
	if cfg.Tenants, err = GenerateTenants(10_000, Spread{}, cfg.Seed, cfg.Model); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := startSim(t, cfg)
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("10,000 tenants: %.1f MiB live after start", float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/(1<<20))
	last, ok := s.Tenant("customer10000.onmicrosoft.com")
	if !ok || len(s.Tenants()) != 10_001 {
		t.Fatalf("%d tenants, last found: %v", len(s.Tenants()), ok)
	}
	tok := providerToken(t, s, last.Domain(), graphAud)
	r := get(t, graphURL(s, graphFilter(testNow.Add(-24*time.Hour), testNow), 5000), tok)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if rows := last.Counters().RowsServed["graph"]; rows == 0 || math.Abs(float64(rows)-last.Config().Model.RowsPerDay) > 5*math.Sqrt(last.Config().Model.RowsPerDay)+10 && rows < 5000 {
		t.Fatalf("%d rows for a day of a %g rows/day tenant: %.300s", rows, last.Config().Model.RowsPerDay, r.body)
	}
}

func BenchmarkStartTenThousandTenants(b *testing.B) {
	clk := newClock(testNow)
	cfg := quiet(1000, clk)
	tenants, err := GenerateTenants(10_000, Spread{}, cfg.Seed, cfg.Model)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Tenants = tenants
	b.ReportAllocs()
	for range b.N {
		s, err := Start(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = s.Close()
		b.StartTimer()
	}
}
