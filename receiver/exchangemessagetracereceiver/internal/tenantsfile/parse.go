// Package tenantsfile reads the tenants file (`tenants_file`): the same
// tenant entries as the receiver's `tenants:` list, in a YAML file that a
// provider edits to onboard or drop a customer without a restart. It knows
// the file's shape and where each entry stands (for error messages); what
// an entry means is the receiver's config.
package tenantsfile

import (
	"errors"
	"fmt"
	"os"
	"regexp"

	"go.yaml.in/yaml/v3"
)

// Entry is one tenant entry of the file: its fields as YAML decoded them
// (with ${env:NAME} references replaced) and the line it starts on.
type Entry struct {
	Index  int
	Line   int
	Fields map[string]any
}

// Parse reads the file's content: a YAML list of entries, or a mapping
// whose `tenants` key holds that list. An empty file is an empty list.
func Parse(data []byte) ([]Entry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	list := doc.Content[0]
	if list.Kind == yaml.MappingNode {
		list = mappingValue(list, "tenants")
		if list == nil {
			return nil, fmt.Errorf("line %d: expected a list of tenants, or a `tenants:` key holding one", doc.Content[0].Line)
		}
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: expected a list of tenants (each `- tenant_id: ...`)", list.Line)
	}
	entries := make([]Entry, 0, len(list.Content))
	var errs []error
	for i, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("entry %d (line %d): expected a mapping such as `tenant_id: ...`", i, item.Line))
			continue
		}
		var fields map[string]any
		if err := item.Decode(&fields); err != nil {
			errs = append(errs, fmt.Errorf("entry %d (line %d): %w", i, item.Line, err))
			continue
		}
		if err := expandEnv(fields); err != nil {
			errs = append(errs, fmt.Errorf("entry %d (line %d): %w", i, item.Line, err))
			continue
		}
		entries = append(entries, Entry{Index: i, Line: item.Line, Fields: fields})
	}
	return entries, errors.Join(errs...)
}

// Read reads and parses the file at path.
func Read(path string) ([]Entry, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	entries, err := Parse(data)
	if err != nil {
		return nil, data, fmt.Errorf("%s: %w", path, err)
	}
	return entries, data, nil
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// envRef is the collector's own syntax for an environment variable, the
// only expansion the file supports: secrets stay out of the file.
var envRef = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${env:NAME} in every string value. An unset variable
// is an error: an empty secret would only fail later, less clearly.
func expandEnv(v map[string]any) error {
	var errs []error
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case string:
			return envRef.ReplaceAllStringFunc(t, func(ref string) string {
				name := envRef.FindStringSubmatch(ref)[1]
				val, ok := os.LookupEnv(name)
				if !ok {
					errs = append(errs, fmt.Errorf("environment variable %s is not set", name))
				}
				return val
			})
		case map[string]any:
			for k, e := range t {
				t[k] = walk(e)
			}
		case []any:
			for i, e := range t {
				t[i] = walk(e)
			}
		}
		return x
	}
	walk(v)
	return errors.Join(errs...)
}
