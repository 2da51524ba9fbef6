package identity

import (
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCertificateAssertion(t *testing.T) {
	cert, key := newCert(t)
	otherCert, otherKey := newCert(t)
	f := newFixture(t, func(c *Config) { c.Certificate = cert })
	now := f.clock.Now()
	with := func(k string, v any) jwt.MapClaims {
		c := f.claims(now)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name      string
		spec      assertionSpec
		signCert  *x509.Certificate
		tamper    bool
		wantCode  int // 0 = token issued
		wantInMsg string
	}{
		{name: "RS256 with x5t", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: f.claims(now)}},
		{name: "PS256 with x5t#S256", spec: assertionSpec{alg: "PS256", thumbFn: x5tS256, claims: f.claims(now)}},
		{name: "PS256 thumbprint in standard base64 (MSAL)", spec: assertionSpec{alg: "PS256", thumbFn: x5tS256Std, claims: f.claims(now)}},
		{name: "v1 token URL as audience", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: with("aud", f.ts.URL+v1Path(testTenant))}},
		{name: "unregistered certificate", spec: assertionSpec{alg: "PS256", thumbFn: x5tS256, claims: f.claims(now)}, signCert: otherCert,
			wantCode: 700027, wantInMsg: "not registered"},
		{name: "no thumbprint", spec: assertionSpec{alg: "RS256", claims: f.claims(now)}, wantCode: 700027},
		{name: "HS256 rejected", spec: assertionSpec{alg: "HS256", thumbFn: x5t, claims: f.claims(now)}, wantCode: 700027},
		{name: "bad signature", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: f.claims(now)}, tamper: true, wantCode: 700027},
		{name: "wrong audience", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: with("aud", "https://login.microsoftonline.com/"+testTenant+"/oauth2/v2.0/token")},
			wantCode: 700027, wantInMsg: "audience"},
		{name: "iss is not the client", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: with("iss", "someone-else")}, wantCode: 700016},
		{name: "sub is not the client", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: with("sub", "someone-else")}, wantCode: 700027},
		{name: "missing jti", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: with("jti", nil)}, wantCode: 700027, wantInMsg: "jti"},
		{name: "expired", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: with("exp", now.Add(-10*time.Minute).Unix())}, wantCode: 700024},
		{name: "not yet valid", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: with("nbf", now.Add(time.Hour).Unix())}, wantCode: 700024},
		{name: "no exp", spec: assertionSpec{alg: "RS256", thumbFn: x5t, claims: with("exp", nil)}, wantCode: 700024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signCert, signKey := cert, key
			if tt.signCert != nil {
				signCert, signKey = otherCert, otherKey
			}
			a := sign(t, tt.spec, signCert, signKey)
			if tt.tamper {
				a = a[:len(a)-4] + "AAAA"
			}
			form := assertionForm(a)
			if tt.name == "iss is not the client" {
				form.Del("client_id") // the client id then comes from iss
			}
			status, body := f.post(t, v2Path(testTenant), form)
			if tt.wantCode == 0 {
				require.Equal(t, http.StatusOK, status, body)
				return
			}
			assert.Equal(t, tt.wantCode, aadCode(t, body), body)
			assert.Contains(t, body["error_description"], tt.wantInMsg)
		})
	}
}

func TestAssertionWithoutRegisteredCertificate(t *testing.T) {
	f := newFixture(t, nil)
	cert, key := newCert(t)
	a := sign(t, assertionSpec{alg: "PS256", thumbFn: x5tS256, claims: f.claims(f.clock.Now())}, cert, key)
	status, body := f.post(t, v2Path(testTenant), assertionForm(a))
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, 700027, aadCode(t, body))
	assert.Equal(t, "invalid_client", body["error"])
}

func TestFederatedAssertion(t *testing.T) {
	const issuer = "https://oidc.prod-aks.azure.com/tenant/cluster/"
	f := newFixture(t, func(c *Config) { c.FederatedIssuers = []string{issuer} })
	now := f.clock.Now()
	claims := jwt.MapClaims{"iss": issuer, "sub": "system:serviceaccount:otel:collector", "aud": "api://AzureADTokenExchange",
		"jti": "j1", "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	cert, key := newCert(t) // the cluster's key: the simulator does not check it
	status, body := f.post(t, v2Path(testTenant), assertionForm(sign(t, assertionSpec{alg: "RS256", claims: claims}, cert, key)))
	require.Equal(t, http.StatusOK, status, body)

	claims["aud"] = "api://wrong"
	status, body = f.post(t, v2Path(testTenant), assertionForm(sign(t, assertionSpec{alg: "RS256", claims: claims}, cert, key)))
	require.Equal(t, http.StatusUnauthorized, status, body)
	assert.Equal(t, 700027, aadCode(t, body))
}
