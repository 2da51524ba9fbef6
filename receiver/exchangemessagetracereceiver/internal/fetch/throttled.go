package fetch

import (
	"fmt"
	"net/http"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// throttled describes a 429 of either API the same way: the tenant's quota is
// shared by every tool, so the whole tenant pauses for the full Retry-After.
func throttled(service string, r *Response) *msgtrace.APIError {
	eb := ErrorOf(r)
	wait := msgtrace.ParseRetryAfter(r.Header, time.Now())
	return &msgtrace.APIError{
		Kind: msgtrace.KindThrottled, StatusCode: http.StatusTooManyRequests, Code: eb.Code, RetryAfter: wait,
		Message: fmt.Sprintf("%s throttled this tenant's message trace requests (%s); every request of the tenant pauses for %s, as Retry-After asks",
			service, Said(r.StatusCode, eb), wait),
	}
}
