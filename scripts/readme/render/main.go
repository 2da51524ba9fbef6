// Command render writes the README's generated sections (package readme):
// the field reference from FIELDS.md and, when -figures names a records
// file of the e2e suite, the fault-test figures. Run from the repository
// root (make readme):
//
//	go run ./scripts/readme/render -figures build/e2e-figures.jsonl README.md
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
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: render [-figures FILE] README.md")
		os.Exit(2)
	}
	if err := render(flag.Arg(0), *figures); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func render(path, figuresPath string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fields, err := os.ReadFile(readme.FieldsMD)
	if err != nil {
		return fmt.Errorf("%w (run from the repository root)", err)
	}
	if doc, err = readme.Replace(doc, readme.FieldsSection, readme.Fields(fields)); err != nil {
		return err
	}
	if figuresPath != "" {
		data, err := os.ReadFile(figuresPath)
		if err != nil {
			return fmt.Errorf("%w (run `make e2e-test` first)", err)
		}
		figs, err := readme.ReadFigures(data)
		if err != nil {
			return fmt.Errorf("%s: %w", figuresPath, err)
		}
		if doc, err = readme.Replace(doc, readme.FiguresSection, readme.Figures(figs)); err != nil {
			return err
		}
	}
	return os.WriteFile(path, doc, 0o644)
}
