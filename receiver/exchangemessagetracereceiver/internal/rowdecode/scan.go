package rowdecode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf8"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
)

// Scanner walks one JSON document held in memory without building values.
// Both APIs return flat rows (strings, numbers, null, bool, and at most a
// nested __metadata object to skip), so walking the bytes directly is much
// faster than encoding/json and lets a row keep its exact bytes as Raw.
// It is deliberately lenient where leniency is free (control characters in
// strings, number grammar) and strict where a mistake would misplace data.
//
// A bare word where a value belongs (NaN, Infinity, undefined: what some
// serializers write for a float that is not a number) breaks the document,
// unless the scanner is reading a row (Tolerate): the word's end is plain,
// so the scanner can step over it, and the row alone is malformed.
type Scanner struct {
	data []byte
	pos  int
	// tolerant is set while a row is read; bad is then the first bare
	// word met (it aliases data), or nil.
	tolerant bool
	bad      []byte
}

// SyntaxError says where the document stopped being JSON. EOF tells a body
// cut short (truncated) from one that is malformed.
type SyntaxError struct {
	Offset int
	EOF    bool
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.EOF {
		return fmt.Sprintf("JSON ends unexpectedly at byte %d (%s)", e.Offset, e.Msg)
	}
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// Tolerate makes a bare word where a value belongs read as a value (Number
// returns nil, Literal ""), recorded as BareWord, rather than an error; off
// ends it. A row's decoder turns it on for the row, so that a NaN costs one
// row, not the page.
func (s *Scanner) Tolerate(on bool) { s.tolerant, s.bad = on, nil }

// BareWord is the first bare word read since Tolerate(true), or nil.
func (s *Scanner) BareWord() []byte { return s.bad }

// NewScanner returns a scanner positioned at the start of data.
func NewScanner(data []byte) *Scanner {
	s := &Scanner{}
	s.Reset(data)
	return s
}

// Reset points the scanner at a new document, past a UTF-8 byte order
// mark if it has one (.NET services sometimes write it).
func (s *Scanner) Reset(data []byte) {
	s.data, s.pos = data, 0
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		s.pos = 3
	}
}

// Pos is the offset of the next unread byte.
func (s *Scanner) Pos() int { return s.pos }

func (s *Scanner) fail(msg string) error {
	return &SyntaxError{Offset: s.pos, EOF: s.pos >= len(s.data), Msg: msg}
}

func (s *Scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\n', '\r', '\t':
			s.pos++
		default:
			return
		}
	}
}

// Peek skips white space and returns the next byte, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// AtEnd reports whether only white space is left.
func (s *Scanner) AtEnd() bool { return s.Peek() == 0 && s.pos >= len(s.data) }

// BeginObject consumes '{' and reports whether the object has members.
func (s *Scanner) BeginObject() (bool, error) { return s.begin('{', '}', "an object") }

// BeginArray consumes '[' and reports whether the array has elements.
func (s *Scanner) BeginArray() (bool, error) { return s.begin('[', ']', "an array") }

func (s *Scanner) begin(open, close byte, what string) (bool, error) {
	if s.Peek() != open {
		return false, s.fail("expected " + what)
	}
	s.pos++
	if s.Peek() == close {
		s.pos++
		return false, nil
	}
	return true, nil
}

// More consumes the separator after a member or element: ',' means more
// follow, the closing byte ends the container.
func (s *Scanner) More(close byte) (bool, error) {
	switch s.Peek() {
	case ',':
		s.pos++
		return true, nil
	case close:
		s.pos++
		return false, nil
	}
	return false, s.fail("expected ',' or '" + string(close) + "'")
}

// Key reads a member name and its ':'. The result aliases the document
// unless the name holds escapes, in which case it is decoded into scratch.
func (s *Scanner) Key(scratch []byte) ([]byte, error) {
	if s.Peek() != '"' {
		return nil, s.fail("expected a member name")
	}
	start := s.pos + 1
	end := plainEnd(s.data, start)
	var key []byte
	if end < len(s.data) && s.data[end] == '"' {
		key = s.data[start:end]
		s.pos = end + 1
	} else {
		var err error
		if key, err = s.String(scratch[:0]); err != nil {
			return nil, err
		}
	}
	if s.Peek() != ':' {
		return nil, s.fail("expected ':' after a member name")
	}
	s.pos++
	return key, nil
}

