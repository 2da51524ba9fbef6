// Package sumosink is a fake Sumo Logic HTTP source: it accepts what the
// contrib Sumo Logic exporter posts (gzip, deflate or zstd bodies; text, json
// or otlp log formats; X-Sumo-* headers), keeps every log line, can be told
// to be unavailable or slow for a while, and reports what it received.
package sumosink

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// Config configures a sink.
type Config struct {
	// Addr is the listen address (default 127.0.0.1:0).
	Addr string
	// Now is the clock for unavailable/slow periods (default time.Now).
	Now func() time.Time
}

// Stats is what the sink received.
type Stats struct {
	Requests   int64            `json:"requests"`
	Accepted   int64            `json:"accepted"`
	Rejected   int64            `json:"rejected"` // 503s while unavailable, 400s for bad bodies
	Lines      int64            `json:"lines"`
	Bytes      int64            `json:"bytes"` // decompressed
	ByEncoding map[string]int64 `json:"by_encoding"`
	ByFormat   map[string]int64 `json:"by_format"`  // text (incl. json lines) or otlp
	Categories map[string]int64 `json:"categories"` // lines by X-Sumo-Category
	Names      map[string]int64 `json:"names"`      // lines by X-Sumo-Name
	Hosts      map[string]int64 `json:"hosts"`      // lines by X-Sumo-Host
	// Fields counts lines by X-Sumo-Fields, the header exactly as sent
	// ("k1=v1, k2=v2", sorted by the exporter; ParseFields reads it).
	Fields     map[string]int64 `json:"fields"`
	LastFields string           `json:"last_fields,omitempty"`
	LastClient string           `json:"last_client,omitempty"`
	FirstAt    time.Time        `json:"first_at,omitzero"`
	LastAt     time.Time        `json:"last_at,omitzero"`
}

// Sink is a running fake HTTP source.
type Sink struct {
	// URL is the source's base URL; any path under it is accepted, like a
	// real source's /receiver/v1/http/<token>.
	URL string

	cfg Config
	srv *http.Server

	mu               sync.Mutex
	lines            [][]byte
	stats            Stats
	unavailableUntil time.Time
	slowUntil        time.Time
	slowDelay        time.Duration
}

// Start listens and serves until Close.
func Start(cfg Config) (*Sink, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("sumo sink: listen on %s: %w", cfg.Addr, err)
	}
	s := &Sink{URL: "http://" + ln.Addr().String(), cfg: cfg}
	s.resetStats()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the sink.
func (s *Sink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// Lines returns a copy of every line received, in arrival order.
func (s *Sink) Lines() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.lines))
	for i, l := range s.lines {
		out[i] = bytes.Clone(l)
	}
	return out
}

// Stats returns a snapshot of what was received.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByEncoding = cloneMap(s.stats.ByEncoding)
	out.ByFormat = cloneMap(s.stats.ByFormat)
	out.Categories = cloneMap(s.stats.Categories)
	out.Names = cloneMap(s.stats.Names)
	out.Hosts = cloneMap(s.stats.Hosts)
	out.Fields = cloneMap(s.stats.Fields)
	return out
}

// Reset forgets every line and zeroes the stats.
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = nil
	s.resetStats()
}

func (s *Sink) resetStats() {
	s.stats = Stats{ByEncoding: map[string]int64{}, ByFormat: map[string]int64{},
		Categories: map[string]int64{}, Names: map[string]int64{}, Hosts: map[string]int64{}, Fields: map[string]int64{}}
}

// SetUnavailable makes the sink answer 503 for d from now (0 ends it).
func (s *Sink) SetUnavailable(d time.Duration) {
	s.mu.Lock()
	s.unavailableUntil = s.cfg.Now().Add(d)
	s.mu.Unlock()
}

// SetSlow delays every answer by delay for d from now (0 ends it).
func (s *Sink) SetSlow(d time.Duration, delay ...time.Duration) {
	s.mu.Lock()
	s.slowUntil = s.cfg.Now().Add(d)
	s.slowDelay = 2 * time.Second
	if len(delay) > 0 {
		s.slowDelay = delay[0]
	}
	s.mu.Unlock()
}

// Handler serves the source (POST anywhere) and its admin endpoints:
// GET /admin/sumo/lines (the lines, newline separated), GET /admin/sumo/stats,
// POST /admin/sumo/unavailable?for=30s, POST /admin/sumo/slow?for=30s&delay=2s,
// POST /admin/sumo/reset.
func (s *Sink) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/admin/sumo/") {
			s.serveAdmin(w, r)
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		s.serveIngest(w, r)
	})
}

