package readme

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFieldsDropsTitleAndDeepensHeadings(t *testing.T) {
	in := "# Log records\n\nintro\n\n## Severity\n\n```yaml\n# a comment, not a heading\n```\n### Deeper\n"
	want := "intro\n\n### Severity\n\n```yaml\n# a comment, not a heading\n```\n#### Deeper"
	if got := Fields([]byte(in)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReplaceKeepsMarkers(t *testing.T) {
	cases := []struct {
		name, doc, content, want string
		err                      bool
	}{
		{"fills", "a\n<!-- fields:begin -->\nold\n<!-- fields:end -->\nb\n", "new\n", "a\n<!-- fields:begin -->\nnew\n<!-- fields:end -->\nb\n", false},
		{"empty section", "<!-- fields:begin --><!-- fields:end -->", "x", "<!-- fields:begin -->\nx\n<!-- fields:end -->", false},
		{"no markers", "a\n", "x", "", true},
		{"end before begin", "<!-- fields:end --><!-- fields:begin -->", "x", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Replace([]byte(tc.doc), FieldsSection, tc.content)
			if (err != nil) != tc.err || (!tc.err && string(got) != tc.want) {
				t.Errorf("got %q, %v; want %q (error: %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestFiguresRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "figures.jsonl")
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, f := range []Figure{
		{Test: "TestCrashes", Fault: "20 SIGKILLs", Rows: 40000, Lost: Count(0), Repeated: Count(900), Promise: "≤ 500 per crash", Passed: true, At: at},
		{Test: "TestBadConfigs", Fault: "18 invalid configs", Other: "0 API requests", Passed: true, At: at},
		{Test: "TestCrashes", Fault: "20 SIGKILLs", Rows: 40001, Lost: Count(0), Repeated: Count(0), Promise: "≤ 500 per crash", Passed: false, At: at},
	} {
		if err := AppendFigure(path, f); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := ReadFigures(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 2 || figs[0].Rows != 40001 {
		t.Fatalf("the last record of a test counts: %+v", figs)
	}
	table := Figures(figs)
	for _, want := range []string{
		"| `TestBadConfigs` | 18 invalid configs | — | — | — | — | 0 API requests | pass |",
		"| `TestCrashes` | 20 SIGKILLs | 40001 | 0 | 0 | ≤ 500 per crash | — | **FAIL** |",
		"run of 2026-12-01",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if _, err := ReadFigures(nil); err == nil {
		t.Errorf("an empty records file must be an error")
	}
}

// TestDocsFieldsAreFIELDSmd: the pages' field reference is FIELDS.md, as
// `make readme` writes it, on exactly one page (docs/configuration.md).
func TestDocsFieldsAreFIELDSmd(t *testing.T) {
	root := filepath.Join("..", "..")
	page, got, err := FindSection(root, FieldsSection)
	if err != nil {
		t.Fatal(err)
	}
	if page != "docs/configuration.md" {
		t.Errorf("the field reference is on %s, want docs/configuration.md (links point there)", page)
	}
	fields, err := os.ReadFile(filepath.Join(root, FieldsMD))
	if err != nil {
		t.Fatal(err)
	}
	if got != Fields(fields) {
		t.Errorf("%s's field reference is not %s: edit FIELDS.md, then run `make readme`", page, FieldsMD)
	}
}

// TestDocsHoldEveryGeneratedSection: each generated section, and each
// config example an e2e test runs (the Sumo Logic routing example of
// TestSumoLogicRouting, the README's config of TestLandingConfig), stands on
// exactly one page.
func TestDocsHoldEveryGeneratedSection(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, name := range []string{FieldsSection, FiguresSection, "sumo-routing-example", "landing-config"} {
		page, _, err := FindSection(root, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: %s", name, page)
	}
}

func TestRenderPutsSectionsWhereTheirMarkersAre(t *testing.T) {
	docs := map[string][]byte{
		"README.md":             []byte("# Landing\n"),
		"docs/configuration.md": []byte("a\n<!-- fields:begin -->\nold\n<!-- fields:end -->\n"),
		"docs/delivery.md":      []byte("<!-- fault-figures:begin -->\nsame\n<!-- fault-figures:end -->\n"),
	}
	changed, err := Render(docs, map[string]string{FieldsSection: "new", FiguresSection: "same"})
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 1 || string(changed["docs/configuration.md"]) != "a\n<!-- fields:begin -->\nnew\n<!-- fields:end -->\n" {
		t.Errorf("changed: %q", changed)
	}
	if _, err := Render(docs, map[string]string{"nowhere": "x"}); err == nil || !strings.Contains(err.Error(), "<!-- nowhere:begin -->") {
		t.Errorf("a section no page holds: %v", err)
	}
}

func TestFindSectionRefusesTwoPages(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	section := "<!-- fields:begin -->\nx\n<!-- fields:end -->\n"
	for _, p := range []string{"README.md", "docs/a.md"} {
		if err := os.WriteFile(filepath.Join(root, p), []byte(section), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := FindSection(root, FieldsSection); err == nil || !strings.Contains(err.Error(), "both README.md and docs/a.md") {
		t.Errorf("two pages holding one section: %v", err)
	}
	if _, _, err := FindSection(root, FiguresSection); err == nil {
		t.Errorf("a section no page holds: no error")
	}
}
