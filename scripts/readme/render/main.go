// Command render writes the generated sections of the README and of the
// pages under docs/ (package readme): the field reference from FIELDS.md
// and, when -figures names a records file of the e2e suite, the fault-test
// figures. Each section goes wherever its markers stand among the pages
// given; a section that none holds is an error. Run from the repository
// root (make readme):
//
//	go run ./scripts/readme/render -figures build/e2e-figures.jsonl README.md docs/*.md
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
)

func main() {
	figures := flag.String("figures", "", "the e2e suite's records (E2E_FIGURES); empty: leave the figures as they are")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: render [-figures FILE] PAGE.md...")
		os.Exit(2)
	}
	if err := render(flag.Args(), readme.FieldsMD, *figures); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

// render fills the sections of the pages at paths and writes the pages it
// changed.
func render(paths []string, fieldsPath, figuresPath string) error {
	docs := map[string][]byte{}
	for _, p := range paths {
		doc, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		docs[p] = doc
	}
	fields, err := os.ReadFile(fieldsPath)
	if err != nil {
		return fmt.Errorf("%w (run from the repository root)", err)
	}
	content := map[string]string{readme.FieldsSection: readme.Fields(fields)}
	if figuresPath != "" {
		data, err := os.ReadFile(figuresPath)
		if err != nil {
			return fmt.Errorf("%w (run `make e2e-test` first)", err)
		}
		figs, err := readme.ReadFigures(data)
		if err != nil {
			return fmt.Errorf("%s: %w", figuresPath, err)
		}
		content[readme.FiguresSection] = readme.Figures(figs)
	}
	changed, err := readme.Render(docs, content)
	if err != nil {
		return err
	}
	for p, doc := range changed {
		if err := os.WriteFile(p, doc, 0o644); err != nil {
			return err
		}
	}
	return nil
}