func (s *Sink) serveIngest(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	s.mu.Lock()
	s.stats.Requests++
	unavailable := now.Before(s.unavailableUntil)
	var delay time.Duration
	if now.Before(s.slowUntil) {
		delay = s.slowDelay
	}
	if unavailable {
		s.stats.Rejected++
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if unavailable {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	body, err := decode(r.Body, enc)
	if err != nil {
		s.reject(w, "bad body: "+err.Error())
		return
	}
	format := "text"
	var lines [][]byte
	if strings.Contains(r.Header.Get("Content-Type"), "protobuf") {
		format = "otlp"
		lines, err = otlpLines(body)
		if err != nil {
			s.reject(w, "bad otlp body: "+err.Error())
			return
		}
	} else {
		lines = textLines(body)
	}
	if enc == "" {
		enc = "identity"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, lines...)
	n := int64(len(lines))
	st := &s.stats
	st.Accepted++
	st.Lines += n
	st.Bytes += int64(len(body))
	st.ByEncoding[enc]++
	st.ByFormat[format]++
	st.Categories[r.Header.Get("X-Sumo-Category")] += n
	st.Names[r.Header.Get("X-Sumo-Name")] += n
	st.Hosts[r.Header.Get("X-Sumo-Host")] += n
	st.Fields[r.Header.Get("X-Sumo-Fields")] += n
	st.LastFields = r.Header.Get("X-Sumo-Fields")
	st.LastClient = r.Header.Get("X-Sumo-Client")
	if st.FirstAt.IsZero() {
		st.FirstAt = now
	}
	st.LastAt = now
	w.WriteHeader(http.StatusOK)
}

// ParseFields reads an X-Sumo-Fields header: "k1=v1, k2=v2" (the
// exporter replaces ',' in keys and values with '_' and '=' with ':', so
// the separators are unambiguous).
func ParseFields(header string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(header, ", ") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			out[k] = v
		}
	}
	return out
}

func (s *Sink) reject(w http.ResponseWriter, msg string) {
	s.mu.Lock()
	s.stats.Rejected++
	s.mu.Unlock()
	http.Error(w, msg, http.StatusBadRequest)
}

func decode(r io.Reader, enc string) ([]byte, error) {
	switch enc {
	case "", "identity":
		return io.ReadAll(r)
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	case "deflate":
		// HTTP "deflate" is zlib-wrapped; accept raw DEFLATE too.
		raw, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		if zr, err := zlib.NewReader(bytes.NewReader(raw)); err == nil {
			defer zr.Close()
			if b, err := io.ReadAll(zr); err == nil {
				return b, nil
			}
		}
		return io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	case "zstd":
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("unsupported content-encoding %q", enc)
}

// textLines splits a text or json log body: one record per line.
func textLines(body []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}

// otlpLines turns each OTLP log record into a line: its body as text when a
// string, as JSON otherwise.
func otlpLines(body []byte) ([][]byte, error) {
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		return nil, err
	}
	var out [][]byte
	rls := req.Logs().ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				out = append(out, recordLine(lrs.At(k)))
			}
		}
	}
	return out, nil
}

func recordLine(lr plog.LogRecord) []byte {
	b := lr.Body()
	if s, ok := b.AsRaw().(string); ok {
		return []byte(s)
	}
	j, err := json.Marshal(b.AsRaw())
	if err != nil {
		return []byte(b.AsString())
	}
	return j
}

func (s *Sink) serveAdmin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	forDur := func() (time.Duration, bool) {
		d, err := time.ParseDuration(q.Get("for"))
		if err != nil {
			http.Error(w, "for: "+err.Error(), http.StatusBadRequest)
			return 0, false
		}
		return d, true
	}
	switch r.URL.Path {
	case "/admin/sumo/lines":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, l := range s.Lines() {
			_, _ = w.Write(l)
			_, _ = w.Write([]byte{'\n'})
		}
	case "/admin/sumo/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Stats())
	case "/admin/sumo/unavailable":
		if d, ok := forDur(); ok && r.Method == http.MethodPost {
			s.SetUnavailable(d)
			fmt.Fprintf(w, "unavailable for %s\n", d)
		}
	case "/admin/sumo/slow":
		d, ok := forDur()
		if !ok || r.Method != http.MethodPost {
			return
		}
		delay := 2 * time.Second
		if v := q.Get("delay"); v != "" {
			var err error
			if delay, err = time.ParseDuration(v); err != nil {
				http.Error(w, "delay: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		s.SetSlow(d, delay)
		fmt.Fprintf(w, "slow (%s) for %s\n", delay, d)
	case "/admin/sumo/reset":
		s.Reset()
		fmt.Fprintln(w, "reset")
	default:
		http.NotFound(w, r)
	}
}

func cloneMap(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
