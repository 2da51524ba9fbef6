package rowdecode

import (
	"fmt"
	"strconv"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

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

// rowValues is what the current row's JSON held, field by field: scanRow
// fills it, checkValues types it, fill copies it into the Row.
type rowValues struct {
	state [numFields]valueState
	// spans locate the string values (and re-written times) in
	// Decoder.scratch.
	spans [numFields]span
	ints  [numFields]int64
	times [numFields]time.Time
	// badNum is the integer field whose JSON number is not an integer.
	badNum Field
	// notJSON is set when a member the schema does not map held a bare
	// word: the row is good, but its bytes are not JSON (see fill).
	notJSON bool
}

// DecodeRow decodes the value at the scanner's position into row. A
// non-nil error means the document itself is broken (the page cannot be
// trusted); a non-empty reason means only this row is unusable and was
// consumed: a bare word such as NaN in a mapped field is such a reason
// when the scanner tolerates it (DecodeRows turns that on), else an error;
// in a member the schema does not map it is skipped. position is the row's 0-based place in the range query, used
// when the row carries no Index. verbose selects the legacy verbose OData
// conventions: "/Date(ms)/" times and numbers written as strings, times
// re-written as ISO 8601 UTC and no Raw (the verbose object carries
// __metadata and is not the row the mapper should emit).
func (d *Decoder) DecodeRow(s *Scanner, row *msgtrace.Row, position int64, verbose bool) (reason string, err error) {
	s.bad = nil
	if s.Peek() != '{' {
		if err := s.Skip(); err != nil {
			return "", err
		}
		if w := s.BareWord(); w != nil {
			return "row is " + bareWordText(w) + ", which is not a JSON value", nil
		}
		return "row is not a JSON object", nil
	}
	raw, reason, err := d.scanRow(s)
	if err != nil || reason != "" {
		return reason, err
	}
	if reason := d.checkValues(verbose); reason != "" {
		return reason, nil
	}
	if reason := d.checkRequired(); reason != "" {
		return reason, nil
	}
	d.fill(row, raw, position, verbose)
	return "", nil
}

// bareWordText is a bare word as a malformed-row reason shows it.
func bareWordText(w []byte) string { return logsafe.Truncate(string(w), 40) }

// scanRow reads the row object at the scanner's position into d.values
// (string values into d.scratch, the others by scanOther) and returns the
// object's bytes, or why the row is malformed when a mapped field's value
// holds a bare word (NaN; see Scanner.Tolerate). A bare word in a member
// the schema does not map is skipped with the member: the row is kept,
// without Raw (see fill).
func (d *Decoder) scanRow(s *Scanner) (raw []byte, reason string, err error) {
	start := s.Pos()
	d.scratch = d.scratch[:0]
	d.values = rowValues{}
	more, err := s.BeginObject()
	for more {
		var key []byte
		if key, err = s.Key(nil); err != nil {
			return nil, "", err
		}
		f := d.schema.Lookup(key)
		switch {
		case f == FieldUnknown:
			err = s.Skip()
		case s.Peek() == '"': // most values: in the loop, not a call
			a := len(d.scratch)
			d.scratch, err = s.String(d.scratch)
			d.values.state[f], d.values.spans[f] = gotString, span{int32(a), int32(len(d.scratch))}
		default:
			err = d.scanOther(s, f)
		}
		if err != nil {
			return nil, "", err
		}
		if w := s.BareWord(); w != nil {
			// Only a field the row is made of makes it malformed: a
			// bare word in a member the schema does not map (a score
			// the service added, nested or not) is never read, and a
			// service writing NaN there in every row would otherwise
			// cost every row. The row keeps it in Raw, as sent.
			if f != FieldUnknown && reason == "" {
				reason = logsafe.Truncate(string(key), 40) + " holds " + bareWordText(w) + ", which is not a JSON value"
			}
			d.values.notJSON = d.values.notJSON || f == FieldUnknown
			s.bad = nil // the next member's word is its own
		}
		if more, err = s.More('}'); err != nil {
			return nil, "", err
		}
	}
	if err != nil {
		return nil, "", err
	}
	return s.data[start:s.Pos()], reason, nil
}

// scanOther records a value of field f that is not a string: which JSON
// type it is and, for an integer field, its number.
func (d *Decoder) scanOther(s *Scanner, f Field) (err error) {
	v := &d.values
	switch c := s.Peek(); {
	case c == '-' || (c >= '0' && c <= '9'):
		var num []byte
		if num, err = s.Number(); err != nil {
			return err
		}
		v.state[f] = gotNumber
		if kindOf[f] == kindInt {
			var ok bool
			if v.ints[f], ok = parseInt(num); !ok {
				v.badNum = f
			}
		}
	case c == 'n':
		var lit string
		if lit, err = s.Literal(); err != nil {
			return err
		}
		v.state[f] = gotNull
		if lit != "null" {
			v.state[f] = gotOther
		}
	default:
		if err = s.Skip(); err != nil {
			return err
		}
		v.state[f] = gotOther
	}
	return nil
}

// checkValues checks each field's JSON type against the schema and parses
// the integers sent as strings and the times; it returns why the row is
// unusable, or "".
func (d *Decoder) checkValues(verbose bool) string {
	v := &d.values
	lenient := verbose || d.schema.Lenient
	for f := FieldID; f < numFields; f++ {
		switch v.state[f] {
		case absent, gotNull:
			continue
		case gotOther:
			return d.reason(f, "has the wrong type")
		}
		switch kindOf[f] {
		case kindString:
			if v.state[f] != gotString {
				return d.reason(f, "is a number, not a string")
			}
		case kindInt:
			if reason := d.intValue(f, lenient); reason != "" {
				return reason
			}
		case kindTime:
			if reason := d.timeValue(f, lenient, verbose); reason != "" {
				return reason
			}
		}
	}
	return ""
}

// intValue checks the integer field f; a string is parsed when lenient.
func (d *Decoder) intValue(f Field, lenient bool) string {
	v := &d.values
	if v.state[f] != gotString {
		if v.badNum == f {
			return d.reason(f, "is not an integer")
		}
		return ""
	}
	n, ok := parseInt(d.scratch[v.spans[f].a:v.spans[f].b])
	if !lenient || !ok {
		return d.reason(f, "is not a number")
	}
	v.ints[f] = n
	return ""
}

// timeValue parses the time field f ("/Date(ms)/" too when lenient). A
// verbose row's time is re-written as ISO 8601 UTC, so that the row's text
// reads the same in both OData shapes.
func (d *Decoder) timeValue(f Field, lenient, verbose bool) string {
	v := &d.values
	if v.state[f] != gotString {
		return d.reason(f, "is not a string")
	}
	text := d.scratch[v.spans[f].a:v.spans[f].b]
	t, ok := ParseTime(text)
	if !ok && lenient {
		t, ok = ParseDateLiteral(text)
	}
	if !ok {
		return d.reason(f, fmt.Sprintf("%q is not a time", logsafe.Truncate(string(text), 40)))
	}
	v.times[f] = t
	if verbose {
		a := len(d.scratch)
		d.scratch = t.AppendFormat(d.scratch, ISOLayout)
		v.spans[f] = span{int32(a), int32(len(d.scratch))}
	}
	return ""
}

// checkRequired returns why the row cannot be keyed or placed in time: no
// id or recipient (the dedup key), no received time; or "".
func (d *Decoder) checkRequired() string {
	v := &d.values
	for _, f := range [...]Field{FieldID, FieldRecipient} {
		if v.state[f] != gotString || v.spans[f].a == v.spans[f].b {
			return d.reason(f, "is missing or empty")
		}
	}
	if v.state[FieldReceived] != gotString {
		return d.reason(FieldReceived, "is missing")
	}
	return ""
}

// fill writes the checked values of the row into row. raw is the row's
// JSON, kept unless verbose or it is not JSON (a bare word in a member the
// schema does not map): Raw is the body of `body_format: json` as is, and
// without it the mapper encodes the row's fields, which is valid JSON.
func (d *Decoder) fill(row *msgtrace.Row, raw []byte, position int64, verbose bool) {
	v := &d.values
	// One copy holds every string of the row: the strings outlive the
	// pooled page buffer, and a per-field allocation would triple the
	// decoder's cost. The copy goes to a block shared with the next rows.
	arena := d.strings.Copy(d.scratch)
	str := func(f Field) string {
		if v.state[f] != gotString {
			return ""
		}
		return arena[v.spans[f].a:v.spans[f].b]
	}
	var nulls msgtrace.FieldSet
	for f := FieldID; f < numFields; f++ {
		if v.state[f] == gotNull {
			nulls |= bitOf[f]
		}
	}
	*row = msgtrace.Row{
		ID:               str(FieldID),
		MessageID:        str(FieldMessageID),
		Received:         v.times[FieldReceived],
		SenderAddress:    str(FieldSender),
		RecipientAddress: str(FieldRecipient),
		Subject:          str(FieldSubject),
		Status:           str(FieldStatus),
		FromIP:           str(FieldFromIP),
		ToIP:             str(FieldToIP),
		Size:             v.ints[FieldSize],
		Organization:     str(FieldOrganization),
		StartDate:        d.rng.Start.UTC(),
		EndDate:          d.rng.End.UTC(),
		Index:            position,
		ReceivedText:     str(FieldReceived),
		StartDateText:    d.startText,
		EndDateText:      d.endText,
		Nulls:            nulls,
	}
	if v.state[FieldStartDate] == gotString {
		row.StartDate, row.StartDateText = v.times[FieldStartDate], str(FieldStartDate)
	}
	if v.state[FieldEndDate] == gotString {
		row.EndDate, row.EndDateText = v.times[FieldEndDate], str(FieldEndDate)
	}
	if v.state[FieldIndex] == gotString || v.state[FieldIndex] == gotNumber {
		row.Index = v.ints[FieldIndex]
	}
	if !verbose && !v.notJSON {
		row.Raw = raw
	}
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
