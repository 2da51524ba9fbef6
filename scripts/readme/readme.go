// Package readme renders the generated sections of the README and the
// pages under docs/, so that they have one source each: the field
// reference (in docs/configuration.md) from the receiver's
// internal/logmap/FIELDS.md, and the fault-test figures (in
// docs/delivery.md) from the records the e2e suite writes. `make readme`
// runs it (scripts/readme/render) on every page; each section is written
// wherever its markers stand, so a section moves with its page.
//
// A generated section sits between two markers, which are kept:
//
//	<!-- fields:begin -->
//	...
//	<!-- fields:end -->
package readme

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// FieldsMD is the field reference's source, from the repository root.
const FieldsMD = "receiver/exchangemessagetracereceiver/internal/logmap/FIELDS.md"

// Pages are the documents that may hold generated sections, as globs from
// the repository root: the landing page and every page under docs/.
var Pages = []string{"README.md", "docs/*.md"}

// Section names, as written in the markers.
const (
	FieldsSection  = "fields"
	FiguresSection = "fault-figures"
)

func begin(name string) string { return "<!-- " + name + ":begin -->" }
func end(name string) string   { return "<!-- " + name + ":end -->" }

// Replace puts content between the markers of section name in doc.
func Replace(doc []byte, name, content string) ([]byte, error) {
	b, e := []byte(begin(name)), []byte(end(name))
	i := bytes.Index(doc, b)
	j := bytes.Index(doc, e)
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %s ... %s markers in the document", b, e)
	}
	var out bytes.Buffer
	out.Write(doc[:i+len(b)])
	out.WriteString("\n")
	out.WriteString(strings.TrimRight(content, "\n"))
	out.WriteString("\n")
	out.Write(doc[j:])
	return out.Bytes(), nil
}

// Has reports whether doc holds the markers of section name.
func Has(doc []byte, name string) bool {
	_, err := Section(doc, name)
	return err == nil
}

// Render writes each section of content into the documents (by path) that
// hold its markers, and returns the documents it changed. A section that
// no document holds is an error: its page lost its markers, or the
// renderer was not given the page.
func Render(docs map[string][]byte, content map[string]string) (map[string][]byte, error) {
	changed := map[string][]byte{}
	for _, name := range slices.Sorted(maps.Keys(content)) {
		found := false
		for _, path := range slices.Sorted(maps.Keys(docs)) {
			doc := docs[path]
			if c, ok := changed[path]; ok {
				doc = c
			}
			if !Has(doc, name) {
				continue
			}
			found = true
			out, err := Replace(doc, name, content[name])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if !bytes.Equal(out, docs[path]) {
				changed[path] = out
			}
		}
		if !found {
			return nil, fmt.Errorf("no document holds the %s ... %s markers (looked in %d)", begin(name), end(name), len(docs))
		}
	}
	return changed, nil
}

// PagePaths expands Pages under root, in order, relative to root.
func PagePaths(root string) ([]string, error) {
	var out []string
	for _, glob := range Pages {
		m, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			return nil, err
		}
		for _, p := range m {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return nil, err
			}
			out = append(out, filepath.ToSlash(rel))
		}
	}
	return out, nil
}

// FindSection returns the page (relative to root) holding section name,
// and the section's text. Exactly one page may hold it.
func FindSection(root, name string) (page, text string, err error) {
	paths, err := PagePaths(root)
	if err != nil {
		return "", "", err
	}
	for _, p := range paths {
		doc, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			return "", "", err
		}
		s, err := Section(doc, name)
		if err != nil {
			continue
		}
		if page != "" {
			return "", "", fmt.Errorf("both %s and %s hold the %s section", page, p, name)
		}
		page, text = p, s
	}
	if page == "" {
		return "", "", fmt.Errorf("none of %v holds the %s ... %s markers", paths, begin(name), end(name))
	}
	return page, text, nil
}

