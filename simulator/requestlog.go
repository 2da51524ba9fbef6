package simulator

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ClientHeader names the client of an API request in the request log: a
// test running several collectors (replicas of one deployment, say) sets
// a different value in each, and reads who asked what, when.
const ClientHeader = "X-Sim-Client"

// RequestRecord is one Graph list, details or legacy request as the
// simulator answered it.
type RequestRecord struct {
	// Time is the simulator's clock when the request arrived.
	Time time.Time `json:"time"`
	// Client is the request's X-Sim-Client header ("" without one).
	Client string `json:"client"`
	// Tenant is the GUID of the tenant the token was issued in; "" for a
	// request without a valid token (it has no tenant).
	Tenant string `json:"tenant"`
	// Kind is "list" (Graph messageTraces), "details"
	// (getDetailsByRecipient) or "legacy" (the Reporting Web Service).
	Kind string `json:"kind"`
	// Status is the HTTP status answered; 0 when the request ended without
	// one (an injected reset, a client gone).
	Status int `json:"status"`
}

// The log keeps the last requestLogCap requests in chunks allocated as
// they fill, so that a simulator nobody floods costs a few KiB and one
// that is flooded stays bounded.
const (
	requestLogCap   = 1_000_000
	requestLogChunk = 1000
	// maxClientNames bounds the interned client names; names past it are
	// kept as the request carried them.
	maxClientNames = 1024
)

type requestEntry struct {
	at     int64 // Unix nanoseconds
	client string
	tenant *Tenant // nil: no valid token
	status int32
	kind   uint8 // an endpoint
}

type requestLog struct {
	mu     sync.Mutex
	chunks [][]requestEntry
	seq    int // requests logged since the start
	names  map[string]string
}

// newRequestLog holds capacity requests, rounded up to whole chunks.
func newRequestLog(capacity int) *requestLog {
	return &requestLog{chunks: make([][]requestEntry, (capacity+requestLogChunk-1)/requestLogChunk), names: map[string]string{}}
}

func (l *requestLog) capacity() int { return len(l.chunks) * requestLogChunk }

// add logs one answered request; it is on every API request's path, so it
// only stores a small struct (and, once per chunk, allocates the chunk).
func (l *requestLog) add(at time.Time, client string, t *Tenant, ep endpoint, status int) {
	l.mu.Lock()
	if name, ok := l.names[client]; ok {
		client = name
	} else if len(l.names) < maxClientNames {
		l.names[client] = client
	}
	i := l.seq % l.capacity()
	c := &l.chunks[i/requestLogChunk]
	if *c == nil {
		*c = make([]requestEntry, requestLogChunk)
	}
	(*c)[i%requestLogChunk] = requestEntry{at: at.UnixNano(), client: client, tenant: t, status: int32(status), kind: uint8(ep)}
	l.seq++
	l.mu.Unlock()
}

// since returns the held entries at or after t (all for the zero time),
// in the order they were answered.
func (l *requestLog) since(t time.Time) []requestEntry {
	from := int64(-1 << 63)
	if !t.IsZero() {
		from = t.UnixNano()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	first := max(0, l.seq-l.capacity())
	var out []requestEntry
	for k := first; k < l.seq; k++ {
		i := k % l.capacity()
		if e := l.chunks[i/requestLogChunk][i%requestLogChunk]; e.at >= from {
			out = append(out, e)
		}
	}
	return out
}

func (e requestEntry) record() RequestRecord {
	r := RequestRecord{Time: time.Unix(0, e.at).UTC(), Client: e.client, Kind: endpoint(e.kind).kind(), Status: int(e.status)}
	if e.tenant != nil {
		r.Tenant = e.tenant.ID()
	}
	return r
}

// appendJSON writes the entry as RequestRecord's JSON.
func (e requestEntry) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = time.Unix(0, e.at).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","client":`...)
	b = appendString(b, e.client)
	b = append(b, `,"tenant":"`...)
	if e.tenant != nil {
		b = append(b, e.tenant.ID()...)
	}
	b = append(b, `","kind":"`...)
	b = append(b, endpoint(e.kind).kind()...)
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	return append(b, '}')
}

// Requests returns every logged API request (the last 1,000,000), in the
// order they were answered.
func (s *Simulator) Requests() []RequestRecord { return s.RequestsSince(time.Time{}) }

// RequestsSince returns the logged API requests that arrived at or after
// t (inclusive: a client polling with the last time it saw repeats those
// of that instant rather than missing any).
func (s *Simulator) RequestsSince(t time.Time) []RequestRecord {
	entries := s.requests.since(t)
	out := make([]RequestRecord, len(entries))
	for i, e := range entries {
		out[i] = e.record()
	}
	return out
}

// kind is the endpoint's name in the request log.
func (e endpoint) kind() string {
	switch e {
	case endpointGraph:
		return "list"
	case endpointGraphDetails:
		return "details"
	}
	return "legacy"
}

// logRequest logs an answered API request (serveAPI's one hook).
func (s *Simulator) logRequest(r *http.Request, auth authResult, now time.Time, ep endpoint, status int) {
	var t *Tenant
	if auth.ok {
		t = auth.tenant
	}
	s.requests.add(now, r.Header.Get(ClientHeader), t, ep, status)
}
