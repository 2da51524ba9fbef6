package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// hostileToken is an authority whose token endpoint misbehaves while on:
// token requests (POST .../token) get answer; metadata and everything
// else reach the simulated authority behind it.
type hostileToken struct {
	on     atomic.Bool
	answer http.HandlerFunc
}

func (h *hostileToken) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.on.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
			h.answer(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// credentialFields are the form fields and headers that carry a
// credential to the identity platform or the API.
var credentialFields = []string{"client_secret", "client_assertion", "refresh_token", "code", "Authorization", "X-Identity-Header"}

// foreignOrigin is a server on another origin than the authority. It
// records how many requests reached it and the names (never the values)
// of the credentials they carried.
type foreignOrigin struct {
	srv *httptest.Server

	mu    sync.Mutex
	hits  int
	creds map[string]bool
}

func newForeignOrigin(t *testing.T, tlsOn bool) *foreignOrigin {
	t.Helper()
	f := &foreignOrigin{creds: map[string]bool{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.hits++
		for _, k := range credentialFields {
			if r.PostForm.Get(k) != "" || r.Header.Get(k) != "" {
				f.creds[k] = true
			}
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"planted-by-the-foreign-origin"}`)
	})
	if tlsOn {
		f.srv = httptest.NewTLSServer(h)
	} else {
		f.srv = httptest.NewServer(h)
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *foreignOrigin) seen() (int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for k := range f.creds {
		names = append(names, k)
	}
	return f.hits, names
}

// flow makes a token source of one kind against s, and a first token
// where the kind needs one before the request under test (the refresh of
// the authorization code flow).
type flow struct {
	name  string
	setup func(t *testing.T, s *sim, certPath string) TokenSource
}

var flows = []flow{
	{"client secret (azidentity)", func(t *testing.T, s *sim, _ string) TokenSource {
		set := s.settings()
		set.ClientSecret = secret
		return mustSource(t, set)
	}},
	{"certificate (azidentity)", func(t *testing.T, s *sim, certPath string) TokenSource {
		set := s.settings()
		set.CertificatePath = certPath
		return mustSource(t, set)
	}},
	{"authorization code redeemed", func(t *testing.T, s *sim, _ string) TokenSource {
		return s.newAuthCode(t, s.srv.NewAuthCode(), newMemStore())
	}},
	{"refresh token redeemed", func(t *testing.T, s *sim, _ string) TokenSource {
		a := s.newAuthCode(t, s.srv.NewAuthCode(), newMemStore())
		_, err := a.Token(context.Background())
		require.NoError(t, err)
		s.expireAccess()
		return a
	}},
}

func mustSource(t *testing.T, set Settings) TokenSource {
	t.Helper()
	src, err := NewTokenSource(set)
	require.NoError(t, err)
	return src
}

// TestTokenRequestRedirectIsNotFollowed: a token endpoint answering 307 or
// 308 (which would re-post the form), 302 or 301 to another origin, or to plain
// http, is refused before anything leaves for it, in every flow; the
// error names the authority, the target and the tenant.
func TestTokenRequestRedirectIsNotFollowed(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound, http.StatusMovedPermanently} {
		for _, foreignTLS := range []bool{true, false} {
			for _, fl := range flows {
				name := fmt.Sprintf("%d to %s, %s", status, map[bool]string{true: "https", false: "plain http"}[foreignTLS], fl.name)
				t.Run(name, func(t *testing.T) {
					foreign := newForeignOrigin(t, foreignTLS)
					h := &hostileToken{answer: func(w http.ResponseWriter, r *http.Request) {
						http.Redirect(w, r, foreign.srv.URL+r.URL.Path, status)
					}}
					cert, _, certPath := newCertFiles(t)
					s := newWrappedSim(t, func(c *identity.Config) { c.Certificate = cert }, h.wrap)
					src := fl.setup(t, s, certPath)
					h.on.Store(true)

					_, err := src.Token(context.Background())
					ae := apiError(t, err)
					t.Logf("error: %v", ae)
					hits, creds := foreign.seen()
					assert.Zero(t, hits, "no request reached the foreign origin")
					assert.Empty(t, creds, "no credential reached the foreign origin")
					assert.Equal(t, msgtrace.KindAuth, ae.Kind)
					for _, want := range []string{fmt.Sprintf("answered %d, redirecting the token request to", status), foreign.srv.URL, s.ts.URL, tenantID} {
						assert.Contains(t, ae.Error(), want)
					}
					assert.NotContains(t, ae.Error(), "planted")
					assertNoCredentials(t, ae.Error())
				})
			}
		}
	}
}

// TestRedirectWithinTheAuthorityIsFollowed: the rule is the origin, not
// "no redirects".
func TestRedirectWithinTheAuthorityIsFollowed(t *testing.T) {
	var s *sim
	h := &hostileToken{}
	s = newWrappedSim(t, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p, ok := strings.CutPrefix(r.URL.Path, "/moved"); ok {
				r.URL.Path = p
				next.ServeHTTP(w, r)
				return
			}
			h.wrap(next).ServeHTTP(w, r)
		})
	})
	h.answer = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusTemporaryRedirect)
	}
	h.on.Store(true)
	for _, fl := range flows[:1] {
		tok, err := fl.setup(t, s, "").Token(context.Background())
		require.NoError(t, err)
		assert.NotEmpty(t, tok)
	}
}

func assertNoCredentials(t *testing.T, text string) {
	t.Helper()
	assert.NotContains(t, text, secret)
	assert.NotRegexp(t, `eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`, text, "a token in the error")
}

// TestOversizedTokenResponseIsNotHeld: a token endpoint answering 200 with
// 200 MB is read no further than MaxTokenResponseBytes, with and without a
// Content-Length, and the error says so. The memory the request cost is
// logged (runtime.MemStats, TotalAlloc over the request and the peak heap
// sampled during it) and bounded generously.
func TestOversizedTokenResponseIsNotHeld(t *testing.T) {
	const size = 200 << 20
	for _, withLength := range []bool{false, true} {
		for _, fl := range []flow{flows[0], flows[2]} {
			t.Run(fmt.Sprintf("%s, Content-Length %v", fl.name, withLength), func(t *testing.T) {
				h := &hostileToken{answer: func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					if withLength {
						w.Header().Set("Content-Length", fmt.Sprint(size+len(`{"access_token":""}`)))
					}
					_, _ = io.WriteString(w, `{"access_token":"`)
					chunk := []byte(strings.Repeat("a", 64<<10))
					for sent := 0; sent < size; sent += len(chunk) {
						if _, err := w.Write(chunk); err != nil {
							return
						}
					}
					_, _ = io.WriteString(w, `"}`)
				}}
				s := newWrappedSim(t, nil, h.wrap)
				src := fl.setup(t, s, "")
				h.on.Store(true)

				peak, total, err := measure(func() error {
					_, err := src.Token(context.Background())
					return err
				})
				t.Logf("200 MB token response: TotalAlloc %.1f MiB during the request, peak HeapAlloc %.1f MiB", mib(total), mib(peak))
				ae := apiError(t, err)
				t.Logf("error: %v", ae)
				assert.Contains(t, ae.Error(), "over the 1024 KiB cap on token responses")
				assert.Contains(t, ae.Error(), s.ts.URL)
				assert.Less(t, total, uint64(64<<20), "the response is not read whole")
			})
		}
	}
}

