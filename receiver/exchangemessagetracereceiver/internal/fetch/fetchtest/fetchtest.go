// Package fetchtest serves scripted HTTP responses on loopback for the API
// clients' tests, and supplies a token-adding transport.
package fetchtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the bearer token the test transport sends. It looks like a JWT
// so that redaction of JWT-shaped text is exercised too.
const Token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2VjcmV0LXNpZ25hdHVyZS1kby1ub3QtbG9n"

// Step answers one request.
type Step func(w http.ResponseWriter, r *http.Request)

// Request is what the server saw.
type Request struct {
	RequestURI string
	Header     http.Header
	At         time.Time
}

// Server answers requests with its steps in order; a request past the last
// step fails the test.
type Server struct {
	*httptest.Server
	t        testing.TB
	mu       sync.Mutex
	steps    []Step
	requests []Request
}

// NewServer starts a server on loopback, closed when the test ends.
func NewServer(t testing.TB, steps ...Step) *Server {
	s := &Server{t: t, steps: steps}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, Request{RequestURI: r.RequestURI, Header: r.Header.Clone(), At: time.Now()})
	s.mu.Unlock()
	if n >= len(s.steps) {
		s.t.Errorf("unexpected request %d: %s", n+1, r.RequestURI)
		http.Error(w, "no more steps", http.StatusTeapot)
		return
	}
	s.steps[n](w, r)
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Respond answers with status, headers ("Key: value") and body, replacing
// {{BASE}} in the body with the server's URL.
func Respond(status int, body string, headers ...string) Step {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ":")
			w.Header().Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.WriteHeader(status)
		fmt.Fprint(w, strings.ReplaceAll(body, "{{BASE}}", "http://"+r.Host))
	}
}

// Truncated declares a Content-Length longer than the body it sends, so
// the client sees the connection end mid-body.
func Truncated(body string) Step {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)+100))
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, body)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		// Hijack and close so the client does not wait for the rest.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
	}
}

// ReadFile reads testdata/name.
func ReadFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TokenTransport adds the bearer token to every request, or fails every
// request with Err (a token source's failure) when Err is set.
type TokenTransport struct {
	Err  error
	Base http.RoundTripper
}

func (tt *TokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if tt.Err != nil {
		return nil, tt.Err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+Token)
	base := tt.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// Client returns an HTTP client that adds the test token.
func Client() *http.Client {
	return &http.Client{Transport: &TokenTransport{}, Timeout: 10 * time.Second}
}

// Must returns v, and panics with err when there is one: for test set-up
// whose failure is a bug of the test (a client built from a fixed URL).
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
