package identity

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientCredentials(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name     string
		path     string
		form     url.Values
		status   int
		aadsts   int    // 0 for success
		oauthErr string // expected "error" value
	}{
		{name: "v2 secret", path: v2Path(testTenant), form: secretForm(testSecret), status: 200},
		{name: "v2 secret with the OIDC scopes MSAL adds", path: v2Path(testTenant), form: func() url.Values {
			v := secretForm(testSecret)
			v.Set("scope", graph+"/.default openid offline_access profile")
			return v
		}(), status: 200},
		{name: "v2 two resources", path: v2Path(testTenant), form: func() url.Values {
			v := secretForm(testSecret)
			v.Set("scope", graph+"/.default "+outlook+"/.default")
			return v
		}(), status: 400, aadsts: 1002012, oauthErr: "invalid_scope"},
		{name: "v1 secret with resource", path: v1Path(testTenant), form: url.Values{"grant_type": {"client_credentials"},
			"client_id": {testClient}, "client_secret": {testSecret}, "resource": {outlook}}, status: 200},
		{name: "invalid secret", path: v2Path(testTenant), form: secretForm("secret-id-not-value"), status: 401, aadsts: 7000215, oauthErr: "invalid_client"},
		{name: "expired secret", path: v2Path(testTenant), form: secretForm(oldSecret), status: 401, aadsts: 7000222, oauthErr: "invalid_client"},
		{name: "unknown client", path: v2Path(testTenant), form: func() url.Values {
			v := secretForm(testSecret)
			v.Set("client_id", "99999999-0000-0000-0000-000000000000")
			return v
		}(), status: 400, aadsts: 700016, oauthErr: "unauthorized_client"},
		{name: "unknown tenant", path: v2Path("00000000-dead-beef-0000-000000000000"), form: secretForm(testSecret), status: 400, aadsts: 90002, oauthErr: "invalid_request"},
		{name: "common is not a tenant for app-only tokens", path: v2Path("common"), form: secretForm(testSecret), status: 400, aadsts: 90002, oauthErr: "invalid_request"},
		{name: "no credential", path: v2Path(testTenant), form: func() url.Values {
			v := secretForm(testSecret)
			v.Del("client_secret")
			return v
		}(), status: 401, aadsts: 7000218, oauthErr: "invalid_client"},
		{name: "scope without .default", path: v2Path(testTenant), form: func() url.Values {
			v := secretForm(testSecret)
			v.Set("scope", graph+"/ExchangeMessageTrace.Read.All")
			return v
		}(), status: 400, aadsts: 1002012, oauthErr: "invalid_scope"},
		{name: "v1 without resource", path: v1Path(testTenant), form: url.Values{"grant_type": {"client_credentials"},
			"client_id": {testClient}, "client_secret": {testSecret}}, status: 400, aadsts: 900144, oauthErr: "invalid_request"},
		{name: "unsupported grant", path: v2Path(testTenant), form: func() url.Values {
			v := secretForm(testSecret)
			v.Set("grant_type", "password")
			return v
		}(), status: 400, aadsts: 70003, oauthErr: "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.post(t, tt.path, tt.form)
			require.Equal(t, tt.status, status, body)
			if tt.aadsts == 0 {
				assert.Equal(t, "Bearer", body["token_type"])
				assert.NotEmpty(t, body["access_token"])
				assert.NotContains(t, body, "refresh_token", "client credentials never yield a refresh token")
				return
			}
			assert.Equal(t, tt.oauthErr, body["error"])
			assert.Equal(t, tt.aadsts, aadCode(t, body))
			assert.Regexp(t, "^AADSTS"+strconv.Itoa(tt.aadsts)+": ", body["error_description"])
		})
	}
}

func TestTokenResponseShapes(t *testing.T) {
	f := newFixture(t, nil)
	status, v2 := f.post(t, v2Path(testTenant), secretForm(testSecret))
	require.Equal(t, 200, status)
	assert.IsType(t, float64(0), v2["expires_in"], "v2 expires_in is a number")
	assert.NotContains(t, v2, "scope", "app-only answers carry no scope")

	status, v1 := f.post(t, v1Path(testTenant), url.Values{"grant_type": {"client_credentials"},
		"client_id": {testClient}, "client_secret": {testSecret}, "resource": {outlook}})
	require.Equal(t, 200, status)
	for _, k := range []string{"expires_in", "expires_on", "ext_expires_in", "not_before"} {
		s, ok := v1[k].(string)
		require.True(t, ok, "v1 %s must be a string, got %T", k, v1[k])
		_, err := strconv.ParseInt(s, 10, 64)
		assert.NoError(t, err)
	}
	assert.Equal(t, outlook, v1["resource"])
	on, _ := strconv.ParseInt(v1["expires_on"].(string), 10, 64)
	assert.Equal(t, f.clock.Now().Add(time.Hour).Unix(), on)
}

func TestErrorBodyShape(t *testing.T) {
	f := newFixture(t, nil)
	status, body := f.post(t, v2Path(testTenant), secretForm("wrong"))
	require.Equal(t, http.StatusUnauthorized, status)
	for _, k := range []string{"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id"} {
		assert.Contains(t, body, k)
	}
	guid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	assert.Regexp(t, guid, body["trace_id"])
	assert.Regexp(t, guid, body["correlation_id"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`, body["timestamp"])
	assert.NotContains(t, body["error_description"], "wrong", "the presented secret is never echoed")
	assert.Equal(t, 1, f.srv.Stats().Failures[7000215])
}

func TestConsentMissing(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.SetConsentMissing(true)
	status, body := f.post(t, v2Path(testTenant), secretForm(testSecret))
	require.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, 65001, aadCode(t, body))
	assert.Equal(t, "invalid_grant", body["error"])

	f.srv.SetConsentMissing(false)
	status, _ = f.post(t, v2Path(testTenant), secretForm(testSecret))
	assert.Equal(t, http.StatusOK, status)
}

func TestOutage(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.SetOutage(true)
	resp, err := f.ts.Client().PostForm(f.ts.URL+v2Path(testTenant), secretForm(testSecret))
	require.NoError(t, err)
	body := decode(t, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "temporarily_unavailable", body["error"])
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))

	f.srv.SetOutage(false)
	status, _ := f.post(t, v2Path(testTenant), secretForm(testSecret))
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 1, f.srv.Stats().TokensIssued["client_credentials"])
}
