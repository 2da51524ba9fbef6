package kubelease

import (
	"net/http"
	"time"
)

// admin is the test's API: the leases as the store sees them, and the
// outage switch.
func (s *Server) admin() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/leases", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Leases())
	})
	mux.HandleFunc("POST /admin/unavailable", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("for"))
		if err != nil || d < 0 {
			http.Error(w, "for: want a duration >= 0 such as for=10s (0 ends an outage)", http.StatusBadRequest)
			return
		}
		until := s.Unavailable(d)
		writeJSON(w, http.StatusOK, map[string]string{"until": until.UTC().Format(time.RFC3339Nano)})
	})
	return mux
}
