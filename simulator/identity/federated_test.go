package identity

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFederatedCredential checks a Kubernetes-style service account token
// against a registered federated credential: issuer, subject, audience,
// signature (by the cluster's key) and lifetime.
func TestFederatedCredential(t *testing.T) {
	const (
		issuer  = "https://oidc.prod-aks.azure.com/tenant/cluster/"
		subject = "system:serviceaccount:otel:collector"
	)
	clusterCert, clusterKey := newCert(t)
	otherCert, otherKey := newCert(t)
	f := newFixture(t, nil)
	f.srv.AddFederatedCredential(FederatedCredential{Issuer: issuer, Subject: subject, Key: clusterCert.PublicKey})
	now := f.clock.Now()
	token := func(k string, v any) jwt.MapClaims {
		// No jti: service account tokens of older clusters carry none.
		c := jwt.MapClaims{"iss": issuer, "sub": subject, "aud": []string{FederatedAudience},
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if k != "" {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name      string
		claims    jwt.MapClaims
		otherKey  bool
		wantCode  int
		wantInMsg string
	}{
		{name: "token of the registered subject", claims: token("", nil)},
		{name: "another service account", claims: token("sub", "system:serviceaccount:otel:other"), wantCode: 700213, wantInMsg: "system:serviceaccount:otel:other"},
		{name: "another audience", claims: token("aud", "api://elsewhere"), wantCode: 700027, wantInMsg: "api://elsewhere"},
		{name: "signed by another key", claims: token("", nil), otherKey: true, wantCode: 700027, wantInMsg: "signature"},
		{name: "expired", claims: token("exp", now.Add(-time.Hour).Unix()), wantCode: 700024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, key := clusterCert, clusterKey
			if tt.otherKey {
				cert, key = otherCert, otherKey
			}
			status, body := f.post(t, v2Path(testTenant), assertionForm(sign(t, assertionSpec{alg: "RS256", claims: tt.claims}, cert, key)))
			if tt.wantCode == 0 {
				require.Equal(t, http.StatusOK, status, body)
				_, _, ok := f.srv.Authenticate(bearer(body["access_token"].(string)), graph)
				assert.True(t, ok)
				return
			}
			assert.Equal(t, tt.wantCode, aadCode(t, body), body)
			assert.Contains(t, body["error_description"], tt.wantInMsg)
		})
	}
}
