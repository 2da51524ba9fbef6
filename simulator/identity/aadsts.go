package identity

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// aadError is a token endpoint failure in the shape Microsoft returns:
// an OAuth error code, an AADSTS code and its description.
type aadError struct {
	status int    // HTTP status
	oauth  string // OAuth2 "error" value
	code   int    // AADSTS number
	text   string // description after "AADSTSnnnn: "
}

func (e *aadError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.code, e.text) }

// The codes below carry Microsoft's own wording (reference-error-codes),
// with the parameters filled in.

func errTenantNotFound(tenant string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)}
}

func errAppNotFound(clientID, tenant string) *aadError {
	return &aadError{http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant)}
}

// errMissingServicePrincipal is the newer answer for an app that was never
// consented to in the tenant (seen since 2023 next to 700016).
func errMissingServicePrincipal(clientID, tenantID string) *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 7000229, fmt.Sprintf(
		"The client application %s is missing service principal in the tenant %s. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119", clientID, tenantID)}
}

func errInvalidSecret(clientID string) *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
		"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)}
}

func errExpiredSecret(clientID string) *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 7000222, fmt.Sprintf(
		"The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", clientID)}
}

func errNoCredential() *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 7000218,
		"The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

func errBadAssertion(reason string) *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 700027, reason}
}

func errFederatedSubject(subject string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 700213, fmt.Sprintf(
		"No matching federated identity record found for presented assertion subject '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation", subject)}
}

func errAssertionTime() *aadError {
	return &aadError{http.StatusUnauthorized, "invalid_client", 700024,
		"Client assertion is not within its valid time range."}
}

func errConsent(clientID string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", 65001, fmt.Sprintf(
		"The user or administrator has not consented to use the application with ID '%s'. Send an interactive authorization request for this user and resource.", clientID)}
}

func errCodeExpired() *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", 70008,
		"The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
}

func errRefreshInactive(issued time.Time, inactive time.Duration) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", 700082, fmt.Sprintf(
		"The refresh token has expired due to inactivity. The token was issued on %s and was inactive for %s.",
		issued.UTC().Format("2006-01-02T15:04:05.0000000Z"), inactive.Round(time.Second))}
}

func errCodeRedeemed() *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", 54005,
		"OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
}

func errRevokedGrant() *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", 50173,
		"The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on a later refresh of this session."}
}

func errMalformedGrant(param string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", 9002313,
		fmt.Sprintf("Invalid request. Request is malformed or invalid. The provided value for the '%s' parameter is not valid.", param)}
}

func errRedirectMismatch() *aadError {
	return &aadError{http.StatusBadRequest, "invalid_grant", 500112,
		"The reply address does not match the reply address that was provided when requesting the authorization code."}
}

func errMissingParam(name string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_request", 900144,
		fmt.Sprintf("The request body must contain the following parameter: '%s'.", name)}
}

func errUnsupportedGrant(grant string) *aadError {
	return &aadError{http.StatusBadRequest, "unsupported_grant_type", 70003,
		fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant)}
}

func errInvalidScope(scope string) *aadError {
	return &aadError{http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf(
		"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)}
}

func errUnavailable() *aadError {
	return &aadError{http.StatusServiceUnavailable, "temporarily_unavailable", 50196,
		"The server is temporarily unavailable. Please try again later."}
}

// errorBody is Microsoft's token endpoint error JSON.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

func (s *Server) writeAADError(w http.ResponseWriter, r *http.Request, e *aadError) {
	now := s.cfg.Now().UTC()
	traceID := uuid.NewString()
	correlationID := r.Header.Get("client-request-id")
	if correlationID == "" {
		correlationID = uuid.NewString()
	}
	ts := now.Format("2006-01-02 15:04:05Z")
	body := errorBody{
		Error: e.oauth,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			e.code, e.text, traceID, correlationID, ts),
		ErrorCodes:    []int{e.code},
		Timestamp:     ts,
		TraceID:       traceID,
		CorrelationID: correlationID,
		ErrorURI:      strings.TrimSuffix(s.issuerBase(), "/") + fmt.Sprintf("/error?code=%d", e.code),
	}
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
