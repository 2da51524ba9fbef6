package reporting

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// Permission is the application permission the app needs (API "Office 365
// Exchange Online"), besides the Global Reader role.
const Permission = "ReportingWebService.Read.All"

// classifier returns the Classifier of Reporting Web Service responses.
func classifier(clientID string) fetch.Classifier {
	app := "App " + clientID
	if clientID == "" {
		app = "The app"
	}
	return func(r *fetch.Response) *msgtrace.APIError {
		eb := fetch.ErrorOf(r)
		said := fetch.Said(r.StatusCode, eb)
		e := &msgtrace.APIError{StatusCode: r.StatusCode, Code: eb.Code}
		switch {
		case r.StatusCode == http.StatusUnauthorized:
			e.Kind = msgtrace.KindAuth
			e.Message = fmt.Sprintf("The Reporting Web Service refused the access token (%s): check that the token is for https://outlook.office365.com (its resource/audience) and for this tenant, and that the app's credentials are current", said)
		case r.StatusCode == http.StatusForbidden:
			e.Kind = msgtrace.KindPermission
			e.Message = fmt.Sprintf("%s (or the signed-in user) may not read the message trace report (%s): grant the application permission %s (Office 365 Exchange Online) with admin consent, and assign the app's service principal (or the user) the Global Reader role in Microsoft Entra ID",
				app, said, Permission)
		case r.StatusCode == http.StatusBadRequest && r.IsLink:
			e.Kind = msgtrace.KindBadSkipToken
			e.Message = fmt.Sprintf("The Reporting Web Service rejected its own nextLink (%s); the range is restarted from its first page", said)
		case r.StatusCode == http.StatusBadRequest:
			e.Kind = msgtrace.KindBadRequest
			e.Message = fmt.Sprintf("The Reporting Web Service rejected the MessageTrace query (%s); a query window must lie within the last 10 days (30 documented)", said)
		case r.StatusCode == http.StatusRequestTimeout || r.StatusCode >= 500:
			e.Kind = msgtrace.KindTransient
			e.Message = fmt.Sprintf("The Reporting Web Service failed (%s)", said)
			if skip := skipToken(r.URL); skip >= failingSkipToken {
				e.Message += fmt.Sprintf("; it fails at row offsets from %d on (this request was at row %d): the query window must be split so that it holds fewer rows (lower max_window)", failingSkipToken, skip)
			}
		case r.StatusCode == http.StatusNotFound:
			e.Kind = msgtrace.KindBadRequest
			e.Message = fmt.Sprintf("The Reporting Web Service has no MessageTrace report at %s (%s): check the base URL (e.g. %s)", r.URL.Path, said, DefaultBaseURL)
		default:
			e.Kind = msgtrace.KindBadRequest
			e.Message = fmt.Sprintf("The Reporting Web Service answered unexpectedly (%s)", said)
		}
		return e
	}
}

// failingSkipToken is the row offset at which the service is reported to
// answer every request with HTTP 500: its $skiptoken is a row offset, and
// the only remedy is a range with fewer rows. The receiver does not split
// ranges on it (a smaller max_window does); it only says so.
const failingSkipToken = 999999

// skipToken is the numeric row offset of a legacy link, or -1.
func skipToken(u *url.URL) int64 {
	if u == nil {
		return -1
	}
	v := u.Query().Get("$skiptoken")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return -1
	}
	return n
}
