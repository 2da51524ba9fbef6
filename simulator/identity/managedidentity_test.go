package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const userAssigned = "6c7d8e9f-0a1b-4c2d-9e3f-405162738495"

// newMIFixture serves the handler over plain HTTP as well, as the managed
// identity endpoints are on an Azure host.
func newMIFixture(t *testing.T, mi ManagedIdentityConfig) (*fixture, *httptest.Server) {
	t.Helper()
	f := newFixture(t, func(c *Config) { c.ManagedIdentity = mi })
	plain := httptest.NewServer(f.srv.Handler())
	t.Cleanup(plain.Close)
	return f, plain
}

func TestAppServiceProtocol(t *testing.T) {
	tests := []struct {
		name       string
		mi         ManagedIdentityConfig
		header     string
		query      url.Values
		outage     bool
		wantStatus int
		wantApp    string // appid of the issued token
		wantInMsg  string
	}{
		{name: "system-assigned", query: url.Values{"resource": {graph}}, wantStatus: 200, wantApp: DefaultSystemAssignedClientID},
		{name: "user-assigned by client_id", mi: ManagedIdentityConfig{UserAssigned: []string{userAssigned}},
			query: url.Values{"resource": {graph}, "client_id": {strings.ToUpper(userAssigned)}}, wantStatus: 200, wantApp: userAssigned},
		{name: "resource with /.default", query: url.Values{"resource": {graph + "/.default"}}, wantStatus: 200, wantApp: DefaultSystemAssignedClientID},
		{name: "unknown client_id", query: url.Values{"resource": {graph}, "client_id": {userAssigned}}, wantStatus: 400,
			wantInMsg: "No User Assigned or Delegated Managed Identity found"},
		{name: "resource id selector", query: url.Values{"resource": {graph}, "mi_res_id": {"/subscriptions/x"}}, wantStatus: 400,
			wantInMsg: "No User Assigned"},
		{name: "no system-assigned identity", mi: ManagedIdentityConfig{NoSystemAssigned: true}, query: url.Values{"resource": {graph}},
			wantStatus: 400, wantInMsg: "No system assigned"},
		{name: "wrong identity header", header: "guess", query: url.Values{"resource": {graph}}, wantStatus: 401, wantInMsg: "X-IDENTITY-HEADER"},
		{name: "old api-version", query: url.Values{"resource": {graph}, "api-version": {"2017-09-01"}}, wantStatus: 400, wantInMsg: "api-version"},
		{name: "no resource", query: url.Values{}, wantStatus: 400, wantInMsg: "resource"},
		{name: "outage", query: url.Values{"resource": {graph}}, outage: true, wantStatus: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, plain := newMIFixture(t, tt.mi)
			f.srv.SetOutage(tt.outage)
			q := tt.query
			if !q.Has("api-version") {
				q.Set("api-version", "2019-08-01")
			}
			req, err := http.NewRequest(http.MethodGet, plain.URL+AppServiceTokenPath+"?"+q.Encode(), nil)
			require.NoError(t, err)
			header := tt.header
			if header == "" {
				header = DefaultIdentityHeader
			}
			req.Header.Set("X-IDENTITY-HEADER", header)
			resp, err := plain.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tt.wantStatus, resp.StatusCode)
			if tt.wantStatus != 200 {
				var body struct {
					StatusCode    int    `json:"statusCode"`
					Message       string `json:"message"`
					CorrelationID string `json:"correlationId"`
				}
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
				assert.Equal(t, tt.wantStatus, body.StatusCode)
				assert.Contains(t, body.Message, tt.wantInMsg)
				assert.NotEmpty(t, body.CorrelationID)
				assert.Equal(t, 1, f.srv.Stats().ManagedIdentityRefused)
				return
			}
			var body map[string]string // App Service renders every value as a string
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Equal(t, "Bearer", body["token_type"])
			assert.Equal(t, graph, body["resource"])
			assert.Equal(t, tt.wantApp, body["client_id"])
			exp, err := strconv.ParseInt(body["expires_on"], 10, 64)
			require.NoError(t, err)
			assert.InDelta(t, f.clock.Now().Add(time.Hour).Unix(), exp, 1)
			assert.Contains(t, jwtClaims(t, body["access_token"]), `"appid":"`+tt.wantApp+`"`)
			_, _, ok := f.srv.Authenticate(bearer(body["access_token"]), graph)
			assert.True(t, ok, "Graph accepts the managed identity's token")
			_, _, ok = f.srv.Authenticate(bearer(body["access_token"]), outlook)
			assert.False(t, ok, "for its own resource only")
			assert.Equal(t, 1, f.srv.Stats().TokensIssued["managed_identity_app_service"])
		})
	}
}

