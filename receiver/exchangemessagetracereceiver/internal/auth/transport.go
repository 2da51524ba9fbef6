package auth

import (
	"errors"
	"net/http"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// NewTransport returns a RoundTripper that sets Authorization: Bearer on
// every request. When no token can be had, RoundTrip fails with an error
// wrapping *msgtrace.APIError (http.Client wraps it again in *url.Error;
// errors.As still finds it).
func NewTransport(base http.RoundTripper, ts TokenSource) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &bearerTransport{base: base, ts: ts}
}

type bearerTransport struct {
	base http.RoundTripper
	ts   TokenSource
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	token, err := t.ts.Token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // RoundTrip must close the body, even on error
		}
		var apiErr *msgtrace.APIError
		if !errors.As(err, &apiErr) {
			err = &msgtrace.APIError{Kind: msgtrace.KindAuth, Message: "cannot obtain an access token", Err: err}
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		if inv, ok := t.ts.(invalidator); ok {
			inv.Invalidate()
		}
	}
	return resp, err
}

// invalidator is a token source that keeps a token and can be told the
// API refused it.
type invalidator interface{ Invalidate() }
