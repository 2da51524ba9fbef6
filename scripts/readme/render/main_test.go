package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
)

// TestRenderWritesEachSectionIntoItsPage: the field reference and the
// fault figures land in whichever pages hold their markers; a page with
// neither is left alone; a section no page holds is an error.
func TestRenderWritesEachSectionIntoItsPage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fields := write("FIELDS.md", "# Log records\n\n## Severity\n\nnew fields\n")
	figures := filepath.Join(dir, "figures.jsonl")
	if err := readme.AppendFigure(figures, readme.Figure{Test: "TestCrashes", Fault: "SIGKILLs", Passed: true, At: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	landing := write("README.md", "# Landing\n\nno sections\n")
	config := write("configuration.md", "# Config\n<!-- fields:begin -->\nold\n<!-- fields:end -->\n")
	delivery := write("delivery.md", "# Delivery\n<!-- fault-figures:begin -->\nold\n<!-- fault-figures:end -->\n")
	stat, _ := os.Stat(landing)

	if err := render([]string{landing, config, delivery}, fields, figures); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := read(config), "# Config\n<!-- fields:begin -->\n### Severity\n\nnew fields\n<!-- fields:end -->\n"; got != want {
		t.Errorf("configuration.md:\n%s\nwant\n%s", got, want)
	}
	if got := read(delivery); !strings.Contains(got, "| `TestCrashes` | SIGKILLs |") || strings.Contains(got, "old") {
		t.Errorf("delivery.md lacks the figures:\n%s", got)
	}
	if got := read(landing); got != "# Landing\n\nno sections\n" {
		t.Errorf("README.md changed:\n%s", got)
	}
	if after, _ := os.Stat(landing); !after.ModTime().Equal(stat.ModTime()) {
		t.Errorf("a page without sections was rewritten")
	}

	// Without -figures, the figures stay as they are.
	before := read(delivery)
	if err := render([]string{landing, config, delivery}, fields, ""); err != nil {
		t.Fatal(err)
	}
	if read(delivery) != before {
		t.Errorf("the figures changed without -figures")
	}

	for name, pages := range map[string][]string{
		"the field reference's page not given": {landing, delivery},
		"the figures' page not given":          {landing, config},
	} {
		if err := render(pages, fields, figures); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
