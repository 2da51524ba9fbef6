package main

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

// countingSink is a Sumo Logic HTTP source for hundreds of tenants and
// millions of rows: it keeps no lines (sumosink keeps them all), only lines
// by tenant (the microsoft.tenant.id of X-Sumo-Fields) and, for rows
// received after latencyFrom, each row's export latency: arrival minus its
// receivedDateTime (its visible-from time: no row is delayed in these
// runs).
type countingSink struct {
	URL string
	srv *http.Server

	mu          sync.Mutex
	byTenant    map[string]int64
	lines       int64
	latencyFrom time.Time
	latencies   map[string][]time.Duration // by tenant
	badLines    int64
}

func startCountingSink() (*countingSink, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &countingSink{URL: "http://" + l.Addr().String() + "/receiver/v1/http/bench", byTenant: map[string]int64{}, latencies: map[string][]time.Duration{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *countingSink) close() { _ = s.srv.Close() }

// measureFrom starts recording the latencies of rows received from t on.
func (s *countingSink) measureFrom(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latencyFrom, s.latencies = t, map[string][]time.Duration{}
}

func (s *countingSink) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := decodeBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tenant := sumosink.ParseFields(r.Header.Get("X-Sumo-Fields"))["microsoft.tenant.id"]
	var n int64
	var lat []time.Duration
	s.mu.Lock()
	from := s.latencyFrom
	s.mu.Unlock()
	var bad int64
	for _, line := range bytes.Split(body, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		n++
		if from.IsZero() {
			continue
		}
		rec, ok := receivedOf(line)
		if !ok {
			bad++
			continue
		}
		if !rec.Before(from) {
			lat = append(lat, now.Sub(rec))
		}
	}
	s.mu.Lock()
	id := strings.ToLower(tenant)
	s.byTenant[id] += n
	s.lines += n
	s.badLines += bad
	if len(lat) > 0 {
		s.latencies[id] = append(s.latencies[id], lat...)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// receivedOf finds a line's receivedDateTime without decoding the row.
func receivedOf(line []byte) (time.Time, bool) {
	const key = `"receivedDateTime":"`
	i := bytes.Index(line, []byte(key))
	if i < 0 {
		return time.Time{}, false
	}
	rest := line[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t := simulator.ParseReceived(string(rest[:j]))
	return t, !t.IsZero()
}

func decodeBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	switch strings.ToLower(r.Header.Get("Content-Encoding")) {
	case "gzip":
		g, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		rd = g
	case "deflate":
		rd = flate.NewReader(r.Body)
	case "zstd":
		z, err := zstd.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		rd = z
	}
	return io.ReadAll(rd)
}

// snapshot copies the counts.
func (s *countingSink) snapshot() (byTenant map[string]int64, lines int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byTenant = make(map[string]int64, len(s.byTenant))
	for k, v := range s.byTenant {
		byTenant[k] = v
	}
	return byTenant, s.lines
}

// latenciesOf returns the recorded latencies of the tenants ids.
func (s *countingSink) latenciesOf(ids []string) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Duration
	for _, id := range ids {
		out = append(out, s.latencies[strings.ToLower(id)]...)
	}
	return out
}
