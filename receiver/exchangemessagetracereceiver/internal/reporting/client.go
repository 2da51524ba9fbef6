// Package reporting reads message trace rows from the legacy Office 365 Reporting
// Web Service (GET .../reporting.svc/MessageTrace), which Microsoft is
// retiring but some tenants and clouds still depend on.
package reporting

import (
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
)

// DefaultBaseURL is the service's endpoint in the global cloud.
const DefaultBaseURL = "https://reports.office365.com/ecp/reportingwebservice/reporting.svc"

// Path is appended to the base URL.
const Path = "/MessageTrace"

// DefaultPageSize is the $top sent when none is configured.
const DefaultPageSize = 1000

// Config configures a Client.
type Config = fetch.ClientConfig

// Client implements msgtrace.Source over the Reporting Web Service. The
// service pages by row offset and fails past a million rows a query (see
// failingSkipToken): the receiver's legacy max_window (1h unless set) keeps a range
// far below that.
type Client = fetch.RangeClient

// api is what is the legacy report's own.
var api = fetch.API{
	Kind:            msgtrace.APIReporting,
	Service:         "The Reporting Web Service",
	DefaultBaseURL:  DefaultBaseURL,
	Path:            Path,
	DefaultPageSize: DefaultPageSize,
	Query: func(r msgtrace.Range) string {
		return "$filter=" + fetch.QueryEscape("StartDate eq datetime'"+r.Start.UTC().Format(rowdecode.ISOLayout)+
			"' and EndDate eq datetime'"+r.End.UTC().Format(rowdecode.ISOLayout)+"'") + "&$format=json"
	},
	NewDecoder: func(r msgtrace.Range, pageSize int) fetch.PageDecoder { return newPageDecoder(r, pageSize) },
	Classify:   classifier,
}

// New returns a legacy report client.
func New(cfg Config) (*Client, error) { return fetch.NewRangeClient(api, cfg) }
