package apiclient

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/trace"
)

// throttled describes a 429 of either API the same way: the tenant's quota is
// shared by every tool, so the whole tenant pauses for the full Retry-After.
func throttled(service string, r *Response) *trace.APIError {
	eb := ErrorOf(r)
	wait := RetryAfter(r.Header, time.Now())
	return &trace.APIError{
		Kind: trace.KindThrottled, StatusCode: http.StatusTooManyRequests, Code: eb.Code, RetryAfter: wait,
		Message: fmt.Sprintf("%s throttled this tenant's message trace requests (%s); every request of the tenant pauses for %s, as Retry-After asks",
			service, Said(r.StatusCode, eb), wait),
	}
}

// ErrNotObject tells the loop that a body is not a JSON object, so that it
// describes what came instead (HTML sign-in page, text, nothing).
var ErrNotObject = errors.New("the body is not a JSON object")
