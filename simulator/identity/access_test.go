package identity

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthenticate(t *testing.T) {
	f := newFixture(t, nil)
	_, v2 := f.post(t, v2Path(testTenant), secretForm(testSecret))
	graphToken := v2["access_token"].(string)
	_, v1 := f.post(t, v1Path(testTenant), url.Values{"grant_type": {"client_credentials"},
		"client_id": {testClient}, "client_secret": {testSecret}, "resource": {outlook + "/"}})
	outlookToken := v1["access_token"].(string)
	require.Len(t, strings.Split(graphToken, "."), 3, "tokens are JWT-shaped")

	tests := []struct {
		name     string
		token    string
		audience string
		advance  time.Duration
		ok       bool
		message  string
	}{
		{name: "graph token for graph", token: graphToken, audience: graph, ok: true},
		{name: "outlook token for outlook", token: outlookToken, audience: outlook, ok: true},
		{name: "missing", token: "", audience: graph, message: "Access token is empty."},
		{name: "forged", token: "eyJ0eXAiOiJKV1QifQ.e30.forged", audience: graph, message: "Invalid JWT token"},
		{name: "wrong audience", token: outlookToken, audience: graph, message: "Invalid audience."},
		{name: "graph token for the legacy service", token: graphToken, audience: outlook, message: "Invalid audience."},
		{name: "expired", token: graphToken, audience: graph, advance: time.Hour, message: "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Advance(tt.advance)
			defer f.clock.Advance(-tt.advance)
			status, body, ok := f.srv.Authenticate(bearer(tt.token), tt.audience)
			require.Equal(t, tt.ok, ok)
			if tt.ok {
				return
			}
			assert.Equal(t, http.StatusUnauthorized, status)
			assert.Contains(t, string(body), tt.message)
			var env map[string]any
			require.NoError(t, json.Unmarshal(body, &env))
			if isGraph(tt.audience) {
				e := env["error"].(map[string]any)
				assert.Equal(t, "InvalidAuthenticationToken", e["code"])
				assert.Contains(t, e, "innerError")
			} else {
				assert.Contains(t, env, "odata.error")
			}
		})
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		path       string
		status     int
		tokenPath  string
		issuerPath string
	}{
		{path: "/" + testTenant + "/v2.0/.well-known/openid-configuration", status: 200,
			tokenPath: "/" + testTenant + "/oauth2/v2.0/token", issuerPath: "/" + testTenant + "/v2.0"},
		{path: "/organizations/v2.0/.well-known/openid-configuration", status: 200,
			tokenPath: "/organizations/oauth2/v2.0/token", issuerPath: "/{tenantid}/v2.0"},
		{path: "/" + testTenant + "/.well-known/openid-configuration", status: 200, tokenPath: "/" + testTenant + "/oauth2/token"},
		{path: "/contoso.invalid/v2.0/.well-known/openid-configuration", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, doc := f.get(t, tt.path)
			require.Equal(t, tt.status, status, doc)
			if status != 200 {
				assert.Equal(t, 90002, aadCode(t, doc))
				return
			}
			assert.Equal(t, f.ts.URL+tt.tokenPath, doc["token_endpoint"])
			assert.NotEmpty(t, doc["authorization_endpoint"])
			if tt.issuerPath != "" {
				// MSAL requires the issuer's scheme and host to match the authority's.
				assert.Equal(t, f.ts.URL+tt.issuerPath, doc["issuer"])
			}
		})
	}
}

func TestInstanceDiscovery(t *testing.T) {
	f := newFixture(t, nil)
	// Exactly what MSAL for Go v1.x asks.
	q := url.Values{"api-version": {"1.1"}, "authorization_endpoint": {"https://login.microsoftonline.com/" + testTenant + "/oauth2/v2.0/authorize"}}
	status, doc := f.get(t, "/common/discovery/instance?"+q.Encode())
	require.Equal(t, 200, status)
	assert.Equal(t, "https://login.microsoftonline.com/"+testTenant+"/v2.0/.well-known/openid-configuration", doc["tenant_discovery_endpoint"])
	md := doc["metadata"].([]any)[0].(map[string]any)
	assert.Contains(t, md["aliases"], "login.windows.net")

	status, doc = f.get(t, "/common/discovery/instance?api-version=1.1")
	assert.Equal(t, 400, status)
	assert.Equal(t, "invalid_instance", doc["error"])
}
