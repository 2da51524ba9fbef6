package rowdecode

import (
	"fmt"
	"strconv"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/strarena"
)

// Field names a row field independently of the API's spelling.
type Field uint8

const (
	FieldUnknown Field = iota // a key the schema does not know: skipped, kept in Raw
	FieldID
	FieldMessageID
	FieldReceived
	FieldSender
	FieldRecipient
	FieldSubject
	FieldStatus
	FieldFromIP
	FieldToIP
	FieldSize
	FieldOrganization
	FieldStartDate
	FieldEndDate
	FieldIndex
	numFields
)

type fieldKind uint8

const (
	kindString fieldKind = iota
	kindTime
	kindInt
)

var kindOf = [numFields]fieldKind{
	FieldReceived: kindTime, FieldStartDate: kindTime, FieldEndDate: kindTime,
	FieldSize: kindInt, FieldIndex: kindInt,
}

var bitOf = [numFields]msgtrace.FieldSet{
	FieldID: msgtrace.FieldID, FieldMessageID: msgtrace.FieldMessageID, FieldReceived: msgtrace.FieldReceived,
	FieldSender: msgtrace.FieldSenderAddress, FieldRecipient: msgtrace.FieldRecipientAddress,
	FieldSubject: msgtrace.FieldSubject, FieldStatus: msgtrace.FieldStatus, FieldFromIP: msgtrace.FieldFromIP,
	FieldToIP: msgtrace.FieldToIP, FieldSize: msgtrace.FieldSize, FieldOrganization: msgtrace.FieldOrganization,
	FieldStartDate: msgtrace.FieldStartDate, FieldEndDate: msgtrace.FieldEndDate, FieldIndex: msgtrace.FieldIndex,
}

// Schema is one API's spelling of the row fields.
type Schema struct {
	// Lookup maps a JSON key to its field; it runs for every key of every
	// row, so it should be a switch, not a map.
	Lookup func(key []byte) Field
	// Names are the API's key names, for malformed-row reasons.
	Names [numFields]string
	// Lenient accepts integers written as strings and "/Date(ms)/" times
	// in every row, not only in verbose ones: the legacy service's OData
	// serializers have written both over the years.
	Lenient bool
}

