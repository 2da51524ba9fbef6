package msgtrace

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultRetryAfter is assumed when a 429 carries no usable Retry-After.
const DefaultRetryAfter = 60 * time.Second

// ParseRetryAfter is how long a throttled client waits: the Retry-After
// header (delta seconds or an HTTP date), or DefaultRetryAfter when the
// header is missing or unreadable. It never returns less than a second: a
// zero pause would only earn the tenant another 429.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	d, ok := RetryAfterHeader(h, now)
	if !ok {
		return DefaultRetryAfter
	}
	return max(d, time.Second)
}

// RetryAfterHeader reads a Retry-After header, and false when there is none
// or it cannot be read (callers choose their own default).
func RetryAfterHeader(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || secs > math.MaxInt64/float64(time.Second) {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now), true
	}
	return 0, false
}
