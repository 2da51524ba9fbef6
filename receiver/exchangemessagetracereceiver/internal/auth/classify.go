package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// endpointError is the token endpoint's error JSON.
type endpointError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

// classify turns an azidentity failure into a *msgtrace.APIError. What the
// guard saw comes first: azidentity keeps no error chain, and reports a
// refused redirect, a body over the cap or a 200 page that is no token
// response as a failure without a response.
func classify(ctx context.Context, err error, s Settings, redact []string) error {
	if ctx.Err() == nil && s.guard != nil {
		if refusal := s.guard.refused(); refusal != nil {
			return refusal
		}
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		body, _ := runtime.Payload(afe.RawResponse)
		return classifyResponse(afe.RawResponse.StatusCode, afe.RawResponse.Header, body, s, redact)
	}
	if ctx.Err() == nil && s.guard != nil {
		if unreadable := s.guard.unreadable(); unreadable != nil {
			unreadable.Err = libraryReason(err, redact)
			return unreadable
		}
	}
	return transportError(ctx, err, redact)
}

// libraryReason is the first line of the identity library's error: its
// reason, without the body it appends after it ("raw message was: ..."),
// which may be a whole page.
func libraryReason(err error, redact []string) error {
	text, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(logsafe.Truncate(logsafe.RedactValues(text, redact...), 300))
}

// transportError is a failure without a response: connection refused,
// TLS, timeout, cancellation, or a credential that cannot start (no managed
// identity endpoint here, unreadable token file).
func transportError(ctx context.Context, err error, redact []string) error {
	var own *msgtrace.APIError
	if errors.As(err, &own) && ctx.Err() == nil {
		return own // the guard's refusal, through http.Client's *url.Error
	}
	if ctx.Err() != nil {
		return &msgtrace.APIError{Kind: msgtrace.KindTransient, Message: "token request canceled", Err: ctx.Err()}
	}
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, Message: "token endpoint unreachable: check network, proxy and TLS settings; retrying",
		Err: scrubbed(err, redact)}
}

// classifyResponse reads an error answer of the token endpoint.
func classifyResponse(status int, header http.Header, body []byte, s Settings, redact []string) error {
	if s.ManagedIdentity && status != http.StatusTooManyRequests && status < 500 {
		return managedIdentityRefused(status, body, s, redact)
	}
	var ee endpointError
	_ = json.Unmarshal(body, &ee)
	detail := firstSentence(ee.Description)
	if detail == "" {
		detail = http.StatusText(status)
	}
	under := scrubbed(fmt.Errorf("token endpoint answered %d %s: %s", status, ee.Error, detail), redact)
	switch {
	case status == http.StatusTooManyRequests:
		return &msgtrace.APIError{Kind: msgtrace.KindThrottled, StatusCode: status, Message: "token endpoint throttled the collector",
			RetryAfter: retryAfter(header), Err: under}
	case status >= 500:
		return &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: status,
			Message: "token endpoint unavailable; retrying", RetryAfter: retryAfter(header), Err: under}
	}
	code := 0
	if len(ee.Codes) > 0 {
		code = ee.Codes[0]
	}
	kind := msgtrace.KindAuth
	if code == 65001 {
		// Consent is a permission the tenant's administrator grants, as
		// msgtrace.KindPermission describes; the credential itself is fine.
		kind = msgtrace.KindPermission
	}
	e := &msgtrace.APIError{Kind: kind, StatusCode: status, Message: operatorMessage(code, s), Err: under}
	if code != 0 {
		e.Code = "AADSTS" + strconv.Itoa(code)
	}
	return e
}