// Decoder decodes rows of one range query. It reuses its scratch buffer
// across rows, so it must not be shared between goroutines.
type Decoder struct {
	schema *Schema
	rng    msgtrace.Range
	// startText and endText are the query range as text, shared by every
	// row that does not carry its own StartDate/EndDate.
	startText, endText string
	scratch            []byte
	keyScratch         []byte
	strings            strarena.Arena
	rows               []msgtrace.Row // the previous page's array, reused
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

type span struct{ a, b int32 }

// valueState records what the API sent for one field of the current row.
type valueState uint8

const (
	absent valueState = iota
	gotString
	gotNumber
	gotNull
	gotOther // bool, object or array
)

// DecodeRow decodes the value at the scanner's position into row. A
// non-nil error means the document itself is broken (the page cannot be
// trusted); a non-empty reason means only this row is unusable and was
// consumed. position is the row's 0-based place in the range query, used
// when the row carries no Index. verbose selects the legacy verbose OData
// conventions: "/Date(ms)/" times and numbers written as strings, times
// re-written as ISO 8601 UTC and no Raw (the verbose object carries
// __metadata and is not the row the mapper should emit).
func (d *Decoder) DecodeRow(s *Scanner, row *msgtrace.Row, position int64, verbose bool) (reason string, err error) {
	if s.Peek() != '{' {
		if err := s.Skip(); err != nil {
			return "", err
		}
		return "row is not a JSON object", nil
	}
	start := s.Pos()
	d.scratch = d.scratch[:0]
	var (
		state  [numFields]valueState
		spans  [numFields]span
		ints   [numFields]int64
		badNum Field
	)
	more, err := s.BeginObject()
	for more {
		var key []byte
		if key, err = s.Key(d.keyScratch[:0]); err != nil {
			return "", err
		}
		f := d.schema.Lookup(key)
		if f == FieldUnknown {
			if err = s.Skip(); err != nil {
				return "", err
			}
		} else {
			switch c := s.Peek(); {
			case c == '"':
				a := len(d.scratch)
				if d.scratch, err = s.String(d.scratch); err != nil {
					return "", err
				}
				state[f], spans[f] = gotString, span{int32(a), int32(len(d.scratch))}
			case c == '-' || (c >= '0' && c <= '9'):
				var num []byte
				if num, err = s.Number(); err != nil {
					return "", err
				}
				state[f] = gotNumber
				if kindOf[f] == kindInt {
					var ok bool
					if ints[f], ok = parseInt(num); !ok {
						badNum = f
					}
				}
			case c == 'n':
				var lit string
				if lit, err = s.Literal(); err != nil {
					return "", err
				}
				state[f] = gotNull
				if lit != "null" {
					state[f] = gotOther
				}
			default:
				if err = s.Skip(); err != nil {
					return "", err
				}
				state[f] = gotOther
			}
		}
		if more, err = s.More('}'); err != nil {
			return "", err
		}
	}
	if err != nil {
		return "", err
	}
	raw := s.data[start:s.Pos()]

	var times [numFields]time.Time
	for f := FieldID; f < numFields; f++ {
		switch state[f] {
		case absent, gotNull:
			continue
		case gotOther:
			return d.reason(f, "has the wrong type"), nil
		}
		switch kindOf[f] {
		case kindString:
			if state[f] != gotString {
				return d.reason(f, "is a number, not a string"), nil
			}
		case kindInt:
			if state[f] == gotString {
				v, ok := parseInt(d.scratch[spans[f].a:spans[f].b])
				if !(verbose || d.schema.Lenient) || !ok {
					return d.reason(f, "is not a number"), nil
				}
				ints[f] = v
			} else if badNum == f {
				return d.reason(f, "is not an integer"), nil
			}
		case kindTime:
			if state[f] != gotString {
				return d.reason(f, "is not a string"), nil
			}
			text := d.scratch[spans[f].a:spans[f].b]
			t, ok := ParseTime(text)
			if !ok && (verbose || d.schema.Lenient) {
				t, ok = ParseDateLiteral(text)
			}
			if !ok {
				return d.reason(f, fmt.Sprintf("%q is not a time", logsafe.Truncate(string(text), 40))), nil
			}
			times[f] = t
			if verbose {
				a := len(d.scratch)
				d.scratch = t.AppendFormat(d.scratch, ISOLayout)
				spans[f] = span{int32(a), int32(len(d.scratch))}
			}
		}
	}
	for _, f := range [...]Field{FieldID, FieldRecipient} {
		if state[f] != gotString || spans[f].a == spans[f].b {
			return d.reason(f, "is missing or empty"), nil
		}
	}
	if state[FieldReceived] != gotString {
		return d.reason(FieldReceived, "is missing"), nil
	}

	// One copy holds every string of the row: the strings outlive the
	// pooled page buffer, and a per-field allocation would triple the
	// decoder's cost. The copy goes to a block shared with the next rows.
	arena := d.strings.Copy(d.scratch)
	str := func(f Field) string {
		if state[f] != gotString {
			return ""
		}
		return arena[spans[f].a:spans[f].b]
	}
	var nulls msgtrace.FieldSet
	for f := FieldID; f < numFields; f++ {
		if state[f] == gotNull {
			nulls |= bitOf[f]
		}
	}
	*row = msgtrace.Row{
		ID:               str(FieldID),
		MessageID:        str(FieldMessageID),
		Received:         times[FieldReceived],
		SenderAddress:    str(FieldSender),
		RecipientAddress: str(FieldRecipient),
		Subject:          str(FieldSubject),
		Status:           str(FieldStatus),
		FromIP:           str(FieldFromIP),
		ToIP:             str(FieldToIP),
		Size:             ints[FieldSize],
		Organization:     str(FieldOrganization),
		StartDate:        d.rng.Start.UTC(),
		EndDate:          d.rng.End.UTC(),
		Index:            position,
		ReceivedText:     str(FieldReceived),
		StartDateText:    d.startText,
		EndDateText:      d.endText,
		Nulls:            nulls,
	}
	if state[FieldStartDate] == gotString {
		row.StartDate, row.StartDateText = times[FieldStartDate], str(FieldStartDate)
	}
	if state[FieldEndDate] == gotString {
		row.EndDate, row.EndDateText = times[FieldEndDate], str(FieldEndDate)
	}
	if state[FieldIndex] == gotString || state[FieldIndex] == gotNumber {
		row.Index = ints[FieldIndex]
	}
	if !verbose {
		row.Raw = raw
	}
	return "", nil
}

func (d *Decoder) reason(f Field, what string) string {
	return d.schema.Names[f] + " " + what
}

// parseInt parses a decimal integer; it also takes an integral float such
// as 5.12e4, which some serializers write for large sizes.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return parseIntSlow(b)
	}
	neg := b[0] == '-'
	i := 0
	if neg {
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	var n int64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return parseIntSlow(b)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func parseIntSlow(b []byte) (int64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// NewPage returns an empty page for a body of bodyLen bytes. Its Rows reuse
// the previous page's array: the receiver is done with a page before it
// asks for the next (Loop.Run delivers a page before fetching another), and
// a fresh array per page is over a megabyte for the garbage collector to
// clear and scan. The rows are sized from the body (350-450 bytes of JSON
// a row) rather than $top, so a short last page does not allocate a full one.
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
// appends the good ones to page. next is the position of the first row and
// is advanced past every row, good or not, so positions stay stable.
func (d *Decoder) DecodeRows(s *Scanner, page *msgtrace.Page, next *int64, verbose bool) error {
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
