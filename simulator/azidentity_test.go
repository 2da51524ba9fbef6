package simulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// TestAzureIdentityAgainstHTTPS checks the wiring Azure's own identity
// library needs: an https authority whose certificate verifies against
// CAFile, token endpoints under /{tenant}/, and tokens the Graph and legacy
// endpoints accept.
func TestAzureIdentityAgainstHTTPS(t *testing.T) {
	s := startSim(t, Config{Model: ModelConfig{RowsPerDay: 1000}})
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	cred, err := azidentity.NewClientSecretCredential(s.cfg.TenantID, s.cfg.ClientID, s.cfg.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.HTTPSURL + "/"},
				Transport: hc,
			},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	now := time.Now().UTC()
	for _, c := range []struct{ scope, url string }{
		{graphAud + "/.default", s.HTTPSURL + "/v1.0/admin/exchange/tracing/messageTraces?$top=5"},
		{legacyAud + "/.default", legacyURL(s.HTTPSURL, legacyFilter(now.Add(-time.Hour).Format(time.RFC3339), now.Format(time.RFC3339)), "&$top=5")},
	} {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.scope}})
		if err != nil {
			t.Fatalf("%s: %v", c.scope, err)
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", c.url, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s with an azidentity token: %d", c.url, resp.StatusCode)
		}
	}
}