// managedIdentityRefused reads an error answer of the host's managed
// identity endpoint (App Service's {"message"}, IMDS's and Cloud Shell's
// {"error_description"}): mostly an identity not attached to the resource.
func managedIdentityRefused(status int, body []byte, s Settings, redact []string) error {
	var mi struct {
		Message     string `json:"message"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &mi)
	detail := firstSentence(mi.Message + mi.Description)
	if detail == "" {
		detail = http.StatusText(status)
	}
	msg := "the managed identity endpoint refused the system-assigned identity: enable it on this Azure resource, or set managed_identity.client_id to a user-assigned identity attached to it"
	if s.ManagedIdentityClientID != "" {
		msg = fmt.Sprintf("the managed identity endpoint refused managed_identity.client_id %s: set it to the client ID of a user-assigned identity attached to this Azure resource, or leave it empty for the system-assigned identity", s.ManagedIdentityClientID)
	}
	return &msgtrace.APIError{Kind: msgtrace.KindAuth, StatusCode: status, Message: msg,
		Err: scrubbed(fmt.Errorf("managed identity endpoint answered %d: %s", status, detail), redact)}
}

// operatorMessage says what an AADSTS code means and what to do about it.
func operatorMessage(code int, s Settings) string {
	newCode := "generate a new authorization code by opening " + s.authorizeURL() +
		" (sign in as an account with the required role, copy the code parameter of the page you land on) and set authorization_code"
	switch code {
	case 7000215:
		return "AADSTS7000215 invalid client secret: use the secret's Value, not its Secret ID, in client_secret"
	case 7000222:
		return "AADSTS7000222 client secret expired: create a new one in the app registration's Certificates & secrets and update client_secret"
	case 7000218:
		return "AADSTS7000218 no client credential sent: set client_secret or certificate.path"
	case 700016, 7000229:
		// A multi-tenant app is "not found" in a customer tenant whose
		// administrator has not consented yet: consent creates it there.
		return fmt.Sprintf("AADSTS%d application %s has no service principal in tenant %s: if it is a customer tenant of a multi-tenant app, its administrator must grant admin consent at %s; otherwise check client_id and tenant_id (and authority_host for national clouds)",
			code, s.ClientID, s.TenantID, s.adminConsentURL())
	case 90002:
		return fmt.Sprintf("AADSTS90002 tenant %s not found: check tenant_id and that authority_host is the tenant's cloud", s.TenantID)
	case 65001:
		return fmt.Sprintf("AADSTS65001 admin consent missing in tenant %s: an administrator must grant admin consent for the app's API permissions (ExchangeMessageTrace.Read.All for Graph, ReportingWebService.Read(.All) for the legacy report) at %s",
			s.TenantID, s.adminConsentURL())
	case 700027:
		return "AADSTS700027 certificate not registered or bad client assertion: upload this certificate's public part to the app registration's Certificates & secrets, and check the certificate matches client_id"
	case 700024:
		return "AADSTS700024 client assertion outside its valid time range: check the collector host's clock"
	case 70008, 700082:
		return fmt.Sprintf("AADSTS%d authorization code or refresh token expired: %s", code, newCode)
	case 54005:
		return "AADSTS54005 authorization code already redeemed: " + newCode
	case 50173, 9002313, 70000:
		return fmt.Sprintf("AADSTS%d refresh token or authorization code refused (revoked, replaced or malformed): %s", code, newCode)
	case 500112, 50011:
		return fmt.Sprintf("AADSTS%d redirect URI mismatch: set redirect_uri to the one used when generating the code (%s) and registered on the app", code, s.RedirectURI)
	case 0:
		return "token request refused: check tenant_id, client_id and the credential"
	}
	return fmt.Sprintf("AADSTS%d token request refused: see https://login.microsoftonline.com/error?code=%d", code, code)
}

func firstSentence(desc string) string {
	// Microsoft appends "Trace ID: ... Correlation ID: ... Timestamp: ..."; keep the reason.
	if i := strings.Index(desc, " Trace ID:"); i >= 0 {
		desc = desc[:i]
	}
	if i := strings.IndexAny(desc, "\r\n"); i >= 0 {
		desc = desc[:i]
	}
	return strings.TrimSpace(desc)
}

// retryAfter is the token endpoint's Retry-After, or 0 (the request
// loop's own backoff) when it sent none.
func retryAfter(h http.Header) time.Duration {
	if d, ok := msgtrace.RetryAfterHeader(h, time.Now()); ok && d > 0 {
		return d
	}
	return 0
}

// scrubbed returns err with every secret value and anything that looks
// like a token redacted, so it can be logged and shown to operators.
func scrubbed(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	return errors.New(logsafe.RedactValues(err.Error(), secrets...))
}
