package reporting

import (
	"fmt"
	"net/url"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/rowdecode"
)

var schema = &rowdecode.Schema{
	Lookup:  lookup,
	Lenient: true,
	Names: [...]string{
		rowdecode.FieldUnknown:      "",
		rowdecode.FieldID:           "MessageTraceId",
		rowdecode.FieldMessageID:    "MessageId",
		rowdecode.FieldReceived:     "Received",
		rowdecode.FieldSender:       "SenderAddress",
		rowdecode.FieldRecipient:    "RecipientAddress",
		rowdecode.FieldSubject:      "Subject",
		rowdecode.FieldStatus:       "Status",
		rowdecode.FieldFromIP:       "FromIP",
		rowdecode.FieldToIP:         "ToIP",
		rowdecode.FieldSize:         "Size",
		rowdecode.FieldOrganization: "Organization",
		rowdecode.FieldStartDate:    "StartDate",
		rowdecode.FieldEndDate:      "EndDate",
		rowdecode.FieldIndex:        "Index",
	},
}

func lookup(key []byte) rowdecode.Field {
	switch string(key) {
	case "MessageTraceId":
		return rowdecode.FieldID
	case "MessageId":
		return rowdecode.FieldMessageID
	case "Received":
		return rowdecode.FieldReceived
	case "SenderAddress":
		return rowdecode.FieldSender
	case "RecipientAddress":
		return rowdecode.FieldRecipient
	case "Subject":
		return rowdecode.FieldSubject
	case "Status":
		return rowdecode.FieldStatus
	case "FromIP":
		return rowdecode.FieldFromIP
	case "ToIP":
		return rowdecode.FieldToIP
	case "Size":
		return rowdecode.FieldSize
	case "Organization":
		return rowdecode.FieldOrganization
	case "StartDate":
		return rowdecode.FieldStartDate
	case "EndDate":
		return rowdecode.FieldEndDate
	case "Index":
		return rowdecode.FieldIndex
	}
	return rowdecode.FieldUnknown
}

// pageDecoder decodes the pages of one range query in either OData shape:
// minimal {"odata.metadata":..,"value":[..],"odata.nextLink":".."} and
// verbose {"d":{"results":[..],"__next":".."}} (or {"d":[..]}).
type pageDecoder struct {
	pages rowdecode.PageReader
}

func newPageDecoder(r msgtrace.Range, pageSize int) *pageDecoder {
	return &pageDecoder{pages: rowdecode.NewPageReader(schema, r, pageSize)}
}

func (d *pageDecoder) Decode(body []byte, reqURL *url.URL) (*msgtrace.Page, error) {
	p := &d.pages
	page, err := p.Read(body, func(key []byte) error {
		switch string(key) {
		case "value":
			return p.Rows(false)
		case "odata.nextLink":
			return p.Scanner().StringOrSkip(&p.Link)
		case "d":
			return d.verbose()
		case "odata.error", "error", "ErrorCode", "Message":
			p.SawError = true
		}
		return p.Scanner().Skip()
	})
	if err != nil {
		return nil, err
	}
	if !p.SawRows {
		return nil, missingRows(body, p.SawError)
	}
	if p.Link != "" {
		// The minimal shape's link is relative
		// ("../../reportingwebservice/reporting.svc/MessageTrace?..."):
		// it resolves against the request that returned it.
		if page.NextLink, err = fetch.ResolveLink(p.Link, reqURL); err != nil {
			return nil, &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: 200,
				Message: fmt.Sprintf("The Reporting Web Service returned a nextLink that is not a URL (%s)", logsafe.Quote(fetch.ShortURL(p.Link))), Err: err}
		}
	}
	p.Accept()
	return page, nil
}

// verbose reads the value of "d": an object with "results" and "__next",
// or (OData v1) the array of rows itself.
func (d *pageDecoder) verbose() error {
	p := &d.pages
	s := p.Scanner()
	if s.Peek() == '[' {
		return p.Rows(true)
	}
	if s.Peek() != '{' {
		return s.Skip()
	}
	return s.Members(func(key []byte) error {
		switch string(key) {
		case "results":
			return p.Rows(true)
		case "__next":
			return s.StringOrSkip(&p.Link)
		}
		return s.Skip()
	})
}

func missingRows(body []byte, sawError bool) error {
	if sawError {
		eb := fetch.ParseErrorBody(body)
		return &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: 200, Code: eb.Code,
			Message: fmt.Sprintf("The Reporting Web Service answered HTTP 200 with an error (%s)", logsafe.Quote(eb.Message))}
	}
	return &msgtrace.APIError{Kind: msgtrace.KindTransient, StatusCode: 200,
		Message: "The Reporting Web Service answered HTTP 200 with JSON that holds no rows (neither \"value\" nor \"d\")"}
}
