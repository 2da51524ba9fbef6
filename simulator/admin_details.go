package simulator

import (
	"encoding/json"
	"net/http"
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
