package msgtrace

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 23, 10, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"2":                             2 * time.Second,
		"120":                           2 * time.Minute,
		"":                              DefaultRetryAfter,
		"soon":                          DefaultRetryAfter,
		"0":                             time.Second,
		"NaN":                           DefaultRetryAfter,
		"Fri, 23 Jan 2026 10:00:30 GMT": 30 * time.Second,
		"Fri, 23 Jan 2026 09:00:00 GMT": time.Second,
	}
	for v, want := range tests {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		assert.Equal(t, want, ParseRetryAfter(h, now), v)
	}
}
