package simulator

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// clause is one "field op value" comparison of an OData $filter.
type clause struct {
	Field string // lower-cased
	Name  string // as written, for messages
	Op    string // lower-cased
	Value string // unquoted
	// Quoted is true when the value was a '...' or datetime'...' literal.
	Quoted bool
}

// parseFilter splits an OData filter into clauses joined by "and". As
// reported of Graph, clauses joined by "or" and "ne"/"in" comparisons are
// dropped silently rather than refused.
func parseFilter(s string) ([]clause, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	var out []clause
	skipNext := false
	for i := 0; i < len(toks); {
		t := toks[i]
		if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") {
			inner, err := parseFilter(t[1 : len(t)-1])
			if err != nil {
				return nil, err
			}
			if !skipNext {
				out = append(out, inner...)
			}
			skipNext = false
			i++
		} else {
			if i+2 >= len(toks) {
				return nil, fmt.Errorf("incomplete comparison near %q", t)
			}
			c := clause{Field: strings.ToLower(t), Name: t, Op: strings.ToLower(toks[i+1])}
			c.Value, c.Quoted, err = literal(toks[i+2])
			if err != nil {
				return nil, err
			}
			switch c.Op {
			case "eq", "ge", "gt", "le", "lt":
				if !skipNext {
					out = append(out, c)
				}
			case "ne", "in":
			default:
				return nil, fmt.Errorf("unknown operator %q", toks[i+1])
			}
			skipNext = false
			i += 3
		}
		if i < len(toks) {
			switch strings.ToLower(toks[i]) {
			case "and":
			case "or":
				skipNext = true
			default:
				return nil, fmt.Errorf("expected 'and' near %q", toks[i])
			}
			i++
			if i == len(toks) {
				return nil, errors.New("filter ends with a connective")
			}
		}
	}
	return out, nil
}

// tokenize splits on spaces outside quotes and parentheses.
func tokenize(s string) ([]string, error) {
	var toks []string
	var cur strings.Builder
	inQuote, depth := false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			cur.WriteByte(c)
			if c == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					cur.WriteByte('\'')
					i++
				} else {
					inQuote = false
				}
			}
		case c == '\'':
			inQuote = true
			cur.WriteByte(c)
		case c == '(':
			depth++
			cur.WriteByte(c)
		case c == ')':
			depth--
			if depth < 0 {
				return nil, errors.New("unbalanced parentheses")
			}
			cur.WriteByte(c)
		case (c == ' ' || c == '\t') && depth == 0:
			if cur.Len() > 0 {
				toks = append(toks, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if inQuote {
		return nil, errors.New("unterminated string literal")
	}
	if depth != 0 {
		return nil, errors.New("unbalanced parentheses")
	}
	if cur.Len() > 0 {
		toks = append(toks, cur.String())
	}
	return toks, nil
}

// literal unquotes 'x' (with ” for '), datetime'x', or returns a bare token.
func literal(t string) (string, bool, error) {
	lt := strings.ToLower(t)
	if strings.HasPrefix(lt, "datetime'") || strings.HasPrefix(lt, "datetimeoffset'") {
		t = t[strings.IndexByte(t, '\''):]
	}
	if strings.HasPrefix(t, "'") {
		if len(t) < 2 || !strings.HasSuffix(t, "'") {
			return "", false, fmt.Errorf("bad string literal %s", t)
		}
		return strings.ReplaceAll(t[1:len(t)-1], "''", "'"), true, nil
	}
	if strings.HasPrefix(t, "(") {
		return t, false, nil // an "in" list; dropped by the caller
	}
	return t, false, nil
}

// parseTime accepts RFC 3339 with or without a zone (no zone means UTC) and
// with any number of fractional digits.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time", s)
}
