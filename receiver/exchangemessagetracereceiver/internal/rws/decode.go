package rws

import (
	"fmt"
	"net/url"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/apiclient"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/trace"
)

var schema = &apiclient.Schema{
	Lookup:  lookup,
	Lenient: true,
	Names: [...]string{
		apiclient.FieldUnknown:      "",
		apiclient.FieldID:           "MessageTraceId",
		apiclient.FieldMessageID:    "MessageId",
		apiclient.FieldReceived:     "Received",
		apiclient.FieldSender:       "SenderAddress",
		apiclient.FieldRecipient:    "RecipientAddress",
		apiclient.FieldSubject:      "Subject",
		apiclient.FieldStatus:       "Status",
		apiclient.FieldFromIP:       "FromIP",
		apiclient.FieldToIP:         "ToIP",
		apiclient.FieldSize:         "Size",
		apiclient.FieldOrganization: "Organization",
		apiclient.FieldStartDate:    "StartDate",
		apiclient.FieldEndDate:      "EndDate",
		apiclient.FieldIndex:        "Index",
	},
}

func lookup(key []byte) apiclient.Field {
	switch string(key) {
	case "MessageTraceId":
		return apiclient.FieldID
	case "MessageId":
		return apiclient.FieldMessageID
	case "Received":
		return apiclient.FieldReceived
	case "SenderAddress":
		return apiclient.FieldSender
	case "RecipientAddress":
		return apiclient.FieldRecipient
	case "Subject":
		return apiclient.FieldSubject
	case "Status":
		return apiclient.FieldStatus
	case "FromIP":
		return apiclient.FieldFromIP
	case "ToIP":
		return apiclient.FieldToIP
	case "Size":
		return apiclient.FieldSize
	case "Organization":
		return apiclient.FieldOrganization
	case "StartDate":
		return apiclient.FieldStartDate
	case "EndDate":
		return apiclient.FieldEndDate
	case "Index":
		return apiclient.FieldIndex
	}
	return apiclient.FieldUnknown
}

// pageDecoder decodes the pages of one range query in either OData shape:
// minimal {"odata.metadata":..,"value":[..],"odata.nextLink":".."} and
// verbose {"d":{"results":[..],"__next":".."}} (or {"d":[..]}).
type pageDecoder struct {
	rows     *apiclient.RowDecoder
	next     int64
	pageSize int
	scanner  apiclient.Scanner
}

func newPageDecoder(r trace.Range, pageSize int) *pageDecoder {
	return &pageDecoder{rows: apiclient.NewRowDecoder(schema, r), pageSize: pageSize}
}

// pageParts is what a page held besides its rows.
type pageParts struct {
	link     string
	sawRows  bool
	sawError bool
}

func (d *pageDecoder) Decode(body []byte, reqURL *url.URL) (*trace.Page, error) {
	s := &d.scanner
	s.Reset(body)
	if s.Peek() != '{' {
		return nil, apiclient.ErrNotObject
	}
	page := d.rows.NewPage(len(body), d.pageSize)
	pos := d.next
	var parts pageParts
	err := s.Members(func(key []byte) error {
		switch string(key) {
		case "value":
			parts.sawRows = true
			return d.rows.DecodeRows(s, page, &pos, false)
		case "odata.nextLink":
			return s.StringOrSkip(&parts.link)
		case "d":
			return d.verbose(s, page, &pos, &parts)
		case "odata.error", "error", "ErrorCode", "Message":
			parts.sawError = true
		}
		return s.Skip()
	})
	if err != nil {
		return nil, err
	}
	if !s.AtEnd() {
		return nil, fmt.Errorf("unexpected data after the JSON object at byte %d", s.Pos())
	}
	if !parts.sawRows {
		return nil, missingRows(body, parts.sawError)
	}
	if parts.link != "" {
		// The minimal shape's link is relative
		// ("../../reportingwebservice/reporting.svc/MessageTrace?..."):
		// it resolves against the request that returned it.
		if page.NextLink, err = apiclient.ResolveLink(parts.link, reqURL); err != nil {
			return nil, &trace.APIError{Kind: trace.KindTransient, StatusCode: 200,
				Message: fmt.Sprintf("The Reporting Web Service returned a nextLink that is not a URL (%s)", apiclient.Quote(apiclient.ShortURL(parts.link))), Err: err}
		}
	}
	d.next = pos
	return page, nil
}

// verbose reads the value of "d": an object with "results" and "__next",
// or (OData v1) the array of rows itself.
func (d *pageDecoder) verbose(s *apiclient.Scanner, page *trace.Page, pos *int64, parts *pageParts) error {
	if s.Peek() == '[' {
		parts.sawRows = true
		return d.rows.DecodeRows(s, page, pos, true)
	}
	if s.Peek() != '{' {
		return s.Skip()
	}
	return s.Members(func(key []byte) error {
		switch string(key) {
		case "results":
			parts.sawRows = true
			return d.rows.DecodeRows(s, page, pos, true)
		case "__next":
			return s.StringOrSkip(&parts.link)
		}
		return s.Skip()
	})
}

func missingRows(body []byte, sawError bool) error {
	if sawError {
		eb := apiclient.ParseErrorBody(body)
		return &trace.APIError{Kind: trace.KindTransient, StatusCode: 200, Code: eb.Code,
			Message: fmt.Sprintf("The Reporting Web Service answered HTTP 200 with an error (%s)", apiclient.Quote(eb.Message))}
	}
	return &trace.APIError{Kind: trace.KindTransient, StatusCode: 200,
		Message: "The Reporting Web Service answered HTTP 200 with JSON that holds no rows (neither \"value\" nor \"d\")"}
}
