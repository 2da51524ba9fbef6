package simulator

import (
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkGraphPage5000 measures serving one 5000-row Graph page of a
// million-rows-a-day tenant (the handler alone, no network).
func BenchmarkGraphPage5000(b *testing.B) {
	clk := newClock(testNow)
	cfg := quiet(1_000_000, clk)
	cfg.Model.From = testNow.Add(-30 * 24 * time.Hour)
	s, err := Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	filter := graphFilter(testNow.Add(-10*24*time.Hour), testNow.Add(-time.Hour))
	req := httptest.NewRequest("GET", graphURL(s, filter, 5000), nil)
	plan := faultPlan{}
	home := s.HomeTenant()
	home.init()
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for range b.N {
		resp := s.serveGraph(nil, req, home, testNow, plan)
		if resp.status != 200 {
			b.Fatal(string(resp.body))
		}
		rows += resp.rows
		b.SetBytes(int64(len(resp.body)))
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGraphPageHandler is BenchmarkGraphPage5000 through the whole
// handler (auth, fault plan, quota, counters, request log), with a 500-row
// page so that the per-request work shows next to the page's.
func BenchmarkGraphPageHandler(b *testing.B) {
	clk := newClock(testNow)
	cfg := quiet(1_000_000, clk)
	cfg.Model.From = testNow.Add(-30 * 24 * time.Hour)
	s, err := Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tok := token(b, s, graphAud)
	h := s.Handler()
	filter := graphFilter(testNow.Add(-10*24*time.Hour), testNow.Add(-time.Hour))
	req := httptest.NewRequest("GET", graphURL(s, filter, 500), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Sim-Client", "bench")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Body.String())
		}
	}
}

// BenchmarkRequestLogAdd is the request log's cost on every API request
// (a chunk allocated per requestLogChunk requests, until the log wraps).
func BenchmarkRequestLogAdd(b *testing.B) {
	l := newRequestLog(requestLogCap)
	t := &Tenant{}
	b.ReportAllocs()
	for i := range b.N {
		l.add(testNow, "replica-a", t, endpointGraph, 200+i%2)
	}
}
