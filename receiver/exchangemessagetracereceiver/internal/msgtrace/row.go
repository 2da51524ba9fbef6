// Package msgtrace holds the types both API clients produce and the receiver
// consumes: one row per message and recipient, pages of rows, and the
// classified API errors that tell the receiver (and the operator) what to do.
package msgtrace

import (
	"context"
	"time"
)

// API names which Microsoft API a row came from; it decides the field names
// the row's JSON carries.
type API int

const (
	APIGraph     API = iota // Microsoft Graph messageTraces (camelCase fields)
	APIReporting            // legacy Reporting Web Service MessageTrace (PascalCase fields)
)

// Row is one message trace row: one message and one recipient. Both APIs
// decode into it so that dedup, windows and mapping are written once.
// A Row is lent with its Page (see Page for how long); its strings are
// immutable copies that may be kept for ever, its Raw may not.
type Row struct {
	// ID is Graph's id or the legacy MessageTraceId. Not unique alone:
	// (ID, RecipientAddress) is the row key.
	ID               string
	MessageID        string
	Received         time.Time // UTC
	SenderAddress    string
	RecipientAddress string
	Subject          string
	// Status as the API wrote it (Graph: "delivered", legacy: "Delivered").
	Status string
	FromIP string
	ToIP   string
	Size   int64

	// Legacy only.
	Organization string
	StartDate    time.Time
	EndDate      time.Time
	Index        int64

	// ReceivedText, StartDateText and EndDateText are the times exactly as
	// the API wrote them (legacy "Received" has 7 fractional digits and no
	// zone): bodies repeat them verbatim so both body formats agree.
	ReceivedText  string
	StartDateText string
	EndDateText   string

	// Nulls marks the fields the API sent as JSON null (not merely empty).
	Nulls FieldSet

	// Raw is the row's JSON object exactly as the API sent it (nil for
	// the legacy verbose shape). It backs the `body_format: json` mode
	// without re-encoding. It aliases the response body, a pooled buffer
	// that the next response overwrites: it is valid only until the onPage
	// call that delivered its page returns. Copy the bytes to keep them.
	Raw []byte
}

// Page is one response of the API: its decoded rows, in the API's order.
// A Source lends each page to onPage, and it ends when onPage returns:
//   - Rows, the array and the Row structs in it, are reused for the next
//     page of the range (the decoder keeps one array per range query);
//   - each Row's Raw aliases the response body, which goes back to a pool;
//   - the Rows' strings, NextLink and MalformedErrors are not reused: they
//     may be kept.
//
// Whoever keeps a row past onPage copies the Row struct and, if it needs
// Raw, the Raw bytes. (The receiver keeps neither: it maps each row into
// pdata, which copies Raw, and records the row's key, made of strings.)
type Page struct {
	Rows []Row
	// NextLink is the absolute URL of the next page, empty on the last one.
	NextLink string
	// Malformed counts rows the decoder skipped; MalformedErrors says why
	// (at most a few, for the log).
	Malformed       int
	MalformedErrors []error
}

// Range is a time range to query; both bounds are inclusive, as in both APIs.
type Range struct {
	Start time.Time
	End   time.Time
}

// Source fetches the rows of one range page by page. Implementations own
// paging, throttling (request budget, Retry-After) and retries of transient
// failures; they return a *APIError (possibly wrapped) when they give up.
type Source interface {
	// FetchPages queries r, starting from resumeLink when it is not empty
	// (a NextLink saved by an earlier, interrupted fetch of the same range),
	// and calls onPage for each page in order. The page is valid only until
	// onPage returns (see Page). An error from onPage stops the fetch and is
	// returned as is.
	FetchPages(ctx context.Context, r Range, resumeLink string, onPage func(*Page) error) error
	// API tells which field names the rows' Raw JSON uses.
	API() API
}

// FieldSet is a set of row fields, one bit each.
type FieldSet uint16

// Field bits, in the legacy report's column order.
const (
	FieldOrganization FieldSet = 1 << iota
	FieldMessageID
	FieldReceived
	FieldSenderAddress
	FieldRecipientAddress
	FieldSubject
	FieldStatus
	FieldToIP
	FieldFromIP
	FieldSize
	FieldID // Graph id, legacy MessageTraceId
	FieldStartDate
	FieldEndDate
	FieldIndex
)

// Has reports whether f is in s.
func (s FieldSet) Has(f FieldSet) bool { return s&f != 0 }
