package logmap

import "fmt"

// FieldNames selects the body's field names.
type FieldNames int

const (
	// FieldNamesAPI keeps the names of the API the row came from.
	FieldNamesAPI FieldNames = iota
	// FieldNamesGraph uses Microsoft Graph's camelCase names for every row.
	FieldNamesGraph
	// FieldNamesLegacy uses the legacy report's PascalCase names for every
	// row, so queries written for the legacy API (the Sumo Logic app) work on
	// Graph data too.
	FieldNamesLegacy
)

// BodyFormat selects how the body carries the row.
type BodyFormat int

const (
	// BodyMap: the body is a map, one entry per field.
	BodyMap BodyFormat = iota
	// BodyJSON: the body is a string holding the row's JSON object; the
	// cheapest format when the API's names are kept (the API's bytes are
	// reused as they are).
	BodyJSON
)

// Options configures a Mapper.
type Options struct {
	FieldNames FieldNames
	BodyFormat BodyFormat
	// Organization fills the legacy "Organization" field of Graph rows,
	// which Graph does not send. Empty: the field is written as null.
	Organization string
}

var (
	fieldNamesByName = map[string]FieldNames{"api": FieldNamesAPI, "graph": FieldNamesGraph, "legacy": FieldNamesLegacy}
	bodyFormatByName = map[string]BodyFormat{"map": BodyMap, "json": BodyJSON}
)

// ParseFieldNames reads a config value: "api", "graph" or "legacy".
func ParseFieldNames(s string) (FieldNames, error) {
	if v, ok := fieldNamesByName[s]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("invalid field names %q: valid values are \"api\", \"graph\" and \"legacy\"", s)
}

// ParseBodyFormat reads a config value: "map" or "json".
func ParseBodyFormat(s string) (BodyFormat, error) {
	if v, ok := bodyFormatByName[s]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("invalid body format %q: valid values are \"map\" and \"json\"", s)
}

// String returns the config spelling of f.
func (f FieldNames) String() string {
	switch f {
	case FieldNamesAPI:
		return "api"
	case FieldNamesGraph:
		return "graph"
	case FieldNamesLegacy:
		return "legacy"
	}
	return fmt.Sprintf("FieldNames(%d)", int(f))
}

// String returns the config spelling of f.
func (f BodyFormat) String() string {
	switch f {
	case BodyMap:
		return "map"
	case BodyJSON:
		return "json"
	}
	return fmt.Sprintf("BodyFormat(%d)", int(f))
}
