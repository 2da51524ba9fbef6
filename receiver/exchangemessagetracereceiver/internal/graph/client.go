// Package graph reads message trace rows from Microsoft Graph
// (GET /admin/exchange/tracing/messageTraces).
package graph

import (
	"net/http"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
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
type Config = fetch.ClientConfig

// Client implements msgtrace.Source over Microsoft Graph. Rows get
// StartDate/EndDate from the range and Index from their position in the
// query (0-based across pages; a resumed query counts from the resume point,
// as Graph's skiptoken does not tell the offset).
type Client = fetch.RangeClient

// api is what is Graph's own.
var api = fetch.API{
	Kind:            msgtrace.APIGraph,
	Service:         "Microsoft Graph",
	DefaultBaseURL:  DefaultBaseURL,
	Path:            Path,
	DefaultPageSize: DefaultPageSize,
	MaxPageSize:     MaxPageSize,
	// Both bounds inclusive, UTC, with fractional seconds when the range has them.
	Query: func(r msgtrace.Range) string {
		return "$filter=" + fetch.QueryEscape("receivedDateTime ge "+r.Start.UTC().Format(rowdecode.ISOLayout)+
			" and receivedDateTime le "+r.End.UTC().Format(rowdecode.ISOLayout))
	},
	NewDecoder: func(r msgtrace.Range, pageSize int) fetch.PageDecoder { return newPageDecoder(r, pageSize) },
	Classify:   classifier,
	// Without it Graph writes "unknownFutureValue" for the statuses added
	// to the enum after it (recalled): an analyst needs the real one.
	Header: http.Header{"Prefer": {"include-unknown-enum-members"}},
}

// New returns a Graph client.
func New(cfg Config) (*Client, error) { return fetch.NewRangeClient(api, cfg) }
