package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// serveDetailsTruth answers GET /admin/details-truth (and a tenant's):
// DetailsTruth as JSON lines, streamed.
func (s *Simulator) serveDetailsTruth(w http.ResponseWriter, r *http.Request, t *Tenant) {
	start, end, err := s.truthRange(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	statuses, err := ParseStatuses(r.URL.Query().Get("statuses"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	var buf []byte
	var werr error
	t.scanDetailsTruth(start, end, statuses, func(d DetailsTruth) bool {
		line, err := json.Marshal(d)
		if err != nil {
			werr = err
			return false
		}
		buf = append(append(buf, line...), '\n')
		if len(buf) > 256<<10 {
			_, werr = w.Write(buf)
			buf = buf[:0]
		}
		return werr == nil
	})
	_, _ = w.Write(buf)
}

// serveRequests answers GET /admin/requests[?since=RFC3339Nano]: the
// request log as JSON lines, oldest first.
func (s *Simulator) serveRequests(w http.ResponseWriter, r *http.Request) {
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "since: " + strconv.Quote(v) + " is not an RFC 3339 time (2026-03-10T12:00:00.5Z)"})
			return
		}
		since = t
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	var buf []byte
	for _, e := range s.requests.since(since) {
		buf = append(e.appendJSON(buf), '\n')
		if len(buf) > 256<<10 {
			if _, err := w.Write(buf); err != nil {
				return
			}
			buf = buf[:0]
		}
	}
	_, _ = w.Write(buf)
}
