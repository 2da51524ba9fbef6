//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
)

// logmapGolden are the mapper's golden outputs: every name set and body
// format, for rows of both APIs.
const logmapGolden = "../../receiver/exchangemessagetracereceiver/internal/logmap/testdata/*.yaml"

// TestFieldsDocumentEveryGoldenName: every record attribute and body field
// in the mapper's golden outputs is listed in FIELDS.md (the one field
// reference; docs/configuration.md copies it). TestShippedConfigsRun checks the same
// of the records the built binary sends, resource attributes included.
func TestFieldsDocumentEveryGoldenName(t *testing.T) {
	files, err := filepath.Glob(logmapGolden)
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden outputs at %s: %v", logmapGolden, err)
	}
	doc := documentedNames(t)
	seen := 0
	for _, f := range files {
		ld, err := golden.ReadLogs(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		names := emittedNames(t, ld)
		seen += len(names)
		for _, n := range undocumented(names, doc) {
			t.Errorf("%s emits %s, which FIELDS.md does not list (add it there, then `make readme`)", filepath.Base(f), n)
		}
	}
	if seen == 0 {
		t.Fatal("the golden outputs name nothing: the check would pass vacuously")
	}
	if len(undocumented([]emittedName{{"body field", "notAField"}}, doc)) != 1 {
		t.Fatal("the check does not catch an undocumented name")
	}
}

// documentedNames are the code spans of FIELDS.md (`name`).
func documentedNames(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", readme.FieldsMD))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	span := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			continue // a fence, not a span
		}
		for _, m := range span.FindAllStringSubmatch(line, -1) {
			names[m[1]] = true
		}
	}
	return names
}

// emittedName is a name the receiver emits, with where it appears.
type emittedName struct{ kind, name string }

func (n emittedName) String() string { return n.kind + " " + n.name }

// emittedNames lists the resource attributes, record attributes, event
// names and body fields (map keys, or the keys of a JSON text body) of ld.
func emittedNames(t *testing.T, ld plog.Logs) []emittedName {
	t.Helper()
	set := map[emittedName]bool{}
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		for k := range rls.At(i).Resource().Attributes().All() {
			set[emittedName{"resource attribute", k}] = true
		}
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				lr := lrs.At(k)
				for a := range lr.Attributes().All() {
					set[emittedName{"record attribute", a}] = true
				}
				if lr.EventName() != "" {
					set[emittedName{"event name", lr.EventName()}] = true
				}
				body := lr.Body().AsRaw()
				if s, ok := body.(string); ok {
					var m map[string]any
					if err := json.Unmarshal([]byte(s), &m); err != nil {
						t.Errorf("a JSON-text body that is not a JSON object: %v", err)
					}
					body = m
				}
				m, _ := body.(map[string]any)
				for f := range m {
					set[emittedName{"body field", f}] = true
				}
			}
		}
	}
	out := make([]emittedName, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b emittedName) int {
		if a.kind != b.kind {
			return compareStrings(a.kind, b.kind)
		}
		return compareStrings(a.name, b.name)
	})
	return out
}

// undocumented are the names doc does not list. "@odata.type" of Graph's
// beta rows is documented in prose, quoted: FIELDS.md names it too.
func undocumented(names []emittedName, doc map[string]bool) []emittedName {
	var out []emittedName
	for _, n := range names {
		if !doc[n.name] && !doc[`"`+n.name+`"`] {
			out = append(out, n)
		}
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
