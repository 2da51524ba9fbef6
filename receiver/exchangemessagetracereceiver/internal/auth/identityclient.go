package auth

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/origin"
)

// MaxTokenResponseBytes bounds what the identity platform (or the managed
// identity endpoint) can make the collector hold: token responses,
// metadata and error answers are a few KiB; a larger one is a proxy page,
// a hostile server or a misdirected authority_host, and is not read on.
const MaxTokenResponseBytes = 1 << 20

// identityGuard sits between a token source and the network. It keeps
// every request of the source within the origin it was sent to (a
// redirect elsewhere would re-post the client secret, the assertion, the
// code or the refresh token there), caps the size of what is read, and
// remembers the last answer so that a failure the identity library
// flattens into text (azidentity keeps no error chain) can still be
// explained: see refused and unreadable.
//
// One guard serves one token source; the source holds its own lock around
// a token request, so reset/explain see that request's traffic.
type identityGuard struct {
	base http.RoundTripper
	// authority is the configured authority's origin: a request carrying
	// a credential (any but a GET) goes there only (see credentialBound).
	// Nil for the managed identity endpoint, whose requests are GETs to
	// an endpoint of the host's own.
	authority *url.URL
	what      string // "the identity platform", "the managed identity endpoint"
	check     string // what the operator checks when it misbehaves
	tenant    string
	maxBytes  int64

	mu      sync.Mutex
	refusal *msgtrace.APIError // a redirect refused or a body too large
	last    *answer            // the last response read, nil after a transport failure
}

// answer is what is known of a response, without its body.
type answer struct {
	method, origin, contentType string
	status                      int
	bytes                       int64
	head                        []byte // the first bytes of a body that is not JSON, for an HTML page's title
}

const answerHeadBytes = 4 << 10

// identityPlatform and identityPlatformCheck name the authority and what
// to check when it misbehaves.
const (
	identityPlatform      = "the identity platform"
	identityPlatformCheck = "check authority_host and proxy_url (a proxy or captive portal may be answering)"
)

// guardedClient returns c's transport, timeout and redirect limit behind a
// new guard. authority is the configured authority_host (unused for
// managed identity).
func guardedClient(c *http.Client, managedIdentity bool, authority *url.URL, tenant string) (*http.Client, *identityGuard) {
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	g := &identityGuard{base: base, what: identityPlatform, check: identityPlatformCheck, tenant: tenant, maxBytes: MaxTokenResponseBytes}
	if !managedIdentity {
		g.authority = authority
	}
	if managedIdentity {
		g.what, g.check = "the managed identity endpoint", "check what answers at the host's managed identity endpoint (IDENTITY_ENDPOINT, or IMDS at 169.254.169.254)"
	}
	return &http.Client{Transport: g, CheckRedirect: g.checkRedirect, Timeout: c.Timeout}, g
}