// Section returns what stands between the markers of section name.
func Section(doc []byte, name string) (string, error) {
	b, e := []byte(begin(name)), []byte(end(name))
	i := bytes.Index(doc, b)
	j := bytes.Index(doc, e)
	if i < 0 || j < i {
		return "", fmt.Errorf("no %s ... %s markers in the document", b, e)
	}
	return strings.Trim(string(doc[i+len(b):j]), "\n"), nil
}

// Fields is FIELDS.md as a page's section: without its title, and with
// every heading one level deeper (FIELDS.md's "## Severity" is a
// subsection of docs/configuration.md's "## What it emits").
func Fields(fieldsMD []byte) string {
	var out []string
	inCode, titled := false, false
	sc := bufio.NewScanner(bytes.NewReader(fieldsMD))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if !inCode && strings.HasPrefix(line, "# ") && !titled {
			titled = true
			continue
		}
		if !inCode && strings.HasPrefix(line, "#") {
			line = "#" + line
		}
		out = append(out, line)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}

// Figure is what one fault test measured: what it did, how many rows it
// compared with the simulator's truth, and how many of them were lost or
// repeated. The e2e suite appends one JSON line per test (AppendFigure).
type Figure struct {
	// Test is the Go test (with subtest), e.g. TestCrashes.
	Test string `json:"test"`
	// Fault says what was done, e.g. "20 SIGKILLs at random moments".
	Fault string `json:"fault"`
	// Rows is how many truth rows were compared (0: the test compares none).
	Rows int `json:"rows"`
	// Lost and Repeated are nil when the test does not count rows.
	Lost     *int `json:"lost,omitempty"`
	Repeated *int `json:"repeated,omitempty"`
	// Promise is what the test allows, e.g. "≤ 500 (a page) per crash".
	Promise string `json:"promise"`
	// Other is a further measured figure, e.g. "0 API requests".
	Other  string    `json:"other,omitempty"`
	Passed bool      `json:"passed"`
	At     time.Time `json:"at"`
}

// Count makes a *int for Lost and Repeated.
func Count(n int) *int { return &n }

var appendMu sync.Mutex

// AppendFigure adds f to the records file at path.
func AppendFigure(path string, f Figure) error {
	appendMu.Lock()
	defer appendMu.Unlock()
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	file, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := file.Write(append(b, '\n')); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// ReadFigures reads a records file; for a test recorded more than once (a
// later partial run) the last record counts.
func ReadFigures(data []byte) ([]Figure, error) {
	var out []Figure
	index := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var f Figure
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if i, ok := index[f.Test]; ok {
			out[i] = f
			continue
		}
		index[f.Test] = len(out)
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, errors.New("no figures recorded: run `make e2e-test` first")
	}
	return out, sc.Err()
}

// Figures renders the records as the fault table (docs/delivery.md), in
// test-name order.
func Figures(figs []Figure) string {
	figs = slices.Clone(figs)
	slices.SortFunc(figs, func(a, b Figure) int { return strings.Compare(a.Test, b.Test) })
	var b strings.Builder
	newest := time.Time{}
	for _, f := range figs {
		if f.At.After(newest) {
			newest = f.At
		}
	}
	fmt.Fprintf(&b, "Written by `make readme` from the records of the e2e run of %s (`make e2e-test`); not edited by hand.\n\n",
		newest.UTC().Format("2006-01-02"))
	b.WriteString("| test | what it does | rows compared | rows lost | rows repeated | the promise allows | also measured | result |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	count := func(p *int) string {
		if p == nil {
			return "—"
		}
		return fmt.Sprint(*p)
	}
	for _, f := range figs {
		rows := "—"
		if f.Rows > 0 {
			rows = fmt.Sprint(f.Rows)
		}
		result := "pass"
		if !f.Passed {
			result = "**FAIL**"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
			f.Test, cell(f.Fault), rows, count(f.Lost), count(f.Repeated), cell(f.Promise), cell(f.Other), result)
	}
	return b.String()
}

func cell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}
