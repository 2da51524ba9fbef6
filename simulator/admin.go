package simulator

import (
	"encoding/json"
	"net/http"
)

// serveAdmin is the control API a separate process (an end-to-end test, a
// demo script) drives the simulator with:
//
//	GET  /admin/health                 {"status":"ok"}
//	GET  /admin/truth?start=&end=      final rows of [start, end], JSON lines (Graph shape; format=legacy for legacy)
//	GET  /admin/counters               Counters as JSON
//	POST /admin/counters/reset
//	GET  /admin/faults                 the fault setting
//	POST /admin/faults                 replace the fault setting (JSON Faults)
//	POST /admin/authcode               {"code":"..."}: a fresh authorization code
func (s *Simulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/admin/health":
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case "/admin/truth":
		s.serveTruth(w, r)
	case "/admin/counters":
		writeJSON(w, http.StatusOK, s.Counters())
	case "/admin/counters/reset":
		if !requirePost(w, r) {
			return
		}
		s.ResetCounters()
		writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
	case "/admin/faults":
		if r.Method == http.MethodPost {
			var f Faults
			dec := json.NewDecoder(r.Body)
			dec.DisallowUnknownFields()
			if err := dec.Decode(&f); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad faults JSON: " + err.Error()})
				return
			}
			s.SetFaults(f)
		}
		writeJSON(w, http.StatusOK, s.CurrentFaults())
	case "/admin/authcode":
		if !requirePost(w, r) {
			return
		}
		// The code is the point of this endpoint; it is never logged.
		writeJSON(w, http.StatusOK, map[string]string{"code": s.id.NewAuthCode()})
	case "/admin/identity/stats":
		writeJSON(w, http.StatusOK, s.id.Stats())
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such admin endpoint"})
	}
}

func (s *Simulator) serveTruth(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	start, end := now.Add(-s.cfg.DefaultRange), now
	var err error
	if v := r.URL.Query().Get("start"); v != "" {
		if start, err = parseTime(v); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "start: " + err.Error()})
			return
		}
	}
	if v := r.URL.Query().Get("end"); v != "" {
		if end, err = parseTime(v); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "end: " + err.Error()})
			return
		}
	}
	legacy := r.URL.Query().Get("format") == "legacy"
	w.Header().Set("Content-Type", "application/x-ndjson")
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:0]
	meta := legacyRowMeta{Organization: s.cfg.Model.Organization, StartDate: start, EndDate: end}
	// Streamed straight from the model: a day of a busy tenant is a million rows.
	q := query{Start: start.UTC(), End: end.UTC(), Now: now, Truth: true}
	var werr error
	s.model.scan(q, position{Bucket: s.model.bucketOf(q.End)}, func(row *Row, st Status) bool {
		if legacy {
			buf = appendLegacyRow(buf, row, st, meta)
			meta.Index++
		} else {
			buf = appendGraphRow(buf, row, st, false)
		}
		buf = append(buf, '\n')
		if len(buf) > 256<<10 {
			_, werr = w.Write(buf)
			buf = buf[:0]
		}
		return werr == nil
	})
	_, _ = w.Write(buf)
	*bp = buf[:0]
}

func requirePost(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