// checkRedirect follows a redirect only within the origin of the first
// request (the authority, or the managed identity endpoint).
func (g *identityGuard) checkRedirect(req *http.Request, via []*http.Request) error {
	from := via[0].URL
	if !origin.Same(req.URL, from) {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		return g.refuse(&msgtrace.APIError{Kind: msgtrace.KindAuth, StatusCode: status,
			Message: fmt.Sprintf("%s at %s answered %d, redirecting the token request to %s%s; not followed: the credentials%s are sent only to %s: %s",
				g.what, origin.String(from), status, origin.String(req.URL), downgrade(from, req.URL), g.ofTenant(), origin.String(from), g.check)})
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	return nil
}

func (g *identityGuard) ofTenant() string {
	if g.tenant == "" {
		return ""
	}
	return " of tenant " + g.tenant
}

// credentialBound refuses a request that may carry a credential (the
// token POST carries the client secret, the assertion, the code or the
// refresh token) to an origin other than the authority's. MSAL posts to
// the token_endpoint the authority's OpenID discovery document names, so
// a misdirected authority_host, or a TLS-intercepting proxy's answer,
// would otherwise get the credential sent elsewhere without any redirect.
// GETs (discovery, instance metadata) carry none and may go anywhere.
func (g *identityGuard) credentialBound(req *http.Request) error {
	if g.authority == nil || (req.Method == http.MethodGet && (req.Body == nil || req.Body == http.NoBody)) {
		return nil
	}
	if origin.Same(req.URL, g.authority) || sameMicrosoftCloud(req.URL, g.authority) {
		return nil
	}
	endpoint := origin.String(req.URL) + req.URL.EscapedPath()
	return g.refuse(&msgtrace.APIError{Kind: msgtrace.KindAuth,
		Message: fmt.Sprintf("%s's discovery document at %s named token endpoint %s%s; not used: the credentials%s are sent only to %s: %s",
			g.what, origin.String(g.authority), endpoint, downgrade(g.authority, req.URL), g.ofTenant(), origin.String(g.authority), g.check)})
}

func (g *identityGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.credentialBound(req); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	resp, err := g.base.RoundTrip(req)
	g.mu.Lock()
	g.last = nil
	g.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > g.maxBytes {
		_ = resp.Body.Close()
		return nil, g.tooLarge(req.URL, resp.ContentLength)
	}
	a := &answer{method: req.Method, origin: origin.String(req.URL), contentType: resp.Header.Get("Content-Type"), status: resp.StatusCode}
	// A JSON body may be a token response: its bytes are not kept.
	keepHead := !strings.Contains(strings.ToLower(a.contentType), "json")
	resp.Body = &cappedBody{rc: resp.Body, g: g, u: req.URL, a: a, keepHead: keepHead}
	return resp, nil
}

// tooLarge records and returns the refusal of a body over the cap; n is
// its Content-Length, 0 when it had none.
func (g *identityGuard) tooLarge(u *url.URL, n int64) error {
	what := fmt.Sprintf("sent a response over the %d KiB cap on token responses (they are a few KiB); stopped reading there", g.maxBytes>>10)
	if n > 0 {
		what = fmt.Sprintf("announced a response of %d bytes, over the %d KiB cap on token responses (they are a few KiB); not read", n, g.maxBytes>>10)
	}
	return g.refuse(&msgtrace.APIError{Kind: msgtrace.KindAuth,
		Message: fmt.Sprintf("%s at %s %s: %s", g.what, origin.String(u), what, g.check)})
}

func (g *identityGuard) refuse(e *msgtrace.APIError) *msgtrace.APIError {
	g.mu.Lock()
	g.refusal = e
	g.mu.Unlock()
	return e
}

// reset forgets the previous token request's traffic.
func (g *identityGuard) reset() {
	g.mu.Lock()
	g.refusal, g.last = nil, nil
	g.mu.Unlock()
}

// refused is the guard's own refusal in the current token request (a
// redirect off the origin, a body over the cap), or nil.
func (g *identityGuard) refused() *msgtrace.APIError {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refusal
}

// unreadable says what came instead of what the identity library asked
// for, when the current token request's last answer had a 2xx status (a
// proxy's or a captive portal's page, a misdirected authority_host):
// the library then fails on the body, and its error reads like a network
// failure. Nil otherwise.
func (g *identityGuard) unreadable() *msgtrace.APIError {
	g.mu.Lock()
	defer g.mu.Unlock()
	if a := g.last; a != nil && a.status >= 200 && a.status < 300 {
		return notATokenResponse(g.what, g.check, a)
	}
	return nil
}

// notATokenResponse says what came instead of a token response. The body
// itself is not quoted: it may be anything, of any size.
func notATokenResponse(what, check string, a *answer) *msgtrace.APIError {
	ct := a.contentType
	if ct == "" {
		ct = "no content type"
	}
	title := ""
	if t := logsafe.HTMLTitle(a.head); t != "" {
		title = ", title " + logsafe.Quote(t)
	}
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: a.status,
		Message: fmt.Sprintf("%s at %s answered %s with %d and a body that is not a token response (%s, %d bytes%s): %s; retrying",
			what, a.origin, a.method, a.status, ct, a.bytes, title, check)}
}

// cappedBody reads a response body up to the guard's cap, recording what
// it read.
type cappedBody struct {
	rc io.ReadCloser
	g  *identityGuard
	u  *url.URL
	a  *answer
	n  int64

	keepHead bool
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.n >= b.g.maxBytes {
		// One byte past the cap tells a body of exactly the cap from a
		// larger one.
		var one [1]byte
		for {
			n, err := b.rc.Read(one[:])
			if n > 0 {
				return 0, b.g.tooLarge(b.u, 0)
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if rest := b.g.maxBytes - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.rc.Read(p)
	if b.keepHead && len(b.a.head) < answerHeadBytes {
		b.a.head = append(b.a.head, p[:min(n, answerHeadBytes-len(b.a.head))]...)
	}
	b.n += int64(n)
	b.a.bytes = b.n
	if err == io.EOF {
		b.g.mu.Lock()
		b.g.last = b.a
		b.g.mu.Unlock()
	}
	return n, err
}

func (b *cappedBody) Close() error {
	// A body closed before its end (a decoder that stopped at the JSON's
	// end) still counts as the last answer.
	b.g.mu.Lock()
	if b.g.last == nil {
		b.g.last = b.a
	}
	b.g.mu.Unlock()
	return b.rc.Close()
}
