package identity

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func codeForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "client_id": {testClient}, "client_secret": {testSecret},
		"code": {code}, "redirect_uri": {"https://localhost"}, "resource": {outlook}}
}

func TestAuthorizationCode(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(f *fixture, code string) url.Values // returns the redemption form
		path    string
		status  int
		aadsts  int
		oauth   string
	}{
		{name: "v1 redeem", path: v1Path("common"), prepare: func(_ *fixture, c string) url.Values { return codeForm(c) }, status: 200},
		{name: "v2 redeem with offline_access", path: v2Path(testTenant), prepare: func(_ *fixture, c string) url.Values {
			v := codeForm(c)
			v.Del("resource")
			v.Set("scope", outlook+"/.default offline_access openid profile")
			v.Set("client_info", "1")
			return v
		}, status: 200},
		{name: "reused code", path: v1Path("common"), prepare: func(f *fixture, c string) url.Values {
			status, _ := f.post(t, v1Path("common"), codeForm(c))
			require.Equal(t, 200, status)
			return codeForm(c)
		}, status: 400, aadsts: 54005, oauth: "invalid_grant"},
		{name: "expired code", path: v1Path("common"), prepare: func(f *fixture, c string) url.Values {
			f.clock.Advance(10*time.Minute + time.Second)
			return codeForm(c)
		}, status: 400, aadsts: 70008, oauth: "invalid_grant"},
		{name: "unknown code", path: v1Path("common"), prepare: func(_ *fixture, _ string) url.Values { return codeForm("0.Anot-a-code") },
			status: 400, aadsts: 9002313, oauth: "invalid_grant"},
		{name: "other redirect uri", path: v1Path("common"), prepare: func(_ *fixture, c string) url.Values {
			v := codeForm(c)
			v.Set("redirect_uri", "https://example.com/cb")
			return v
		}, status: 400, aadsts: 500112, oauth: "invalid_grant"},
		{name: "wrong secret", path: v1Path("common"), prepare: func(_ *fixture, c string) url.Values {
			v := codeForm(c)
			v.Set("client_secret", "nope")
			return v
		}, status: 401, aadsts: 7000215, oauth: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			status, body := f.post(t, tt.path, tt.prepare(f, f.srv.NewAuthCode()))
			require.Equal(t, tt.status, status, body)
			if tt.aadsts != 0 {
				assert.Equal(t, tt.oauth, body["error"])
				assert.Equal(t, tt.aadsts, aadCode(t, body))
				return
			}
			assert.NotEmpty(t, body["refresh_token"])
			assert.NotEmpty(t, body["access_token"])
		})
	}
}

func TestAuthorizationCodeStats(t *testing.T) {
	f := newFixture(t, nil)
	code := f.srv.NewAuthCode()
	for range 3 {
		f.post(t, v1Path("common"), codeForm(code))
	}
	st := f.srv.Stats()
	assert.Equal(t, 1, st.CodesRedeemed)
	assert.Equal(t, 2, st.CodesReused)
	assert.Equal(t, 1, st.TokensIssued["authorization_code"])
}

func TestV2IDTokenAndClientInfo(t *testing.T) {
	f := newFixture(t, nil)
	v := codeForm(f.srv.NewAuthCode())
	v.Del("resource")
	v.Set("scope", outlook+"/.default openid offline_access profile")
	v.Set("client_info", "1")
	status, body := f.post(t, v2Path(testTenant), v)
	require.Equal(t, 200, status, body)
	assert.NotEmpty(t, body["id_token"], "MSAL builds its account from the id_token")
	assert.NotEmpty(t, body["client_info"], "MSAL needs client_info for the home account id")

	// Without offline_access, v2 issues no refresh token.
	v = codeForm(f.srv.NewAuthCode())
	v.Del("resource")
	v.Set("scope", outlook+"/.default")
	status, body = f.post(t, v2Path(testTenant), v)
	require.Equal(t, 200, status, body)
	assert.NotContains(t, body, "refresh_token")
}

func TestRefreshTokenRotation(t *testing.T) {
	f := newFixture(t, nil)
	rt1 := f.redeem(t)

	status, body := f.refresh(t, rt1)
	require.Equal(t, 200, status, body)
	rt2 := body["refresh_token"].(string)
	assert.NotEqual(t, rt1, rt2, "every refresh returns a new refresh token")

	// The replaced token is dead: a client that lost rt2 loses access.
	status, body = f.refresh(t, rt1)
	require.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", body["error"])
	assert.Equal(t, 50173, aadCode(t, body))

	status, body = f.refresh(t, rt2)
	require.Equal(t, 200, status, body)
	rt3 := body["refresh_token"].(string)
	assert.NotEqual(t, rt2, rt3)

	st := f.srv.Stats()
	assert.Equal(t, 2, st.RefreshTokensRotated)
	assert.Equal(t, 1, st.StaleRefreshReuse)
	assert.Equal(t, 2, st.TokensIssued["refresh_token"])

	status, body = f.refresh(t, "1.Agarbage")
	require.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, 9002313, aadCode(t, body))
}

func TestRefreshTokenV2InheritsScope(t *testing.T) {
	f := newFixture(t, nil)
	rt := f.redeem(t)
	status, body := f.post(t, v2Path(testTenant), url.Values{"grant_type": {"refresh_token"},
		"client_id": {testClient}, "client_secret": {testSecret}, "refresh_token": {rt}})
	require.Equal(t, 200, status, body)
	assert.NotEmpty(t, body["refresh_token"])
	_, _, ok := f.srv.Authenticate(bearer(body["access_token"].(string)), outlook)
	assert.True(t, ok, "the refreshed token keeps the original resource")
}

func TestRefreshTokenInactivity(t *testing.T) {
	tests := []struct {
		name   string
		steps  []time.Duration // wait before each refresh
		status int
		aadsts int
	}{
		{name: "used every 60 days stays alive", steps: []time.Duration{60 * 24 * time.Hour, 60 * 24 * time.Hour, 60 * 24 * time.Hour}, status: 200},
		{name: "91 days idle expires", steps: []time.Duration{91 * 24 * time.Hour}, status: 400, aadsts: 700082},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			rt := f.redeem(t)
			var status int
			var body map[string]any
			for _, d := range tt.steps {
				f.clock.Advance(d)
				status, body = f.refresh(t, rt)
				if status == 200 {
					rt = body["refresh_token"].(string)
				}
			}
			require.Equal(t, tt.status, status, body)
			if tt.aadsts != 0 {
				assert.Equal(t, tt.aadsts, aadCode(t, body))
				assert.Equal(t, "invalid_grant", body["error"])
			}
		})
	}
}

func TestAuthorizeRedirectsWithCode(t *testing.T) {
	f := newFixture(t, nil)
	client := f.ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	q := url.Values{"response_type": {"code"}, "resource": {outlook}, "client_id": {testClient},
		"redirect_uri": {"https://localhost"}, "state": {"xyz"}}
	resp, err := client.Get(f.ts.URL + "/common/oauth2/authorize?" + q.Encode())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "localhost", loc.Host)
	assert.Equal(t, "xyz", loc.Query().Get("state"))
	form := codeForm(loc.Query().Get("code"))
	form.Del("resource") // v1 takes it from the authorize request
	status, body := f.post(t, v1Path("common"), form)
	require.Equal(t, 200, status, body)
	assert.Equal(t, outlook, body["resource"])
}
