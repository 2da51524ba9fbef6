package simulator

import (
	"maps"
	"sync"
	"time"
)

// Counters is what the simulator saw, for tests and benchmarks.
type Counters struct {
	// Requests counts requests by endpoint (graph, legacy, identity, admin)
	// and HTTP status; status 0 is a connection reset by fault injection.
	Requests map[string]map[int]int64 `json:"requests"`
	// APIRequests counts Graph and legacy requests (every one, throttled or not).
	APIRequests int64 `json:"api_requests"`
	// MaxAPIRequestsInWindow is the most Graph and legacy requests seen in
	// any rolling window of RateWindow: what a client's quota use peaked at.
	MaxAPIRequestsInWindow int      `json:"max_api_requests_in_window"`
	RateWindow             Duration `json:"rate_window"`
	// Throttled counts 429s (quota and injected).
	Throttled int64 `json:"throttled"`
	// RowsServed counts rows written, by endpoint.
	RowsServed map[string]int64 `json:"rows_served"`
	// Faults counts injected faults by kind.
	Faults map[string]int64 `json:"faults"`
}

type counters struct {
	mu       sync.Mutex
	c        Counters
	window   time.Duration
	apiTimes []time.Time
}

func newCounters(window time.Duration) *counters {
	return &counters{window: window, c: Counters{
		Requests: map[string]map[int]int64{}, RowsServed: map[string]int64{}, Faults: map[string]int64{},
		RateWindow: Duration(window),
	}}
}

// apiRequest notes a Graph or legacy request's arrival for the peak count.
func (c *counters) apiRequest(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.APIRequests++
	cut := 0
	for cut < len(c.apiTimes) && !c.apiTimes[cut].After(now.Add(-c.window)) {
		cut++
	}
	c.apiTimes = append(c.apiTimes[cut:], now)
	c.c.MaxAPIRequestsInWindow = max(c.c.MaxAPIRequestsInWindow, len(c.apiTimes))
}

func (c *counters) response(endpoint string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.c.Requests[endpoint]
	if m == nil {
		m = map[int]int64{}
		c.c.Requests[endpoint] = m
	}
	m[status]++
	if status == 429 {
		c.c.Throttled++
	}
}

func (c *counters) rows(endpoint string, n int) {
	c.mu.Lock()
	c.c.RowsServed[endpoint] += int64(n)
	c.mu.Unlock()
}

func (c *counters) fault(kind string) {
	c.mu.Lock()
	c.c.Faults[kind]++
	c.mu.Unlock()
}

func (c *counters) snapshot() Counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.c
	out.Requests = map[string]map[int]int64{}
	for k, v := range c.c.Requests {
		out.Requests[k] = maps.Clone(v)
	}
	out.RowsServed = maps.Clone(c.c.RowsServed)
	out.Faults = maps.Clone(c.c.Faults)
	return out
}

func (c *counters) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c = newCounters(c.window).c
	c.apiTimes = nil
}
