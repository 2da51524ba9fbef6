package rowdecode

import (
	"fmt"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/strarena"
)

// Decoder decodes the rows of one range query, page after page. It reuses
// its scratch buffers across rows, so it must not be shared between
// goroutines.
//
// What a page's rows may be kept for, and by whom:
//   - The Rows array of the page NewPage returns is the previous page's
//     array, reused: a Row (the struct in the array) is valid only until
//     NewPage is called for the next page. A caller that keeps a row past
//     its page copies the struct.
//   - Row's strings are carved from the Decoder's strarena blocks, which
//     are never written again: they may be kept for ever (each pins its
//     64 KiB block).
//   - Row.Raw aliases the body being decoded (DecodeRows does not copy it):
//     it is valid only as long as the caller keeps that body. In the
//     request loop the body is a pooled buffer, returned once the page was
//     delivered (see fetch.Loop.Run).
type Decoder struct {
	schema *Schema
	rng    msgtrace.Range
	// startText and endText are the query range as text, shared by every
	// row that does not carry its own StartDate/EndDate.
	startText, endText string
	// scratch holds the current row's decoded strings, copied to strings
	// once the row is known to be good.
	scratch []byte
	values  rowValues
	strings strarena.Arena
	rows    []msgtrace.Row // the previous page's array, reused
}

// NewDecoder returns a decoder for rows of the query over r.
func NewDecoder(schema *Schema, r msgtrace.Range) *Decoder {
	return &Decoder{
		schema:    schema,
		rng:       r,
		startText: r.Start.UTC().Format(ISOLayout),
		endText:   r.End.UTC().Format(ISOLayout),
		scratch:   make([]byte, 0, 1024),
	}
}

// NewPage returns an empty page for a body of bodyLen bytes. Its Rows reuse
// the previous page's array, which ends that page's rows (see Decoder): the
// receiver is done with a page before it asks for the next (Loop.Run
// delivers a page before fetching another), and a fresh array per page is
// over a megabyte for the garbage collector to clear and scan. The rows are
// sized from the body (350-450 bytes of JSON a row) rather than $top, so a
// short last page does not allocate a full one.
func (d *Decoder) NewPage(bodyLen, pageSize int) *msgtrace.Page {
	if want := min(pageSize, bodyLen/256+1); cap(d.rows) < want {
		d.rows = make([]msgtrace.Row, 0, want)
	}
	return &msgtrace.Page{Rows: d.rows[:0]}
}

// maxMalformedErrors bounds Page.MalformedErrors: the log needs examples,
// not every bad row of a broken page.
const maxMalformedErrors = 5

// DecodeRows decodes the array of rows at the scanner's position and
// appends the good ones to page, counting the others in page.Malformed. next is the position of the first row and
// is advanced past every row, good or not, so positions stay stable.
func (d *Decoder) DecodeRows(s *Scanner, page *msgtrace.Page, next *int64, verbose bool) error {
	// A NaN in a row costs the row, not the page: its end is plain, so
	// the rows after it are where they should be (see Scanner.Tolerate).
	s.Tolerate(true)
	defer s.Tolerate(false)
	more, err := s.BeginArray()
	for more {
		page.Rows = append(page.Rows, msgtrace.Row{})
		row := &page.Rows[len(page.Rows)-1]
		reason, err := d.DecodeRow(s, row, *next, verbose)
		if err != nil {
			return err
		}
		if reason != "" {
			page.Rows = page.Rows[:len(page.Rows)-1]
			page.Malformed++
			if len(page.MalformedErrors) < maxMalformedErrors {
				page.MalformedErrors = append(page.MalformedErrors, fmt.Errorf("row %d: %s", *next, reason))
			}
		}
		*next++
		if more, err = s.More(']'); err != nil {
			return err
		}
	}
	d.rows = page.Rows[:0] // keep what append grew
	return err
}
