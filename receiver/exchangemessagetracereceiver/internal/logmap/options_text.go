package logmap

import "fmt"

// The text methods let the receiver's config hold FieldNames and BodyFormat
// themselves: the value is parsed (by ParseFieldNames and ParseBodyFormat)
// once, when the config is loaded, and printed back as it was written.

// MarshalText writes the config spelling.
func (f FieldNames) MarshalText() ([]byte, error) {
	if _, err := ParseFieldNames(f.String()); err != nil {
		return nil, fmt.Errorf("unknown field names %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText reads the config spelling.
func (f *FieldNames) UnmarshalText(text []byte) error {
	v, err := ParseFieldNames(string(text))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// MarshalText writes the config spelling.
func (b BodyFormat) MarshalText() ([]byte, error) {
	if _, err := ParseBodyFormat(b.String()); err != nil {
		return nil, fmt.Errorf("unknown body format %d", int(b))
	}
	return []byte(b.String()), nil
}

// UnmarshalText reads the config spelling.
func (b *BodyFormat) UnmarshalText(text []byte) error {
	v, err := ParseBodyFormat(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}
