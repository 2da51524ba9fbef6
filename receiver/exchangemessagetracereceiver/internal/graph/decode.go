package graph

import (
	"fmt"
	"net/url"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/apiclient"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/trace"
)

var schema = &apiclient.Schema{
	Lookup: lookup,
	Names: [...]string{
		apiclient.FieldID:        "id",
		apiclient.FieldMessageID: "messageId",
		apiclient.FieldReceived:  "receivedDateTime",
		apiclient.FieldSender:    "senderAddress",
		apiclient.FieldRecipient: "recipientAddress",
		apiclient.FieldSubject:   "subject",
		apiclient.FieldStatus:    "status",
		apiclient.FieldFromIP:    "fromIP",
		apiclient.FieldToIP:      "toIP",
		apiclient.FieldSize:      "size",
		// Graph rows have none of these; names only for completeness.
		apiclient.FieldOrganization: "organization",
		apiclient.FieldStartDate:    "startDate",
		apiclient.FieldEndDate:      "endDate",
		apiclient.FieldIndex:        "index",
		apiclient.FieldUnknown:      "",
	},
}

func lookup(key []byte) apiclient.Field {
	switch string(key) {
	case "id":
		return apiclient.FieldID
	case "messageId":
		return apiclient.FieldMessageID
	case "receivedDateTime":
		return apiclient.FieldReceived
	case "senderAddress":
		return apiclient.FieldSender
	case "recipientAddress":
		return apiclient.FieldRecipient
	case "subject":
		return apiclient.FieldSubject
	case "status":
		return apiclient.FieldStatus
	case "fromIP":
		return apiclient.FieldFromIP
	case "toIP":
		return apiclient.FieldToIP
	case "size":
		return apiclient.FieldSize
	}
	return apiclient.FieldUnknown
}

// pageDecoder decodes the pages of one range query; it numbers rows across
// pages.
type pageDecoder struct {
	rows     *apiclient.RowDecoder
	next     int64
	pageSize int
	scanner  apiclient.Scanner
}

func newPageDecoder(r trace.Range, pageSize int) *pageDecoder {
	return &pageDecoder{rows: apiclient.NewRowDecoder(schema, r), pageSize: pageSize}
}

// Decode reads {"@odata.context":..,"value":[rows],"@odata.nextLink":".."}
// with the members in any order.
func (d *pageDecoder) Decode(body []byte, _ *url.URL) (*trace.Page, error) {
	s := &d.scanner
	s.Reset(body)
	if s.Peek() != '{' {
		return nil, apiclient.ErrNotObject
	}
	page := d.rows.NewPage(len(body), d.pageSize)
	pos := d.next
	var sawValue, sawError bool
	var link string
	err := s.Members(func(key []byte) error {
		switch string(key) {
		case "value":
			sawValue = true
			return d.rows.DecodeRows(s, page, &pos, false)
		case "@odata.nextLink":
			return s.StringOrSkip(&link)
		case "error":
			sawError = true
		}
		return s.Skip()
	})
	if err != nil {
		return nil, err
	}
	if !s.AtEnd() {
		return nil, fmt.Errorf("unexpected data after the JSON object at byte %d", s.Pos())
	}
	if !sawValue {
		return nil, missingValue(body, sawError)
	}
	if link != "" {
		page.NextLink = apiclient.SanitizeLink(link)
	}
	d.next = pos
	return page, nil
}

func missingValue(body []byte, sawError bool) error {
	if sawError {
		eb := apiclient.ParseErrorBody(body)
		return &trace.APIError{Kind: trace.KindTransient, StatusCode: 200, Code: eb.Code,
			Message: fmt.Sprintf("Microsoft Graph answered HTTP 200 with an error (%s: %s)", eb.Code, apiclient.Quote(eb.Message))}
	}
	return &trace.APIError{Kind: trace.KindTransient, StatusCode: 200,
		Message: "Microsoft Graph answered HTTP 200 with JSON that holds no \"value\" array of rows"}
}