func TestCloudShellProtocol(t *testing.T) {
	f, plain := newMIFixture(t, ManagedIdentityConfig{})
	post := func(metadata bool, form url.Values) (*http.Response, map[string]string) {
		req, err := http.NewRequest(http.MethodPost, plain.URL+CloudShellTokenPath, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if metadata {
			req.Header.Set("Metadata", "true")
		}
		resp, err := plain.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp, body
	}
	resp, body := post(true, url.Values{"resource": {outlook}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "3600", body["expires_in"])
	_, _, ok := f.srv.Authenticate(bearer(body["access_token"]), outlook)
	assert.True(t, ok)

	resp, body = post(false, url.Values{"resource": {outlook}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "invalid_request", body["error"])
}

// TestAzureIdentityManagedIdentity runs azidentity's ManagedIdentityCredential
// (MSAL's managed identity client) against the endpoints. MSAL keeps managed
// identity tokens in one process-wide cache keyed by identity and resource,
// so every case asks for a resource of its own. The environment variables
// select the protocol: no t.Parallel.
func TestAzureIdentityManagedIdentity(t *testing.T) {
	tests := []struct {
		name     string
		protocol string // app_service or cloud_shell
		clientID string // user-assigned; "" system-assigned
		wantErr  string
	}{
		{name: "App Service, system-assigned", protocol: "app_service"},
		{name: "App Service, user-assigned", protocol: "app_service", clientID: userAssigned},
		{name: "App Service, identity not attached", protocol: "app_service", clientID: uuid.NewString(), wantErr: "No User Assigned or Delegated Managed Identity found"},
		{name: "Cloud Shell", protocol: "cloud_shell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, plain := newMIFixture(t, ManagedIdentityConfig{UserAssigned: []string{userAssigned}})
			for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"} {
				t.Setenv(k, "")
			}
			if tt.protocol == "app_service" {
				t.Setenv("IDENTITY_ENDPOINT", plain.URL+AppServiceTokenPath)
				t.Setenv("IDENTITY_HEADER", DefaultIdentityHeader)
			} else {
				t.Setenv("MSI_ENDPOINT", plain.URL+CloudShellTokenPath)
			}
			opts := &azidentity.ManagedIdentityCredentialOptions{}
			opts.Retry = policy.RetryOptions{MaxRetries: -1}
			if tt.clientID != "" {
				opts.ID = azidentity.ClientID(tt.clientID)
			}
			cred, err := azidentity.NewManagedIdentityCredential(opts)
			require.NoError(t, err)
			resource := "api://sim-" + uuid.NewString()
			tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{resource + "/.default"}})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.WithinDuration(t, f.clock.Now().Add(time.Hour), tok.ExpiresOn, 2*time.Second)
			_, _, ok := f.srv.Authenticate(bearer(tok.Token), resource)
			assert.True(t, ok)
			assert.Equal(t, 1, f.srv.Stats().TokensIssued["managed_identity_"+tt.protocol])
		})
	}
}

// jwtClaims returns the decoded claims segment of a token.
func jwtClaims(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.GreaterOrEqual(t, len(parts), 2)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	return string(raw)
}