// measure runs f and returns the bytes allocated meanwhile and the highest
// HeapAlloc sampled every millisecond while it ran.
func measure(f func() error) (peak, total uint64, err error) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	err = f()
	close(done)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return peak, after.TotalAlloc - before.TotalAlloc, err
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// TestTokenEndpointAnswering200WithAPageIsNamed: a 200 that is no token
// response (a proxy's sign-in page, an empty JSON object) is reported as
// what it is, not as an unreachable endpoint, and its body is not quoted.
func TestTokenEndpointAnswering200WithAPageIsNamed(t *testing.T) {
	page := "<html><head><title>Corporate Proxy: sign in to continue</title></head><body>" + strings.Repeat("x", 1000) + "</body></html>"
	tests := []struct {
		name, contentType, body string
		want                    []string
	}{
		{name: "html page", contentType: "text/html; charset=utf-8", body: page,
			want: []string{"answered POST with 200", "not a token response", "text/html", fmt.Sprintf("%d bytes", len(page)), "Corporate Proxy: sign in to continue", "authority_host"}},
		{name: "json without a token", contentType: "application/json", body: `{"hello":"world"}`,
			want: []string{"answered POST with 200", "not a token response", "application/json", "17 bytes"}},
	}
	for _, tt := range tests {
		for _, fl := range []flow{flows[0], flows[2]} {
			t.Run(tt.name+", "+fl.name, func(t *testing.T) {
				h := &hostileToken{answer: func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", tt.contentType)
					_, _ = io.WriteString(w, tt.body)
				}}
				s := newWrappedSim(t, nil, h.wrap)
				src := fl.setup(t, s, "")
				h.on.Store(true)
				_, err := src.Token(context.Background())
				ae := apiError(t, err)
				t.Logf("error: %v", ae)
				for _, want := range tt.want {
					assert.Contains(t, ae.Error(), want)
				}
				assert.Contains(t, ae.Error(), s.ts.URL)
				assert.NotContains(t, ae.Error(), "unreachable")
				assert.NotContains(t, ae.Error(), "xxxxxxxx", "the body is not quoted")
				assert.Equal(t, msgtrace.KindTransient, ae.Kind)
			})
		}
	}
}