// plainEnd returns the offset of the first '"' or '\\' at or after i, or
// len(data). It tests eight bytes at a time (SWAR): names and values here
// are short, where this beats the vectorized bytes.IndexByte's call cost.
func plainEnd(data []byte, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
		quote = '"' * ones
		bslsh = '\\' * ones
	)
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		q, b := x^quote, x^bslsh
		// A zero byte in q or b marks a match; the lowest flag is exact
		// (only bytes above a match can be flagged falsely).
		if m := ((q-ones)&^q | (b-ones)&^b) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(data); i++ {
		if c := data[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

// stringEnd finds the closing quote of the string at s.pos without decoding
// it; it leaves s.pos after the quote and returns the quote's offset.
func (s *Scanner) stringEnd() (end int, escaped bool, err error) {
	i := s.pos + 1
	for {
		j := plainEnd(s.data, i)
		if j >= len(s.data) {
			s.pos = len(s.data)
			return 0, false, s.fail("unterminated string")
		}
		if s.data[j] == '"' {
			s.pos = j + 1
			return j, escaped, nil
		}
		// A backslash escapes the next byte; \uXXXX needs no special case
		// as hex digits are never quotes or backslashes.
		escaped = true
		i = j + 2
	}
}

// String decodes the string at the current position, appending it to dst.
func (s *Scanner) String(dst []byte) ([]byte, error) {
	if s.Peek() != '"' {
		return dst, s.fail("expected a string")
	}
	i := s.pos + 1
	for {
		j := plainEnd(s.data, i)
		if j >= len(s.data) {
			s.pos = len(s.data)
			return dst, s.fail("unterminated string")
		}
		dst = append(dst, s.data[i:j]...)
		if s.data[j] == '"' {
			s.pos = j + 1
			return dst, nil
		}
		s.pos = j
		var err error
		if dst, err = s.escape(dst); err != nil {
			return dst, err
		}
		i = s.pos
	}
}

// escape decodes the escape sequence at s.pos (a backslash) into dst.
func (s *Scanner) escape(dst []byte) ([]byte, error) {
	if s.pos+1 >= len(s.data) {
		s.pos = len(s.data)
		return dst, s.fail("unterminated escape")
	}
	c := s.data[s.pos+1]
	s.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(dst, c), nil
	case 'b':
		return append(dst, '\b'), nil
	case 'f':
		return append(dst, '\f'), nil
	case 'n':
		return append(dst, '\n'), nil
	case 'r':
		return append(dst, '\r'), nil
	case 't':
		return append(dst, '\t'), nil
	case 'u':
		r, ok := s.hex4()
		if !ok {
			return dst, s.fail(`bad \u escape`)
		}
		if r >= 0xD800 && r < 0xDC00 {
			// A high surrogate pairs with a following low surrogate; a lone
			// one becomes U+FFFD, as encoding/json does.
			if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
				save := s.pos
				s.pos += 2
				if lo, ok := s.hex4(); ok && lo >= 0xDC00 && lo < 0xE000 {
					return utf8.AppendRune(dst, (r-0xD800)<<10+(lo-0xDC00)+0x10000), nil
				}
				s.pos = save
			}
			return utf8.AppendRune(dst, utf8.RuneError), nil
		}
		if r >= 0xDC00 && r < 0xE000 {
			return utf8.AppendRune(dst, utf8.RuneError), nil
		}
		return utf8.AppendRune(dst, r), nil
	}
	s.pos -= 2
	return dst, s.fail("bad escape")
}

