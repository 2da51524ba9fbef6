//go:build e2e

package e2e

import (
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// otlpSink is a loopback OTLP/HTTP logs receiver: it decodes what the
// otlphttp exporter posts to /v1/logs (protobuf or JSON, gzip or not) with
// pdata's plogotlp and keeps every batch.
type otlpSink struct {
	URL string

	mu       sync.Mutex
	logs     []plog.Logs
	records  int
	requests int
	rejected int
}

func startOTLPSink(t *testing.T) *otlpSink {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &otlpSink{URL: "http://" + l.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *otlpSink) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/logs" {
		s.reject(w, http.StatusNotFound, "only POST /v1/logs")
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.reject(w, http.StatusBadRequest, err.Error())
			return
		}
		defer zr.Close()
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	req := plogotlp.NewExportRequest()
	isJSON := strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
	if isJSON {
		err = req.UnmarshalJSON(data)
	} else {
		err = req.UnmarshalProto(data)
	}
	if err != nil {
		s.reject(w, http.StatusBadRequest, "not an OTLP logs request: "+err.Error())
		return
	}
	s.mu.Lock()
	s.logs = append(s.logs, req.Logs())
	s.records += req.Logs().LogRecordCount()
	s.mu.Unlock()

	resp := plogotlp.NewExportResponse()
	var out []byte
	if isJSON {
		out, err = resp.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
	} else {
		out, err = resp.MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	if err != nil {
		s.reject(w, http.StatusInternalServerError, err.Error())
		return
	}
	_, _ = w.Write(out)
}

func (s *otlpSink) reject(w http.ResponseWriter, code int, msg string) {
	s.mu.Lock()
	s.rejected++
	s.mu.Unlock()
	http.Error(w, msg, code)
}

// Records is how many log records arrived.
func (s *otlpSink) Records() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records
}

// Logs returns every batch received, in arrival order.
func (s *otlpSink) Logs() []plog.Logs {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]plog.Logs(nil), s.logs...)
}

// forEachRecord calls fn with each record of logs and its resource.
func forEachRecord(logs []plog.Logs, fn func(res map[string]any, lr plog.LogRecord)) {
	for _, ld := range logs {
		rls := ld.ResourceLogs()
		for i := range rls.Len() {
			res := rls.At(i).Resource().Attributes().AsRaw()
			sls := rls.At(i).ScopeLogs()
			for j := range sls.Len() {
				lrs := sls.At(j).LogRecords()
				for k := range lrs.Len() {
					fn(res, lrs.At(k))
				}
			}
		}
	}
}
