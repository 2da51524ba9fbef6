package doclinks

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRepositoryLinksResolve: every relative link of the repository's
// Markdown names an existing file, and every #fragment into a Markdown
// file one of its headings.
func TestRepositoryLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := MarkdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"README.md", "receiver/exchangemessagetracereceiver/README.md", "bench/README.md"} {
		if !slices.Contains(files, want) {
			t.Fatalf("%s not among the Markdown files checked: %v", want, files)
		}
	}
	problems, err := Check(root, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d Markdown files checked", len(files))
}

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"High availability (two replicas on Kubernetes)":                       "high-availability-two-replicas-on-kubernetes",
		"Sumo Logic routing: `_sourceCategory`, `_sourceName`, fields":         "sumo-logic-routing-_sourcecategory-_sourcename-fields",
		"6. Many tenants, one collector: 1,000 and 10,000 tenants (issue 17)":  "6-many-tenants-one-collector-1000-and-10000-tenants-issue-17",
		"Detail events: why a row failed, was quarantined or filtered as spam": "detail-events-why-a-row-failed-was-quarantined-or-filtered-as-spam",
		"The simulator: `msgtrace-sim`":                                        "the-simulator-msgtrace-sim",
		"See [the table](x.md#y) — here":                                       "see-the-table--here",
		"Ünïcode Straße":                                                       "ünïcode-straße",
	} {
		if got := Slug(heading); got != want {
			t.Errorf("Slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

func TestAnchorsNumberRepeatsAndSkipCode(t *testing.T) {
	doc := "# Title\n## Severity\n```sh\n# not a heading\n```\n### Severity\n#nospace\n<a name=\"custom\"></a>\n## Closed ##\n"
	got := Anchors([]byte(doc))
	for _, want := range []string{"title", "severity", "severity-1", "custom", "closed"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	for _, not := range []string{"not-a-heading", "nospace"} {
		if got[not] {
			t.Errorf("anchor %q should not exist", not)
		}
	}
}

func TestLinksSkipCode(t *testing.T) {
	doc := "see [a](a.md) and `[b](b.md)`\n```\n[c](c.md)\n```\n[ref]: d.md#x\n[comment]: <> (generated)\n[e](https://example.com) ![img](img/f.png \"title\")\n"
	var got []string
	for _, l := range Links([]byte(doc)) {
		got = append(got, l.Target)
	}
	want := []string{"a.md", "d.md#x", "https://example.com", "img/f.png"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestCheckFindsBrokenLinks: the checker catches each kind of break, so a
// clean repository is not a vacuous pass.
func TestCheckFindsBrokenLinks(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", strings.Join([]string{
		"# Top",
		"[ok](docs/page.md#a-section) [ok dir](docs/) [ok self](#top) [ok url](https://x.y/#z)",
		"[gone](docs/gone.md) [bad anchor](docs/page.md#moved) [bad self](#nowhere)",
		"[out](../outside.md) [code anchor ok](main.go#L3)",
	}, "\n"))
	write("docs/page.md", "# Page\n## A section\n[back](../README.md#top) [back bad](../README.md#two-commands)\n")
	write("main.go", "package main\n")
	files, err := MarkdownFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := Check(root, files)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.File+" "+p.Target)
	}
	want := []string{
		"README.md docs/gone.md",
		"README.md docs/page.md#moved",
		"README.md #nowhere",
		"README.md ../outside.md",
		"docs/page.md ../README.md#two-commands",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
