package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

// TestDiscoveryNamingAnotherTokenEndpointGetsNothing: an authority (or a
// proxy answering for it) whose OpenID discovery document names a
// token_endpoint on another origin gets no token request there, with or
// without TLS, in the azidentity flows (the ones that read the document):
// no client secret, no assertion, no request at all; the error names the
// authority, the endpoint named and the tenant.
func TestDiscoveryNamingAnotherTokenEndpointGetsNothing(t *testing.T) {
	for _, foreignTLS := range []bool{true, false} {
		for _, fl := range flows[:2] {
			t.Run(map[bool]string{true: "https", false: "plain http"}[foreignTLS]+", "+fl.name, func(t *testing.T) {
				foreign := newForeignOrigin(t, foreignTLS)
				cert, _, certPath := newCertFiles(t)
				s := newWrappedSim(t, func(c *identity.Config) { c.Certificate = cert }, func(next http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if !strings.Contains(r.URL.Path, "openid-configuration") {
							next.ServeHTTP(w, r)
							return
						}
						rec := httptest.NewRecorder()
						next.ServeHTTP(rec, r)
						var doc map[string]any
						require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
						named, err := url.Parse(doc["token_endpoint"].(string))
						require.NoError(t, err)
						doc["token_endpoint"] = foreign.srv.URL + named.Path
						w.Header().Set("Content-Type", "application/json")
						_ = json.NewEncoder(w).Encode(doc)
					})
				})
				src := fl.setup(t, s, certPath)

				_, err := src.Token(context.Background())
				ae := apiError(t, err)
				t.Logf("error: %v", ae)
				hits, creds := foreign.seen()
				assert.Zero(t, hits, "no request reached the foreign origin")
				assert.Empty(t, creds, "no credential reached the foreign origin")
				assert.Equal(t, msgtrace.KindAuth, ae.Kind)
				for _, want := range []string{"discovery document at " + s.ts.URL + " named token endpoint " + foreign.srv.URL + "/",
					"not used: the credentials of tenant " + tenantID + " are sent only to " + s.ts.URL, "check authority_host"} {
					assert.Contains(t, ae.Error(), want)
				}
				assert.NotContains(t, ae.Error(), "planted")
				assertNoCredentials(t, ae.Error())
			})
		}
	}
}

// TestCredentialsCrossOnlyBetweenOneCloudsLoginHosts: MSAL posts to
// login.microsoftonline.com for the authority login.windows.net; that is
// the only kind of other origin a token request may go to.
func TestCredentialsCrossOnlyBetweenOneCloudsLoginHosts(t *testing.T) {
	tests := []struct {
		authority, post string
		allowed         bool
	}{
		{"https://login.windows.net", "https://login.microsoftonline.com/t/oauth2/v2.0/token", true},
		{"https://login.microsoftonline.com", "https://login.microsoft.com/t/oauth2/v2.0/token", true},
		{"https://sts.windows.net", "https://LOGIN.microsoftonline.com:443/t/oauth2/token", true},
		{"https://login.usgovcloudapi.net", "https://login.microsoftonline.us/t/oauth2/v2.0/token", true},
		{"https://login.chinacloudapi.cn", "https://login.partner.microsoftonline.cn/t/oauth2/v2.0/token", true},
		{"https://login.microsoftonline.com", "https://login.microsoftonline.us/t/oauth2/v2.0/token", false},
		{"https://login.microsoftonline.com", "https://login.chinacloudapi.cn/t/oauth2/v2.0/token", false},
		{"https://login.microsoftonline.com", "http://login.windows.net/t/oauth2/v2.0/token", false},
		{"https://login.microsoftonline.com", "https://login.windows.net:8443/t/oauth2/v2.0/token", false},
		{"https://login.microsoftonline.com", "https://login.microsoftonline.com.evil.example/t/oauth2/v2.0/token", false},
		{"https://login.example", "https://login.microsoftonline.com/t/oauth2/v2.0/token", false},
		{"https://login.microsoftonline.de", "https://login.microsoftonline.com/t/oauth2/v2.0/token", false},
	}
	for _, tt := range tests {
		authority, err := url.Parse(tt.authority)
		require.NoError(t, err)
		_, g := guardedClient(&http.Client{}, false, authority, tenantID)
		req, err := http.NewRequest(http.MethodPost, tt.post, strings.NewReader("client_secret=x"))
		require.NoError(t, err)
		err = g.credentialBound(req)
		assert.Equal(t, tt.allowed, err == nil, "%s -> %s: %v", tt.authority, tt.post, err)

		get, err := http.NewRequest(http.MethodGet, tt.post, nil)
		require.NoError(t, err)
		assert.NoError(t, g.credentialBound(get), "a GET carries no credential")
	}
}
