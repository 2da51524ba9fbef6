package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// serveAdmin is the control API a separate process (an end-to-end test, a
// demo script) drives the simulator with:
//
//	GET  /admin/health                 {"status":"ok"}
//	GET  /admin/truth?start=&end=      final rows of [start, end], JSON lines (Graph shape; format=legacy for legacy)
//	GET  /admin/details-truth?start=&end=&statuses=failed,quarantined
//	                                   detail events of those rows in their final status, JSON lines (DetailsTruth)
//	GET  /admin/counters               Counters as JSON
//	GET  /admin/requests?since=RFC3339Nano  the request log (RequestRecord), JSON lines
//	POST /admin/counters/reset
//	GET  /admin/faults                 the fault setting
//	POST /admin/faults                 replace the fault setting (JSON Faults)
//	POST /admin/authcode               {"code":"..."}: a fresh authorization code
//
// The endpoints above are the home tenant's (faults, truth) or global
// (counters, identity stats); /admin/tenants serves each tenant's (see
// admin_tenants.go).
func (s *Simulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/admin/tenants" || strings.HasPrefix(r.URL.Path, "/admin/tenants/") {
		s.serveTenantsAdmin(w, r)
		return
	}
	switch r.URL.Path {
	case "/admin/health":
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case "/admin/truth":
		s.serveTruth(w, r, s.HomeTenant())
	case "/admin/details-truth":
		s.serveDetailsTruth(w, r, s.HomeTenant())
	case "/admin/counters":
		writeJSON(w, http.StatusOK, s.Counters())
	case "/admin/requests":
		s.serveRequests(w, r)
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

// truthRange reads start= and end= (default: the last DefaultRange).
func (s *Simulator) truthRange(r *http.Request) (start, end time.Time, err error) {
	now := s.cfg.Now()
	start, end = now.Add(-s.cfg.DefaultRange), now
	if v := r.URL.Query().Get("start"); v != "" {
		if start, err = parseTime(v); err != nil {
			return start, end, fmt.Errorf("start: %w", err)
		}
	}
	if v := r.URL.Query().Get("end"); v != "" {
		if end, err = parseTime(v); err != nil {
			return start, end, fmt.Errorf("end: %w", err)
		}
	}
	return start, end, nil
}

func (s *Simulator) serveTruth(w http.ResponseWriter, r *http.Request, t *Tenant) {
	now := s.cfg.Now()
	start, end, err := s.truthRange(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	t.init()
	legacy := r.URL.Query().Get("format") == "legacy"
	w.Header().Set("Content-Type", "application/x-ndjson")
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:0]
	meta := legacyRowMeta{Organization: t.Organization(), StartDate: start, EndDate: end}
	// Streamed straight from the model: a day of a busy tenant is a million rows.
	q := query{Start: start.UTC(), End: end.UTC(), Now: now, Truth: true}
	var werr error
	t.model.scan(q, position{Bucket: t.model.bucketOf(q.End)}, func(row *Row, st Status) bool {
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