// TestRefusedTokenIsReplacedByANewOne: an API that refuses the first token
// it sees (401) and accepts any other. After the 401 the next request must
// carry a newly issued token, which takes a second token request: the
// identity library's cache would hand back the refused one.
func TestRefusedTokenIsReplacedByANewOne(t *testing.T) {
	for _, fl := range []flow{flows[0], flows[1], flows[2]} {
		t.Run(fl.name, func(t *testing.T) {
			cert, _, certPath := newCertFiles(t)
			s := newSim(t, func(c *identity.Config) { c.Certificate = cert })
			var mu sync.Mutex
			var seen []string
			api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				tok := r.Header.Get("Authorization")
				seen = append(seen, tok)
				if tok == seen[0] {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(api.Close)
			src := fl.setup(t, s, certPath)
			c := &http.Client{Transport: NewTransport(api.Client().Transport, src, audienceOf(t, api.URL))}
			before := issued(s)
			var statuses []int
			for range 2 {
				resp, err := c.Get(api.URL)
				require.NoError(t, err)
				resp.Body.Close()
				statuses = append(statuses, resp.StatusCode)
			}
			assert.Equal(t, []int{http.StatusUnauthorized, http.StatusOK}, statuses)
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, seen, 2)
			// A boolean, so that a failure never prints a token.
			assert.True(t, seen[0] != seen[1], "the request after the 401 carries another token")
			assert.Equal(t, 2, issued(s)-before, "the token endpoint was asked again")
		})
	}
}

// issued is how many tokens the simulated authority has issued.
func issued(s *sim) int {
	n := 0
	for _, v := range s.srv.Stats().TokensIssued {
		n += v
	}
	return n
}

// TestManagedIdentityRedirectIsNotFollowed: App Service's managed identity
// endpoint (plain HTTP on loopback, its secret in X-IDENTITY-HEADER)
// answering 302 to another origin: Go's client would carry the header
// along (it drops only Authorization and cookies, and only for another
// domain). Not run in parallel: azidentity reads the endpoint from the
// environment.
func TestManagedIdentityRedirectIsNotFollowed(t *testing.T) {
	foreign := newForeignOrigin(t, false)
	var mu sync.Mutex
	hits := 0
	mi := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		http.Redirect(w, r, foreign.srv.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	t.Cleanup(mi.Close)
	for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"} {
		t.Setenv(k, "")
	}
	t.Setenv("IDENTITY_ENDPOINT", mi.URL+identity.AppServiceTokenPath)
	t.Setenv("IDENTITY_HEADER", "mi-header-"+fmt.Sprint(time.Now().UnixNano()))
	// A user-assigned id of its own: MSAL caches managed identity tokens
	// process-wide.
	src, err := NewTokenSource(Settings{ManagedIdentity: true, ManagedIdentityClientID: fmt.Sprintf("0000%04d-0000-4000-8000-000000000000", time.Now().Nanosecond()%10000),
		Scope: graphScope, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	require.NoError(t, err)
	_, err = src.Token(context.Background())
	ae := apiError(t, err)
	t.Logf("error: %v", ae)
	n, creds := foreign.seen()
	assert.Zero(t, n, "no request reached the foreign origin")
	assert.Empty(t, creds, "the identity header did not reach the foreign origin")
	for _, want := range []string{"the managed identity endpoint at " + mi.URL, "answered 302, redirecting", foreign.srv.URL} {
		assert.Contains(t, ae.Error(), want)
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d requests to the managed identity endpoint (azidentity's own retries)", hits)
}
