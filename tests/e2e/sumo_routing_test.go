//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
)

// routingExample is the section of docs/configuration.md ("Sumo Logic
// routing") holding the routing example (a YAML block).
const routingExample = "sumo-routing-example"

// TestSumoLogicRouting: config/sumologic.yaml with the docs' routing
// example as a second --config file, as the docs say to run it. Every
// upload the fake Sumo Logic source records carries the example's
// _sourceCategory, _sourceName and _sourceHost as X-Sumo-Category, -Name
// and -Host, and as X-Sumo-Fields the receiver's resource attributes the
// example keeps (cloud.provider, exchange.message_trace.api) plus its field
// (team=mail); the deleted microsoft.tenant.id is not among them.
func TestSumoLogicRouting(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	bins := requireBinaries(t)
	tb := newTestbed(t, bins, historyArgs(0.1, 2000)...) // 200 rows over 2.4 hours
	example := filepath.Join(tb.dir, "sumo-routing.yaml")
	if err := os.WriteFile(example, []byte(readmeYAMLBlock(t, routingExample)), 0o600); err != nil {
		t.Fatal(err)
	}
	cutoff := tb.sim.started.Add(-shippedDelay - 2*time.Second)
	truth := tb.sim.Truth(tb.sim.started.Add(-3*time.Hour), cutoff)
	col := tb.startShipped(t, bins, "sumologic.yaml", shippedEnv(t, tb, "graph"), example)
	if !waitFor(60*time.Second, func() bool { return tb.sim.SumoStats().Lines >= int64(len(truth)) }) {
		t.Fatalf("%d of %d rows after 60s", tb.sim.SumoStats().Lines, len(truth))
	}
	col.Stop()

	lines := tb.sim.Lines()
	requireComplete(t, compare(truth, lines, cutoff), 0)
	st := tb.sim.SumoStats()
	t.Logf("uploads: categories %v, names %v, hosts %v, fields %v", st.Categories, st.Names, st.Hosts, st.Fields)
	for header, got := range map[string]map[string]int64{
		"X-Sumo-Category security/o365/messagetrace": st.Categories,
		"X-Sumo-Name exchange-message-trace":         st.Names,
		"X-Sumo-Host otelcol":                        st.Hosts,
	} {
		_, value, _ := strings.Cut(header, " ")
		if got[value] != st.Lines || len(got) != 1 {
			t.Errorf("%s: lines by value %v, want all %d lines", header, got, st.Lines)
		}
	}
	requireSumoFields(t, st, map[string]string{"cloud.provider": "azure", "exchange.message_trace.api": "graph", "team": "mail"})
}

// readmeYAMLBlock is the fenced YAML block inside a marked section of the
// README or of a page under docs/.
func readmeYAMLBlock(t *testing.T, section string) string {
	t.Helper()
	page, s, err := readme.FindSection(filepath.Join("..", ".."), section)
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(s, "```yaml\n")
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatalf("%s: section %s holds no ```yaml block", page, section)
	}
	return block
}
