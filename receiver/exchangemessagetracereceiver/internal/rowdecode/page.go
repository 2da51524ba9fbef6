package rowdecode

import (
	"fmt"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// PageReader reads the pages of one range query, each one JSON object.
// The API says what the object's members mean (the member func of Read);
// the reader does what both APIs share: the body must be one object and
// nothing may follow it, and row positions carry over to the next page only
// once a page is accepted (Accept), so that a page that fails leaves the
// reader as it was. It must not be shared between goroutines.
type PageReader struct {
	// Link, SawRows and SawError describe the page being read: the member
	// func keeps the nextLink (as written) in Link and notes an error
	// member in SawError; Rows sets SawRows.
	Link              string
	SawRows, SawError bool

	rows     *Decoder
	scanner  Scanner
	page     *msgtrace.Page
	pos      int64 // the position of the page's next row
	next     int64 // the position of the next page's first row
	pageSize int
}

// NewPageReader returns the reader of the pages of the query over r, whose
// pages hold at most pageSize rows. It is a value, for the API's page
// decoder to hold.
func NewPageReader(schema *Schema, r msgtrace.Range, pageSize int) PageReader {
	return PageReader{rows: NewDecoder(schema, r), pageSize: pageSize}
}

// Read reads the page object of body, calling member for each member with
// the Scanner at the member's value, which member must consume (Rows,
// StringOrSkip, Skip...). It returns ErrNotObject when body is not an
// object; else the page, for the API to check (SawRows, Link) and Accept.
func (r *PageReader) Read(body []byte, member func(key []byte) error) (*msgtrace.Page, error) {
	s := &r.scanner
	s.Reset(body)
	if s.Peek() != '{' {
		return nil, ErrNotObject
	}
	r.Link, r.SawRows, r.SawError = "", false, false
	r.page, r.pos = r.rows.NewPage(len(body), r.pageSize), r.next
	if err := s.Members(member); err != nil {
		return nil, err
	}
	if !s.AtEnd() {
		return nil, fmt.Errorf("unexpected data after the JSON object at byte %d", s.Pos())
	}
	return r.page, nil
}

// Scanner is the scanner of the page being read.
func (r *PageReader) Scanner() *Scanner { return &r.scanner }

// Rows decodes the array of rows at the scanner into the page.
func (r *PageReader) Rows(verbose bool) error {
	r.SawRows = true
	return r.rows.DecodeRows(&r.scanner, r.page, &r.pos, verbose)
}

// Accept ends the page that Read returned, once the API found it good: the
// next page's rows are numbered after its rows.
func (r *PageReader) Accept() { r.next = r.pos }
