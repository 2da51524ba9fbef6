package msgtrace

import (
	"errors"
	"fmt"
	"time"
)

// ErrorKind classifies an API or token failure by what should happen next.
type ErrorKind int

const (
	// KindTransient: 5xx, timeouts, connection errors, HTML sign-in pages,
	// truncated bodies. Retried with backoff; the next poll resumes.
	KindTransient ErrorKind = iota
	// KindThrottled: 429. The whole tenant pauses for RetryAfter.
	KindThrottled
	// KindAuth: the token could not be obtained or was refused (bad secret,
	// expired certificate, expired authorization code or refresh token,
	// missing service principal, tenant not found). Needs the operator.
	KindAuth
	// KindPermission: 403, permission, consent or role missing. Needs the operator.
	KindPermission
	// KindBadRequest: 400 for a query we built; a bug or an API change.
	KindBadRequest
	// KindBadSkipToken: 400 when following a nextLink (known API defect).
	// The range is restarted from its first page; dedup drops repeats.
	KindBadSkipToken
)

func (k ErrorKind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindThrottled:
		return "throttled"
	case KindAuth:
		return "auth"
	case KindPermission:
		return "permission"
	case KindBadRequest:
		return "bad_request"
	case KindBadSkipToken:
		return "bad_skiptoken"
	}
	return "unknown"
}

// APIError is a classified failure. Its message is written for the operator:
// what happened and what to do. It never carries a secret or token.
type APIError struct {
	Kind       ErrorKind
	StatusCode int    // HTTP status, 0 when no response
	Code       string // API error code or AADSTS code, when known
	Message    string // what happened and what to do
	RetryAfter time.Duration
	Err        error // underlying error, already free of secrets
}

func (e *APIError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *APIError) Unwrap() error { return e.Err }

// KindOf returns the kind of err's *APIError, and false when err carries none.
func KindOf(err error) (ErrorKind, bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Kind, true
	}
	return 0, false
}
