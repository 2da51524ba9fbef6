package exchangemessagetracereceiver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/auth"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// signingTransport stands for an `auth` extension's RoundTripper: it
// signs whatever it is handed.
type signingTransport struct {
	base   http.RoundTripper
	signed atomic.Int32
}

func (s *signingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s.signed.Add(1)
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Signature extension-credential")
	return s.base.RoundTrip(r)
}

type staticTokens string

func (s staticTokens) Token(context.Context) (string, error) { return string(s), nil }

// TestTenantAPIClientSendsNothingOffOrigin: a request built for another
// origin than endpoint (a wrong link; a redirect is CheckRedirect's) never
// reaches the signer, with the receiver's own tokens as with an `auth`
// extension, and fails with an error naming the tenant and the origin the
// credential is kept to.
func TestTenantAPIClientSendsNothingOffOrigin(t *testing.T) {
	var foreignHits, apiHits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { foreignHits.Add(1) }))
	defer foreign.Close()
	api := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { apiHits.Add(1) }))
	defer api.Close()

	for _, tt := range []struct {
		name   string
		tokens auth.TokenSource
	}{
		{"auth extension", nil},
		{"own token source", staticTokens("token")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			signer := &signingTransport{base: http.DefaultTransport}
			cfg := &Config{TenantID: "contoso-tenant"}
			cfg.Endpoint = api.URL + "/v1.0"
			c := tenantAPIClient(&http.Client{Transport: signer}, cfg, tt.tokens)

			_, err := c.Get(foreign.URL + "/v1.0/admin/exchange/tracing/messageTraces")
			var ae *msgtrace.APIError
			require.True(t, errors.As(err, &ae), "%v", err)
			assert.Equal(t, msgtrace.KindBadRequest, ae.Kind)
			assert.Contains(t, ae.Error(), "request to "+foreign.URL+" not sent: the access token of tenant contoso-tenant is sent only to "+api.URL)
			assert.Zero(t, foreignHits.Load(), "nothing reached the other origin")
			assert.Zero(t, signer.signed.Load(), "the signer saw nothing")

			resp, err := c.Get(api.URL + "/v1.0/admin/exchange/tracing/messageTraces")
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, int32(1), signer.signed.Load(), "the endpoint's own origin is signed and sent")
		})
	}
	assert.Equal(t, int32(2), apiHits.Load())
}
