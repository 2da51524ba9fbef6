package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

type failingSource struct{ err error }

func (f failingSource) Token(context.Context) (string, error) { return "", f.err }

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

func TestTransport(t *testing.T) {
	s := newSim(t, nil)
	rs := s.resourceServer(t, "https://graph.microsoft.com")
	set := s.settings()
	set.ClientSecret = secret
	good, err := NewTokenSource(set)
	require.NoError(t, err)
	set.ClientSecret = "wrong-secret-value-xyz"
	bad, err := NewTokenSource(set)
	require.NoError(t, err)

	tests := []struct {
		name   string
		ts     TokenSource
		status int
		kind   msgtrace.ErrorKind
		code   string
	}{
		{name: "bearer token accepted", ts: good, status: http.StatusOK},
		{name: "token refused", ts: bad, kind: msgtrace.KindAuth, code: "AADSTS7000215"},
		{name: "plain error is wrapped", ts: failingSource{errors.New("boom")}, kind: msgtrace.KindAuth},
		{name: "transient token failure keeps its kind", ts: failingSource{&msgtrace.APIError{Kind: msgtrace.KindTransient, Message: "down"}}, kind: msgtrace.KindTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &closeTracker{Reader: strings.NewReader("x")}
			req, err := http.NewRequest(http.MethodPost, rs.URL, body)
			require.NoError(t, err)
			resp, err := (&http.Client{Transport: NewTransport(rs.Client().Transport, tt.ts, audienceOf(t, rs.URL))}).Do(req)
			if tt.status != 0 {
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, tt.status, resp.StatusCode)
				return
			}
			var uerr *url.Error
			require.ErrorAs(t, err, &uerr, "http.Client wraps RoundTrip errors")
			ae := apiError(t, err)
			assert.Equal(t, tt.kind, ae.Kind)
			assert.Equal(t, tt.code, ae.Code)
			assert.True(t, body.closed, "RoundTrip closes the request body on failure")
		})
	}
}

func TestTransportWithoutAuthorization(t *testing.T) {
	s := newSim(t, nil)
	rs := s.resourceServer(t, "https://graph.microsoft.com")
	resp, err := rs.Client().Get(rs.URL)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, string(b), "InvalidAuthenticationToken")
}

// TestTransportSignsOnlyItsOrigin: a request to another origin than the
// Audience's (another port, plain http, another host) is not sent at all,
// so neither the token nor a request made without it leaves; the error
// names the origin the token is for.
func TestTransportSignsOnlyItsOrigin(t *testing.T) {
	s := newSim(t, nil)
	rs := s.resourceServer(t, "https://graph.microsoft.com")
	set := s.settings()
	set.ClientSecret = secret
	ts, err := NewTokenSource(set)
	require.NoError(t, err)
	var hits atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(other.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(plain.Close)
	c := &http.Client{Transport: NewTransport(rs.Client().Transport, ts, audienceOf(t, rs.URL))}

	resp, err := c.Get(rs.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "its own origin is signed")
	for _, target := range []string{other.URL + "/v1.0", plain.URL + "/v1.0", strings.Replace(rs.URL, "https://", "http://", 1)} {
		_, err := c.Get(target)
		ae := apiError(t, err)
		assert.Equal(t, msgtrace.KindBadRequest, ae.Kind)
		assert.Contains(t, ae.Error(), "the access token of tenant "+tenantID+" is sent only to "+rs.URL)
	}
	assert.Zero(t, hits.Load(), "nothing reached the other origins")
}
