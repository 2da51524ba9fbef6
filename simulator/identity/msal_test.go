package identity

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMSALConfidentialClient runs MSAL for Go itself against the simulator:
// OpenID discovery, the v2 authorization code redemption (id_token and
// client_info build MSAL's account), a silent refresh, and client
// credentials with a certificate (PS256, x5t#S256 in standard base64).
func TestMSALConfidentialClient(t *testing.T) {
	cert, key := newCert(t)
	// Access tokens shorter than MSAL's five-minute renewal margin make
	// every silent call refresh.
	f := newFixture(t, func(c *Config) { c.Certificate = cert; c.AccessTokenTTL = 2 * time.Minute })
	ctx := context.Background()
	scopes := []string{outlook + "/.default"}

	secretCred, err := confidential.NewCredFromSecret(testSecret)
	require.NoError(t, err)
	app, err := confidential.New(f.ts.URL+"/"+testTenant, testClient, secretCred,
		confidential.WithHTTPClient(f.ts.Client()), confidential.WithInstanceDiscovery(false))
	require.NoError(t, err)

	res, err := app.AcquireTokenByAuthCode(ctx, f.srv.NewAuthCode(), "https://localhost", scopes)
	require.NoError(t, err)
	require.NotEmpty(t, res.Account.HomeAccountID, "client_info gives MSAL a home account id")
	_, _, ok := f.srv.Authenticate(bearer(res.AccessToken), outlook)
	assert.True(t, ok)

	res2, err := app.AcquireTokenSilent(ctx, scopes, confidential.WithSilentAccount(res.Account))
	require.NoError(t, err)
	assert.NotEqual(t, res.AccessToken, res2.AccessToken)
	st := f.srv.Stats()
	assert.Equal(t, 1, st.CodesRedeemed)
	assert.Equal(t, 1, st.RefreshTokensRotated)

	certCred, err := confidential.NewCredFromCert([]*x509.Certificate{cert}, key)
	require.NoError(t, err)
	certApp, err := confidential.New(f.ts.URL+"/"+testTenant, testClient, certCred,
		confidential.WithHTTPClient(f.ts.Client()), confidential.WithInstanceDiscovery(false))
	require.NoError(t, err)
	res3, err := certApp.AcquireTokenByCredential(ctx, []string{graph + "/.default"})
	require.NoError(t, err)
	_, _, ok = f.srv.Authenticate(bearer(res3.AccessToken), graph)
	assert.True(t, ok)
}
