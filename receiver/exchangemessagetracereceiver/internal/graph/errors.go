package graph

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// MessageTraceAppID is Microsoft's first-party app behind message trace in
// Graph. Each tenant needs a service principal for it before the API works.
const MessageTraceAppID = "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373"

// Permission is the Graph permission the app needs.
const Permission = "ExchangeMessageTrace.Read.All"

// classifier returns the Classifier of Graph error responses.
func classifier(clientID string) fetch.Classifier {
	app := "app " + clientID
	if clientID == "" {
		app = "the app"
	}
	return func(r *fetch.Response) *msgtrace.APIError {
		eb := fetch.ErrorOf(r)
		said := fetch.Said(r.StatusCode, eb)
		e := &msgtrace.APIError{StatusCode: r.StatusCode, Code: eb.Code}
		switch {
		case r.StatusCode == http.StatusUnauthorized && servicePrincipalMissing(r.Body):
			// A setup step of the tenant, like a permission: a fresh token
			// cannot help, so the loop does not spend a second request.
			e.Kind = msgtrace.KindPermission
			e.Message = "Exchange Online has no service principal for Microsoft's message trace app " + MessageTraceAppID +
				" in this tenant: run `New-MgServicePrincipal -AppId " + MessageTraceAppID + "` (Microsoft Graph PowerShell) or `az ad sp create --id " +
				MessageTraceAppID + "`, then allow a few hours for provisioning (" + said + ")"
		case r.StatusCode == http.StatusUnauthorized:
			e.Kind = msgtrace.KindAuth
			e.Message = fmt.Sprintf("Microsoft Graph refused the access token (%s): check that the token is for https://graph.microsoft.com (its audience) and for this tenant, and that the app's credentials are current", said)
		case r.StatusCode == http.StatusForbidden:
			e.Kind = msgtrace.KindPermission
			e.Message = fmt.Sprintf("%s lacks the application permission %s or admin consent for it: add it under API permissions > Microsoft Graph > Application permissions and click Grant admin consent (%s)",
				app, Permission, said)
		case r.StatusCode == http.StatusBadRequest && r.IsLink:
			e.Kind = msgtrace.KindBadSkipToken
			e.Message = fmt.Sprintf("Microsoft Graph rejected its own nextLink (%s); this is a known defect of the service: the range is restarted from its first page", said)
		case r.StatusCode == http.StatusBadRequest:
			e.Kind = msgtrace.KindBadRequest
			e.Message = fmt.Sprintf("Microsoft Graph rejected the message trace query (%s); a query window must be at most 10 days long, start within the last 90 days and not end in the future", said)
		case r.StatusCode == http.StatusRequestTimeout || r.StatusCode >= 500:
			e.Kind = msgtrace.KindTransient
			e.Message = fmt.Sprintf("Microsoft Graph failed (%s)", said)
		case r.StatusCode == http.StatusNotFound:
			e.Kind = msgtrace.KindBadRequest
			e.Message = fmt.Sprintf("Microsoft Graph has no message trace endpoint at %s (%s): check the base URL (e.g. %s) and that message trace is available in this cloud",
				r.URL.Path, said, DefaultBaseURL)
		default:
			e.Kind = msgtrace.KindBadRequest
			e.Message = fmt.Sprintf("Microsoft Graph answered unexpectedly (%s)", said)
		}
		return e
	}
}

func servicePrincipalMissing(body []byte) bool {
	s := strings.ToLower(string(body))
	return strings.Contains(s, "service principal-less") || strings.Contains(s, MessageTraceAppID)
}
