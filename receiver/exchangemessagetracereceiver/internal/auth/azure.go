package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
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
	tok, err := a.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{a.settings.Scope}})
	if err != nil {
		return "", classify(ctx, err, a.settings, a.redact)
	}
	a.cached = tok
	return tok.Token, nil
}

// Invalidate drops the kept token: the API refused it (401), so the next
// request asks azidentity again rather than sending it until it expires.
func (a *azureSource) Invalidate() {
	a.mu.Lock()
	a.cached = azcore.AccessToken{}
	a.mu.Unlock()
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