func (s *Scanner) hex4() (rune, bool) {
	if s.pos+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[s.pos : s.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.pos += 4
	return r, true
}

// Number returns the bytes of the number at the current position. A number
// run into letters (-Infinity, 0x1F) is a bare word: when tolerant, Number
// returns nil and no error.
func (s *Scanner) Number() ([]byte, error) {
	s.skipSpace()
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.pos++
			continue
		}
		break
	}
	if s.pos == start {
		return nil, s.fail("expected a number")
	}
	if s.pos >= len(s.data) {
		// A number can only end a document that is a bare number: here it
		// means the body was cut short.
		return nil, s.fail("number at end of input")
	}
	if c := s.data[s.pos]; (c|0x20 >= 'a' && c|0x20 <= 'z') || c == '_' {
		// -Infinity, 0x1F, 12abc: not a number.
		return nil, s.bareWord(start)
	}
	return s.data[start:s.pos], nil
}

func isWordByte(c byte) bool {
	return (c|0x20 >= 'a' && c|0x20 <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' || c == '.'
}

// bareWord reads the word at start, where a value belongs but none of
// JSON's begins: an error naming it, or, when tolerant, nil with the word
// recorded and the scanner after it. Where no word is (a quote, a brace)
// the document's structure is lost, and that is always an error.
func (s *Scanner) bareWord(start int) error {
	end := start
	for end < len(s.data) && isWordByte(s.data[end]) {
		end++
	}
	switch {
	case end >= len(s.data):
		s.pos = end
		return s.fail("truncated value") // NaN or a cut-off null: can't tell
	case end == start:
		s.pos = start
		return s.fail(fmt.Sprintf("unexpected character %q", rune(s.data[start])))
	case s.tolerant:
		if s.bad == nil {
			s.bad = s.data[start:end]
		}
		s.pos = end
		return nil
	}
	s.pos = start
	return s.fail(logsafe.Truncate(string(s.data[start:end]), 40) + " is not a JSON value")
}

// Literal consumes null, true or false and returns it. Another word is a
// bare word (see Tolerate).
func (s *Scanner) Literal() (string, error) {
	s.skipSpace()
	var lit string
	switch s.peekByte() {
	case 'n':
		lit = "null"
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	default:
		return "", s.bareWord(s.pos)
	}
	rest := s.data[s.pos:]
	if len(rest) >= len(lit) && string(rest[:len(lit)]) == lit {
		s.pos += len(lit)
		return lit, nil
	}
	return "", s.bareWord(s.pos)
}

func (s *Scanner) peekByte() byte {
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// maxDepth bounds Skip's recursion: the schemas are flat, so a deep
// document is hostile or broken.
const maxDepth = 64

// Members calls value for each member of the object at the scanner's
// position; value must consume the member's value (Skip it if unwanted).
func (s *Scanner) Members(value func(key []byte) error) error {
	more, err := s.BeginObject()
	for more && err == nil {
		var key []byte
		if key, err = s.Key(nil); err != nil {
			return err
		}
		if err = value(key); err != nil {
			return err
		}
		more, err = s.More('}')
	}
	return err
}

// StringOrSkip reads a string value into dst, or skips a value of another
// type (a null nextLink, say) and leaves dst as it was.
func (s *Scanner) StringOrSkip(dst *string) error {
	if s.Peek() != '"' {
		return s.Skip()
	}
	v, err := s.String(nil)
	*dst = string(v)
	return err
}

// Skip consumes one value of any kind.
func (s *Scanner) Skip() error { return s.skip(0) }

func (s *Scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.fail("nesting too deep")
	}
	switch c := s.Peek(); {
	case c == '"':
		_, _, err := s.stringEnd()
		return err
	case c == '{':
		more, err := s.BeginObject()
		for more && err == nil {
			if _, err = s.Key(nil); err != nil {
				return err
			}
			if err = s.skip(depth + 1); err != nil {
				return err
			}
			more, err = s.More('}')
		}
		return err
	case c == '[':
		more, err := s.BeginArray()
		for more && err == nil {
			if err = s.skip(depth + 1); err != nil {
				return err
			}
			more, err = s.More(']')
		}
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := s.Number()
		return err
	case c == 0:
		return s.fail("expected a value")
	default:
		_, err := s.Literal()
		return err
	}
}

// ErrNotObject tells the request loop that a body is not a JSON object, so that it
// describes what came instead (HTML sign-in page, text, nothing).
var ErrNotObject = errors.New("the body is not a JSON object")
