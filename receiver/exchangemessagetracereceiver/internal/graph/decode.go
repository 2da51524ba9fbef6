package graph

import (
	"fmt"
	"net/url"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
)

var schema = &rowdecode.Schema{
	Lookup: lookup,
	Names: [...]string{
		rowdecode.FieldID:        "id",
		rowdecode.FieldMessageID: "messageId",
		rowdecode.FieldReceived:  "receivedDateTime",
		rowdecode.FieldSender:    "senderAddress",
		rowdecode.FieldRecipient: "recipientAddress",
		rowdecode.FieldSubject:   "subject",
		rowdecode.FieldStatus:    "status",
		rowdecode.FieldFromIP:    "fromIP",
		rowdecode.FieldToIP:      "toIP",
		rowdecode.FieldSize:      "size",
		// Graph rows have none of these; names only for completeness.
		rowdecode.FieldOrganization: "organization",
		rowdecode.FieldStartDate:    "startDate",
		rowdecode.FieldEndDate:      "endDate",
		rowdecode.FieldIndex:        "index",
		rowdecode.FieldUnknown:      "",
	},
}

func lookup(key []byte) rowdecode.Field {
	switch string(key) {
	case "id":
		return rowdecode.FieldID
	case "messageId":
		return rowdecode.FieldMessageID
	case "receivedDateTime":
		return rowdecode.FieldReceived
	case "senderAddress":
		return rowdecode.FieldSender
	case "recipientAddress":
		return rowdecode.FieldRecipient
	case "subject":
		return rowdecode.FieldSubject
	case "status":
		return rowdecode.FieldStatus
	case "fromIP":
		return rowdecode.FieldFromIP
	case "toIP":
		return rowdecode.FieldToIP
	case "size":
		return rowdecode.FieldSize
	}
	return rowdecode.FieldUnknown
}

// pageDecoder decodes the pages of one range query; it numbers rows across
// pages.
type pageDecoder struct {
	pages rowdecode.PageReader
}

func newPageDecoder(r msgtrace.Range, pageSize int) *pageDecoder {
	return &pageDecoder{pages: rowdecode.NewPageReader(schema, r, pageSize)}
}

// Decode reads {"@odata.context":..,"value":[rows],"@odata.nextLink":".."}
// with the members in any order.
func (d *pageDecoder) Decode(body []byte, _ *url.URL) (*msgtrace.Page, error) {
	p := &d.pages
	page, err := p.Read(body, func(key []byte) error {
		switch string(key) {
		case "value":
			return p.Rows(false)
		case "@odata.nextLink":
			return p.Scanner().StringOrSkip(&p.Link)
		case "error":
			p.SawError = true
		}
		return p.Scanner().Skip()
	})
	if err != nil {
		return nil, err
	}
	if !p.SawRows {
		return nil, missingValue(body, p.SawError)
	}
	if p.Link != "" {
		page.NextLink = fetch.SanitizeLink(p.Link)
	}
	p.Accept()
	return page, nil
}

func missingValue(body []byte, sawError bool) error {
	if sawError {
		eb := fetch.ParseErrorBody(body)
		return &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: 200, Code: eb.Code,
			Message: fmt.Sprintf("Microsoft Graph answered HTTP 200 with an error (%s: %s)", eb.Code, logsafe.Quote(eb.Message))}
	}
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: 200,
		Message: "Microsoft Graph answered HTTP 200 with JSON that holds no \"value\" array of rows"}
}
