package auth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/origin"
)

// Audience is where an API credential may go: the configured API origin
// (scheme, host and port of endpoint), and, for messages, the service and
// the tenant the credential is for. A request or a redirect anywhere else
// would hand the bearer token (or the `auth` extension's signature) to
// whoever answers there, and take that answer as the tenant's data.
type Audience struct {
	Origin  *url.URL
	Service string // "Microsoft Graph", "The Reporting Web Service"
	Tenant  string
}

// maxRedirects is http.Client's own limit, kept for redirects within the
// origin.
const maxRedirects = 10

// CheckRedirect is an http.Client CheckRedirect: it follows a redirect
// only within the Audience's origin, and refuses any other before a
// request leaves for it. The refusal is a *msgtrace.APIError of kind
// KindBadRequest: a misdirected endpoint or a proxy that rewrites answers
// does not mend by retrying, so the poll ends and the next one tries again.
func (a Audience) CheckRedirect(req *http.Request, via []*http.Request) error {
	if !origin.Same(req.URL, a.Origin) {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		return &msgtrace.APIError{Kind: msgtrace.KindBadRequest, StatusCode: status,
			Message: fmt.Sprintf("%s answered %d, redirecting the request to %s%s; not followed: the access token of tenant %s is sent only to %s (check endpoint, and whether a proxy rewrites the answers)",
				a.Service, status, origin.String(req.URL), downgrade(a.Origin, req.URL), a.Tenant, origin.String(a.Origin))}
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}

// refused is the error of a request the transport will not sign: one that
// is not for the Audience's origin.
func (a Audience) refused(u *url.URL) *msgtrace.APIError {
	return &msgtrace.APIError{Kind: msgtrace.KindBadRequest,
		Message: fmt.Sprintf("request to %s not sent: the access token of tenant %s is sent only to %s",
			origin.String(u), a.Tenant, origin.String(a.Origin))}
}

// NewOriginTransport returns a RoundTripper that sends only requests for
// aud's origin and refuses any other before it reaches base (a redirect
// that a client's CheckRedirect let through, a link built wrongly): with
// an `auth` extension, base is the extension's signing transport, so the
// signature never leaves for another origin. It is the one place the API
// clients check a request's origin; NewTransport builds on it.
func NewOriginTransport(base http.RoundTripper, aud Audience) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &originTransport{base: base, aud: aud}
}

type originTransport struct {
	base http.RoundTripper
	aud  Audience
}

func (t *originTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !origin.Same(req.URL, t.aud.Origin) {
		closeBody(req)
		return nil, t.aud.refused(req.URL)
	}
	return t.base.RoundTrip(req)
}

// NewTransport returns a RoundTripper that sets Authorization: Bearer on
// every request to aud's origin, and refuses any other request (see
// NewOriginTransport): the token is never sent, nor a request made
// without it, to another origin. When no token can be had, RoundTrip fails
// with an error wrapping *msgtrace.APIError (http.Client wraps it again in
// *url.Error; errors.As still finds it).
func NewTransport(base http.RoundTripper, ts TokenSource, aud Audience) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return NewOriginTransport(&bearerTransport{base: base, ts: ts}, aud)
}

// bearerTransport signs; the originTransport around it has already
// checked the request's origin.
type bearerTransport struct {
	base http.RoundTripper
	ts   TokenSource
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	token, err := t.ts.Token(req.Context())
	if err != nil {
		closeBody(req)
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
			inv.Invalidate(token)
		}
	}
	return resp, err
}

// closeBody closes a request body RoundTrip will not send: RoundTrip must
// close it, even on error.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// invalidator is a token source that keeps a token and can be told the
// API refused it: the next Token must be a freshly issued one, not the
// refused token again from a cache (its own or the identity library's).
type invalidator interface{ Invalidate(refused string) }
