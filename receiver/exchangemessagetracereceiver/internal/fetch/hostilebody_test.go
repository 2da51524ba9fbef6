package fetch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch/fetchtest"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/graph"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/reporting"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/throttle"
)

// hostileRow is a well-formed row, repeated for ever by the hostile server:
// the body looks like a page that never ends.
const hostileRow = `{"id":"4b1a0c3e-0000-4000-8000-000000000000","recipientAddress":"someone@contoso.com","receivedDateTime":"2026-03-10T12:00:00Z","size":1234},`

// hostileServer answers every request with status and a body that never
// ends (until the client hangs up). declared, when set, is the
// Content-Length header it claims.
func hostileServer(t *testing.T, status int, declared int64) *httptest.Server {
	chunk := []byte(strings.Repeat(hostileRow, (64<<10)/len(hostileRow)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if declared > 0 {
			w.Header().Set("Content-Length", fmt.Sprint(declared))
		}
		w.WriteHeader(status)
		if _, err := w.Write([]byte(`{"value":[`)); err != nil {
			return
		}
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// memoryUse is what the process allocated while a function ran, and the
// peak of its heap in use (sampled).
type memoryUse struct {
	totalAlloc, peakHeapInuse uint64
}

func measureMemory(run func()) memoryUse {
	// Two collections empty the pools (sync.Pool keeps a victim cache for
	// one): each case starts as a process that never read a body.
	runtime.GC()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	run()
	close(done)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return memoryUse{totalAlloc: after.TotalAlloc - before.TotalAlloc, peakHeapInuse: peak.Load() - min(peak.Load(), before.HeapInuse)}
}

// A server that sends a body without end (or declares 2 GiB) makes a fetch
// hold about one page's worth of memory, not tens of megabytes, whatever
// the number of tenants fetching at once; and the error says what happened.
func TestHostileBodyMemory(t *testing.T) {
	const pageSize = 1000
	// What a 1000-row page may take: well under the old fixed 64 MiB cap
	// (whose doubling buffer allocated about 255 MiB per fetch). Generous,
	// so that the garbage collector's timing cannot fail the test.
	const perFetchBound = 24 << 20
	tests := []struct {
		name     string
		status   int
		declared int64
		api      string
		want     []string // in the error
	}{
		{name: "endless 200", status: 200, api: "graph",
			want: []string{"Microsoft Graph sent a response body larger than", "page_size 1000", "not read further"}},
		{name: "endless 200 legacy", status: 200, api: "reporting",
			want: []string{"The Reporting Web Service sent a response body larger than", "page_size 1000"}},
		{name: "2 GiB Content-Length", status: 200, declared: 2 << 30, api: "graph",
			want: []string{"declared a response body of 2048 MiB", "page_size 1000", "not read"}},
		{name: "endless 503", status: 503, api: "graph",
			want: []string{"HTTP 503"}},
	}
	for _, tt := range tests {
		for _, tenants := range []int{1, 8} {
			t.Run(fmt.Sprintf("%s/%d tenants", tt.name, tenants), func(t *testing.T) {
				srv := hostileServer(t, tt.status, tt.declared)
				sources := make([]msgtrace.Source, tenants)
				for i := range sources {
					cfg := graph.Config{BaseURL: srv.URL + "/v1.0", Client: fetchtest.Client(), Budget: throttle.New(0), PageSize: pageSize}
					if tt.api == "reporting" {
						cfg.BaseURL = srv.URL + "/ecp/reportingwebservice/reporting.svc"
						sources[i] = fetchtest.Must(reporting.New(cfg))
					} else {
						sources[i] = fetchtest.Must(graph.New(cfg))
					}
				}
				errs := make([]error, tenants)
				use := measureMemory(func() {
					var wg sync.WaitGroup
					for i, src := range sources {
						wg.Go(func() {
							ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
							defer cancel()
							errs[i] = src.FetchPages(ctx, msgtrace.Range{Start: time.Now().Add(-time.Hour), End: time.Now()}, "",
								func(*msgtrace.Page) error { return nil })
						})
					}
					wg.Wait()
				})
				t.Logf("%s, %d tenants: TotalAlloc %.1f MiB, peak HeapInuse %.1f MiB",
					tt.name, tenants, float64(use.totalAlloc)/(1<<20), float64(use.peakHeapInuse)/(1<<20))
				t.Logf("error: %v", errs[0])
				for _, err := range errs {
					require.Error(t, err)
					for _, w := range tt.want {
						assert.Contains(t, err.Error(), w)
					}
					kind, _ := msgtrace.KindOf(err)
					assert.Equal(t, msgtrace.KindTransient, kind, "retried, as the next answer may be a page")
				}
				assert.Less(t, use.totalAlloc, uint64(tenants*perFetchBound), "allocated while reading the hostile bodies")
			})
		}
	}
}

// A detail lookup answers with one small document: its cap is 1 MiB, so an
// endless answer costs about that, and the error says which cap it was.
func TestHostileDocumentMemory(t *testing.T) {
	srv := hostileServer(t, 200, 0)
	client := fetchtest.Must(graph.NewDetailsClient(graph.Config{BaseURL: srv.URL + "/v1.0", Client: fetchtest.Client(), Budget: throttle.New(0)}))
	var err error
	use := measureMemory(func() {
		_, err = client.Fetch(context.Background(), "4b1a0c3e-0000-4000-8000-000000000000", "someone@contoso.com")
	})
	t.Logf("detail document: TotalAlloc %.1f MiB, peak HeapInuse %.1f MiB; error: %v",
		float64(use.totalAlloc)/(1<<20), float64(use.peakHeapInuse)/(1<<20), err)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than 1 MiB (the cap of one document")
	assert.Less(t, use.totalAlloc, uint64(8<<20))
}
