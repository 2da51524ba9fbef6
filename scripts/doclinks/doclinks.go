// Package doclinks checks the repository's Markdown: every relative link
// names a file or directory that exists and, when it carries a #fragment
// into a Markdown file, a heading of that file (GitHub's anchor rules).
// Moving a section between pages breaks links that no build notices; the
// test of this package (part of `make test`) does.
package doclinks

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// Link is one link target found in a Markdown file.
type Link struct {
	Line   int
	Target string
}

var (
	// inlineLink matches [text](target) and ![alt](target), with an
	// optional "title"; the text may hold one level of brackets.
	inlineLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refDefinition matches a reference definition: [label]: target.
	refDefinition = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+(\S+)(?:\s+.*)?$`)
	codeSpan      = regexp.MustCompile("`+[^`]*`+")
	htmlAnchor    = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
)

// Links lists the link targets of a Markdown document, outside fenced
// code blocks and code spans.
func Links(doc []byte) []Link {
	var out []Link
	fence := ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if f, ok := fenceOf(line); ok {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(f, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		if m := refDefinition.FindStringSubmatch(line); m != nil {
			// "[comment]: <> (...)" is the usual comment: an empty target.
			if target := strings.Trim(m[1], "<>"); target != "" {
				out = append(out, Link{n, target})
			}
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, Link{n, m[1]})
		}
	}
	return out
}

// fenceOf reports whether line opens or closes a fenced code block, and
// its fence (the run of ` or ~).
func fenceOf(line string) (string, bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return "", false
	}
	for _, c := range []string{"```", "~~~"} {
		if strings.HasPrefix(t, c) {
			i := 0
			for i < len(t) && t[i] == c[0] {
				i++
			}
			return t[:i], true
		}
	}
	return "", false
}

// Anchors are the fragments a Markdown document's headings (and HTML
// anchors) answer to, as GitHub makes them: the heading's text lowercased,
// every character but letters, digits, spaces, '-' and '_' dropped, spaces
// made '-'; a repeated anchor gets -1, -2, ...
func Anchors(doc []byte) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fence := ""
	sc := bufio.NewScanner(bytes.NewReader(doc))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if f, ok := fenceOf(line); ok {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(f, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		text, ok := headingText(line)
		if !ok {
			continue
		}
		a := Slug(text)
		if n, dup := seen[a]; dup {
			seen[a] = n + 1
			a = fmt.Sprintf("%s-%d", a, n+1)
		} else {
			seen[a] = 0
		}
		out[a] = true
	}
	return out
}

// headingText is the text of an ATX heading (# to ######), with a closing
// run of # removed.
func headingText(line string) (string, bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || !strings.HasPrefix(t, "#") {
		return "", false
	}
	i := 0
	for i < len(t) && t[i] == '#' {
		i++
	}
	if i > 6 || (i < len(t) && t[i] != ' ' && t[i] != '\t') {
		return "", false
	}
	text := strings.TrimSpace(t[i:])
	text = strings.TrimSpace(strings.TrimRight(text, "#"))
	return text, true
}

var inlineLinkText = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)

// Slug is GitHub's anchor for a heading's text.
func Slug(text string) string {
	text = inlineLinkText.ReplaceAllString(text, "$1") // a link's text only
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Problem is a link that does not resolve.
type Problem struct {
	File   string // relative to the root
	Line   int
	Target string
	Why    string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Target, p.Why)
}

// Check resolves every relative link of the Markdown files (paths relative
// to root). Links with a scheme (https:, mailto:) are not followed.
func Check(root string, files []string) ([]Problem, error) {
	var problems []Problem
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := anchors[path]; ok {
			return a, nil
		}
		doc, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			return nil, err
		}
		anchors[path] = Anchors(doc)
		return anchors[path], nil
	}
	for _, file := range files {
		doc, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			return nil, err
		}
		for _, l := range Links(doc) {
			if why := resolve(root, file, l.Target, anchorsOf); why != "" {
				problems = append(problems, Problem{file, l.Line, l.Target, why})
			}
		}
	}
	return problems, nil
}

var scheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)

func resolve(root, file, target string, anchorsOf func(string) (map[string]bool, error)) string {
	if scheme.MatchString(target) || strings.HasPrefix(target, "//") {
		return ""
	}
	pathPart, fragment, _ := strings.Cut(target, "#")
	if p, err := url.PathUnescape(pathPart); err == nil {
		pathPart = p
	}
	dest := file
	if pathPart != "" {
		if strings.HasPrefix(pathPart, "/") {
			dest = filepath.Clean(strings.TrimPrefix(pathPart, "/"))
		} else {
			dest = filepath.Clean(filepath.Join(filepath.Dir(file), pathPart))
		}
		if dest == ".." || strings.HasPrefix(dest, "../") {
			return "points outside the repository"
		}
		if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
			return "no such file or directory: " + dest
		}
	}
	if fragment == "" || !strings.HasSuffix(strings.ToLower(dest), ".md") {
		return ""
	}
	a, err := anchorsOf(dest)
	if err != nil {
		return err.Error()
	}
	if !a[fragment] {
		return fmt.Sprintf("%s has no heading with the anchor #%s", dest, fragment)
	}
	return ""
}

// MarkdownFiles lists the .md files under root, relative to it, leaving
// out version control, build output and test data (which may hold
// Markdown that is input, not documentation).
func MarkdownFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "build", "bin", ".demo", "testdata", "node_modules", "vendor":
				if path != root {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".md") {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}
