// Package graph reads message trace rows from Microsoft Graph
// (GET /admin/exchange/tracing/messageTraces).
package graph

import (
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/apiclient"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/trace"
	"net/http"
)

// DefaultBaseURL is Graph's v1.0 endpoint in the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Path is appended to the base URL.
const Path = "/admin/exchange/tracing/messageTraces"

// Page size bounds: Graph accepts $top 1..5000 and defaults to 1000.
const (
	DefaultPageSize = 1000
	MaxPageSize     = 5000
)

// Config configures a Client.
type Config = apiclient.ClientConfig

// Client implements trace.Source over Microsoft Graph. Rows get
// StartDate/EndDate from the range and Index from their position in the
// query (0-based across pages; a resumed query counts from the resume point,
// as Graph's skiptoken does not tell the offset).
type Client = apiclient.RangeClient

// api is what is Graph's own.
var api = apiclient.API{
	Kind:            trace.APIGraph,
	Service:         "Microsoft Graph",
	DefaultBaseURL:  DefaultBaseURL,
	Path:            Path,
	DefaultPageSize: DefaultPageSize,
	MaxPageSize:     MaxPageSize,
	// Both bounds inclusive, UTC, with fractional seconds when the range has them.
	Query: func(r trace.Range) string {
		return "$filter=" + apiclient.QueryEscape("receivedDateTime ge "+r.Start.UTC().Format(apiclient.ISOLayout)+
			" and receivedDateTime le "+r.End.UTC().Format(apiclient.ISOLayout))
	},
	NewDecoder: func(r trace.Range, pageSize int) apiclient.PageDecoder { return newPageDecoder(r, pageSize) },
	Classify:   classifier,
	// Without it Graph writes "unknownFutureValue" for the statuses added
	// to the enum after it (recalled): an analyst needs the real one.
	Header: http.Header{"Prefer": {"include-unknown-enum-members"}},
}

// New returns a Graph client.
func New(cfg Config) *Client { return apiclient.NewRangeClient(api, cfg) }
