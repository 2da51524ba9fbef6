package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"go.uber.org/zap"
)

// azureSource adapts an azidentity credential. azidentity (MSAL) caches the
// token and renews it before it expires, but its cache lookup on every
// request was the largest single cost of a poll for many tenants (16 % of
// a 1,000-tenant collector's steady state); the token is kept here until
// it is within renewMargin of its expiry, and then asked for again.
type azureSource struct {
	cred     azcore.TokenCredential
	settings Settings
	redact   []string

	mu     sync.Mutex
	cached azcore.AccessToken
	// fresh says the API refused the last token: the next request asks
	// for a newly issued one, not MSAL's cached copy of the refused one.
	// It is tried once per refusal, whatever its result.
	fresh bool
}

// renewMargin is how long before its expiry a kept token is renewed: what
// MSAL itself leaves (5 minutes), so that no request carries a token that
// expires on its way.
const renewMargin = 5 * time.Minute

func (a *azureSource) Token(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cached.Token != "" && time.Until(a.cached.ExpiresOn) > renewMargin {
		return a.cached.Token, nil
	}
	opts := policy.TokenRequestOptions{Scopes: []string{a.settings.Scope}}
	if a.fresh {
		// One attempt per refused token: an authority that rejects the
		// claims request (one that is not Entra ID, a proxy that filters
		// the form) must not keep the tenant from any token at all.
		a.fresh = false
		tok, err := a.getToken(ctx, policy.TokenRequestOptions{Scopes: opts.Scopes, Claims: freshTokenClaims(time.Now())})
		if err == nil {
			a.cached = tok
			return tok.Token, nil
		}
		if ctx.Err() != nil {
			return "", err
		}
		// MSAL's cached token, or a new one once that expired: if it is
		// the refused token, its next 401 asks for a fresh one again.
		if l := a.settings.Logger; l != nil {
			l.Warn("The identity platform refused the request for a newly issued token (after the API refused the last one); asking for a token without it", zap.Error(err))
		}
	}
	tok, err := a.getToken(ctx, opts)
	if err != nil {
		return "", err
	}
	a.cached = tok
	return tok.Token, nil
}

// getToken asks azidentity for a token; its failure comes back classified.
func (a *azureSource) getToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if a.settings.guard != nil {
		a.settings.guard.reset()
	}
	tok, err := a.cred.GetToken(ctx, opts)
	if err != nil {
		return tok, classify(ctx, err, a.settings, a.redact)
	}
	return tok, nil
}

// Invalidate drops the kept token if it is the refused one: the API
// refused it (401), so the next request asks azidentity for a new token
// rather than sending it until it expires. A refused token that was
// already replaced (another request's 401) changes nothing.
func (a *azureSource) Invalidate(refused string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cached.Token == refused {
		a.cached, a.fresh = azcore.AccessToken{}, true
	}
}

// freshTokenClaims is the claims request that makes MSAL skip its cache
// (it never answers a request with claims from it, for client credentials
// as for managed identity) and asks the identity platform for a token
// issued now: the form of Entra's own claims challenge for a token revoked
// by Continuous Access Evaluation ({"access_token":{"nbf":...}}). Without
// it MSAL would hand back the refused token until it expires (an hour of
// 401s for a token revoked early, or issued before a permission was
// granted).
func freshTokenClaims(now time.Time) string {
	return `{"access_token":{"nbf":{"essential":true,"value":"` + strconv.FormatInt(now.Unix(), 10) + `"}}}`
}

func (s Settings) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: s.AuthorityHost + "/"},
		// The receiver's poll loop owns retries and backoff; a second retry
		// layer here would hide outages and multiply the wait.
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Transport: s.HTTPClient,
		Telemetry: policy.TelemetryOptions{Disabled: true},
	}
}

func newSecretSource(s Settings) (TokenSource, error) {
	cred, err := azidentity.NewClientSecretCredential(s.TenantID, s.ClientID, s.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: s.clientOptions(), DisableInstanceDiscovery: !s.isMicrosoftAuthority()})
	if err != nil {
		return nil, fmt.Errorf("auth: client secret credential: %w", err)
	}
	return &azureSource{cred: cred, settings: s, redact: []string{s.ClientSecret}}, nil
}

func newCertificateSource(s Settings) (TokenSource, error) {
	certs, key, err := loadCertificate(s.CertificatePath, s.CertificatePassword)
	if err != nil {
		return nil, err
	}
	cred, err := azidentity.NewClientCertificateCredential(s.TenantID, s.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: s.clientOptions(), DisableInstanceDiscovery: !s.isMicrosoftAuthority()})
	if err != nil {
		return nil, fmt.Errorf("auth: client certificate credential: %w", err)
	}
	return &azureSource{cred: cred, settings: s, redact: []string{s.CertificatePassword}}, nil
}

func newManagedIdentitySource(s Settings) (TokenSource, error) {
	opts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: s.clientOptions()}
	// Managed identity endpoints are local (IMDS, App Service); azidentity
	// retries them itself while they start up, so keep its default policy.
	opts.Retry = policy.RetryOptions{}
	if s.ManagedIdentityClientID != "" {
		opts.ID = azidentity.ClientID(s.ManagedIdentityClientID)
	}
	cred, err := azidentity.NewManagedIdentityCredential(opts)
	if err != nil {
		return nil, fmt.Errorf("auth: managed identity credential: %w", err)
	}
	return &azureSource{cred: cred, settings: s}, nil
}

func newWorkloadIdentitySource(s Settings) (TokenSource, error) {
	// azidentity reads the file only at the first token request and its
	// failure would read as a network problem; the file is mounted before
	// the collector starts, so say now what is missing.
	const where = "set workload_identity.federated_token_file, or AZURE_FEDERATED_TOKEN_FILE (the AKS workload identity webhook sets it in pods labeled azure.workload.identity/use: \"true\")"
	if s.FederatedTokenFile == "" {
		return nil, errors.New("auth: workload_identity: no federated token file: " + where)
	}
	if _, err := os.Stat(s.FederatedTokenFile); err != nil {
		return nil, fmt.Errorf("auth: workload_identity: federated token file: %w: %s", err, where)
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientOptions: s.clientOptions(), TenantID: s.TenantID, ClientID: s.ClientID,
		TokenFilePath: s.FederatedTokenFile, DisableInstanceDiscovery: !s.isMicrosoftAuthority(),
	})
	if err != nil {
		return nil, fmt.Errorf("auth: workload identity credential: %w", err)
	}
	return &azureSource{cred: cred, settings: s}, nil
}
