package detailevents

import (
	"encoding/xml"
	"strings"
)

// The value types a data entry names, as Exchange writes them.
const (
	TypeString  = "String"
	TypeInteger = "Integer"
	TypeLong    = "Long"
	TypeBlob    = "Blob"
)

// Pair is one entry of an event's data: <MEP Name="SCL" Integer="5"/> is
// {Name: "SCL", Type: "Integer", Value: "5"}. Type is the value's attribute
// name as written: one of the Type constants, or another name Exchange may
// use (kept as is, its value a string); "" when the entry has no value.
type Pair struct {
	Name  string
	Type  string
	Value string
}

// ParseData reads an event's data string into its entries, in order,
// duplicates included. It never fails: data that is empty, not XML, cut
// short or otherwise broken yields the entries read before the fault (or
// none), so that the record carries data as sent either way. Entries are
// the elements named MEP (any case) at any depth; one without a Name is
// skipped (Name in any case); unknown attributes are ignored unless nothing else gives the
// value.
func ParseData(data string) []Pair {
	if !strings.Contains(data, "<") {
		return nil
	}
	d := xml.NewDecoder(strings.NewReader(data))
	// Lenient: unknown entities (&nbsp;) and unquoted attribute values
	// do not end the parse, HTML's named entities are understood.
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var pairs []Pair
	for {
		tok, err := d.RawToken()
		if err != nil {
			return pairs
		}
		el, ok := tok.(xml.StartElement)
		if !ok || !strings.EqualFold(el.Name.Local, "MEP") {
			continue
		}
		if p, ok := pairOf(el.Attr); ok {
			pairs = append(pairs, p)
		}
	}
}

// pairOf reads an MEP element's attributes: Name, and the value under its
// type's name. A known type wins over an attribute of another name.
func pairOf(attrs []xml.Attr) (Pair, bool) {
	var p Pair
	named, known := false, false
	for _, a := range attrs {
		switch local := a.Name.Local; {
		case strings.EqualFold(local, "Name"):
			if !named {
				p.Name, named = a.Value, true
			}
		case local == TypeString || local == TypeInteger || local == TypeLong || local == TypeBlob:
			if !known {
				p.Type, p.Value, known = local, a.Value, true
			}
		case p.Type == "":
			p.Type, p.Value = local, a.Value
		}
	}
	return p, named && p.Name != ""
}
