package identity

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Where the simulator serves the local managed identity endpoints. On Azure
// they listen on the host's loopback over plain HTTP; azidentity finds them
// through environment variables: App Service's IDENTITY_ENDPOINT and
// IDENTITY_HEADER, Cloud Shell's MSI_ENDPOINT.
const (
	AppServiceTokenPath = "/msi/token"
	CloudShellTokenPath = "/msi/cloudshell/token"
)

// Defaults of ManagedIdentityConfig: fixed, harmless test values.
const (
	DefaultIdentityHeader         = "sim-identity-header"
	DefaultSystemAssignedClientID = "0d3e5f71-2a4b-4c6d-8e9f-a1b2c3d4e5f6"
)

// appServiceAPIVersion is the only version of the App Service protocol
// whose answer carries client_id; azidentity (MSAL) sends it.
const appServiceAPIVersion = "2019-08-01"

// grantManagedIdentity marks tokens of the managed identity endpoints.
const grantManagedIdentity = "managed_identity"

// ManagedIdentityConfig describes the managed identities of the Azure host
// (a web app, a function, a Cloud Shell session) whose local endpoints the
// simulator serves. Their tokens are app-only tokens of the simulated
// tenant, accepted by Graph and the legacy report like client credentials.
type ManagedIdentityConfig struct {
	// Header is the per-host secret App Service puts in IDENTITY_HEADER;
	// a request must echo it in X-IDENTITY-HEADER. Default DefaultIdentityHeader.
	Header string
	// SystemAssigned is the client id of the host's system-assigned
	// identity, default DefaultSystemAssignedClientID.
	SystemAssigned string
	// NoSystemAssigned says the host has no system-assigned identity.
	NoSystemAssigned bool
	// UserAssigned are the client ids of the user-assigned identities
	// attached to the host (selected with client_id).
	UserAssigned []string
}

func (c ManagedIdentityConfig) withDefaults() ManagedIdentityConfig {
	if c.Header == "" {
		c.Header = DefaultIdentityHeader
	}
	if c.SystemAssigned == "" {
		c.SystemAssigned = DefaultSystemAssignedClientID
	}
	c.UserAssigned = slices.Clone(c.UserAssigned)
	return c
}

// SetManagedIdentity replaces the host's managed identities.
func (s *Server) SetManagedIdentity(c ManagedIdentityConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.managed = c.withDefaults()
}

// ManagedIdentity returns the host's managed identities (defaults filled in).
func (s *Server) ManagedIdentity() ManagedIdentityConfig {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.managed.withDefaults()
}

// miError is an error answer of a managed identity endpoint.
type miError struct {
	status  int
	message string
}

// serveAppServiceToken answers App Service's protocol (api-version
// 2019-08-01): GET ?api-version=&resource=[&client_id=] with the
// X-IDENTITY-HEADER secret, answering
// {"access_token","expires_on","resource","token_type","client_id"} with
// expires_on in Unix seconds as a string. Errors are App Service's
// {"statusCode","message","correlationId"}. A user-assigned identity is
// found by client_id only: mi_res_id and object_id name no identity here.
func (s *Server) serveAppServiceToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	mi := s.ManagedIdentity()
	var e *miError
	switch {
	case subtle.ConstantTimeCompare([]byte(r.Header.Get("X-IDENTITY-HEADER")), []byte(mi.Header)) != 1:
		// An assumption: App Service documents that requests without the
		// header are rejected, not with which status.
		e = &miError{http.StatusUnauthorized, "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER."}
	case q.Get("api-version") != appServiceAPIVersion:
		e = &miError{http.StatusBadRequest, "The api-version '" + q.Get("api-version") + "' is not supported; use " + appServiceAPIVersion + "."}
	case q.Get("resource") == "":
		e = &miError{http.StatusBadRequest, "The resource parameter is required."}
	}
	clientID := ""
	if e == nil {
		clientID, e = mi.identity(q.Get("client_id"), q.Get("mi_res_id") != "" || q.Get("object_id") != "" || q.Get("principal_id") != "")
	}
	if e == nil && s.outageOn() {
		e = &miError{http.StatusServiceUnavailable, "The managed identity service is temporarily unavailable."}
	}
	if e != nil {
		s.refuseManagedIdentity()
		writeJSON(w, e.status, map[string]any{"statusCode": e.status, "message": e.message, "correlationId": uuid.NewString()})
		return
	}
	token, expiresOn, resource := s.issueManagedIdentityToken("managed_identity_app_service", clientID, q.Get("resource"))
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": token, "expires_on": strconv.FormatInt(expiresOn, 10),
		"resource": resource, "token_type": "Bearer", "client_id": clientID,
	})
}

// serveCloudShellToken answers Cloud Shell's protocol: POST a form with
// resource and the Metadata: true header; the session's one identity (no
// user-assigned ones) gets a v1-shaped answer with string numbers.
func (s *Server) serveCloudShellToken(w http.ResponseWriter, r *http.Request) {
	mi := s.ManagedIdentity()
	var e *miError
	switch {
	case r.Header.Get("Metadata") != "true":
		e = &miError{http.StatusBadRequest, "Required metadata header not specified"}
	case r.ParseForm() != nil || r.PostForm.Get("resource") == "":
		e = &miError{http.StatusBadRequest, "Required parameter resource is missing"}
	case mi.NoSystemAssigned:
		e = &miError{http.StatusBadRequest, "Identity not found"}
	case s.outageOn():
		e = &miError{http.StatusServiceUnavailable, "The managed identity service is temporarily unavailable."}
	}
	if e != nil {
		s.refuseManagedIdentity()
		writeJSON(w, e.status, map[string]string{"error": "invalid_request", "error_description": e.message})
		return
	}
	token, expiresOn, resource := s.issueManagedIdentityToken("managed_identity_cloud_shell", mi.SystemAssigned, r.PostForm.Get("resource"))
	now := s.cfg.Now().Unix()
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": token, "refresh_token": "", "expires_in": strconv.FormatInt(expiresOn-now, 10),
		"expires_on": strconv.FormatInt(expiresOn, 10), "not_before": strconv.FormatInt(now, 10),
		"resource": resource, "token_type": "Bearer",
	})
}

// identity picks the identity a request names: the user-assigned one with
// clientID, or the system-assigned one when it names none.
func (c ManagedIdentityConfig) identity(clientID string, otherSelector bool) (string, *miError) {
	notFound := &miError{http.StatusBadRequest, "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId."}
	switch {
	case otherSelector:
		return "", notFound
	case clientID != "":
		if i := slices.IndexFunc(c.UserAssigned, func(id string) bool { return strings.EqualFold(id, clientID) }); i >= 0 {
			return c.UserAssigned[i], nil
		}
		return "", notFound
	case c.NoSystemAssigned:
		return "", &miError{http.StatusBadRequest, "No system assigned managed identity is enabled for this resource."}
	}
	return c.SystemAssigned, nil
}

func (s *Server) outageOn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.outage
}

func (s *Server) refuseManagedIdentity() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.ManagedIdentityRefused++
}

// issueManagedIdentityToken issues an app-only token of identity clientID
// for resource and counts it under source.
func (s *Server) issueManagedIdentityToken(source, clientID, resource string) (token string, expiresOn int64, res string) {
	res = strings.TrimSuffix(resource, "/.default")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	token = s.newAccessToken(&tokenRequest{grant: grantManagedIdentity, resource: res, appID: clientID}, now)
	s.stats.TokensIssued[source]++
	return token, now.Add(s.cfg.AccessTokenTTL).Unix(), res
}
