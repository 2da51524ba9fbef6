//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

// customer is one customer tenant of the many-tenant simulator, by its
// number (1 is customer0001, as the simulator's flags count).
type customer struct {
	N        int
	ID       string
	Domain   string
	Name     string // customer0001
	Category string // the _sourceCategory its entry routes to
}

// customers lists the simulator's customer tenants (GET /admin/tenants,
// the home tenant left out), in the order of their numbers.
func (s *sim) customers() []customer {
	s.t.Helper()
	var list struct {
		Tenants []simulator.TenantInfo `json:"tenants"`
	}
	if err := json.Unmarshal(s.get(s.ep.Admin+"tenants"), &list); err != nil {
		s.t.Fatalf("tenants: %v", err)
	}
	var out []customer
	for _, in := range list.Tenants {
		if in.Home {
			continue
		}
		name, _, _ := strings.Cut(in.Domain, ".")
		var n int
		if _, err := fmt.Sscanf(name, "customer%d", &n); err != nil {
			s.t.Fatalf("tenant %s: domain %q is not customerNNNN", in.ID, in.Domain)
		}
		out = append(out, customer{N: n, ID: in.ID, Domain: in.Domain, Name: name, Category: "customers/" + name + "/o365"})
	}
	for i, c := range out {
		if c.N != i+1 {
			s.t.Fatalf("customer tenants out of order: %d at place %d", c.N, i+1)
		}
	}
	return out
}

// TenantInfo is one tenant's description and counters.
func (s *sim) TenantInfo(id string) simulator.TenantInfo {
	s.t.Helper()
	var in simulator.TenantInfo
	if err := json.Unmarshal(s.get(s.ep.Admin+"tenants/"+id), &in); err != nil {
		s.t.Fatalf("tenant %s: %v", id, err)
	}
	return in
}

// TenantTruth is one tenant's /admin/truth.
func (s *sim) TenantTruth(id string, start, end time.Time) []simulator.Row {
	s.t.Helper()
	q := url.Values{"start": {start.UTC().Format(time.RFC3339Nano)}, "end": {end.UTC().Format(time.RFC3339Nano)}}
	body := s.get(s.ep.Admin + "tenants/" + id + "/truth?" + q.Encode())
	var rows []simulator.Row
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			var r simulator.Row
			if err := json.Unmarshal(line, &r); err != nil {
				s.t.Fatalf("tenant %s truth line %q: %v", id, line, err)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// writeTenantsFile replaces path with the receiver's tenants file for cs
// (each routed to its own source category), plus extra lines as they are,
// in one rename so that the receiver never reads it half-written. It
// returns the file's line count before extra.
func writeTenantsFile(t *testing.T, path string, cs []customer, extra ...string) int {
	t.Helper()
	var b strings.Builder
	b.WriteString("# written by TestManyTenants\ntenants:\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "  - tenant_id: %s\n    organization: %s\n    resource_attributes: {customer: %s, _sourceCategory: %s}\n", c.ID, c.Domain, c.Name, c.Category)
	}
	lines := strings.Count(b.String(), "\n")
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return lines
}

// tenantLines groups what the source received by the tenant each row
// belongs to (by the truth of every tenant), in arrival order.
type tenantLines struct {
	checks    map[string]*simulator.DeliveryCheck // by tenant id
	lines     map[string]int                      // lines by tenant, copies included
	dups      []tenantDup
	firstSeen map[simulator.StatusKey]time.Time
	unknown   []string // lines of no tenant, malformed ones
}

type tenantDup struct {
	tenant string
	index  int // position of the copy among all lines
}

func groupLines(truth map[string][]simulator.Row, lines [][]byte, at []time.Time) (*tenantLines, map[simulator.StatusKey]string, error) {
	owner := map[simulator.StatusKey]string{}
	for id, rows := range truth {
		for _, r := range rows {
			if o, ok := owner[r.StatusKey()]; ok && o != id {
				return nil, nil, fmt.Errorf("row %v is in the truth of %s and %s: the test cannot tell them apart", r.StatusKey(), o, id)
			}
			owner[r.StatusKey()] = id
		}
	}
	g := &tenantLines{checks: map[string]*simulator.DeliveryCheck{}, lines: map[string]int{}, firstSeen: map[simulator.StatusKey]time.Time{}}
	for id := range truth {
		g.checks[id] = simulator.NewDeliveryCheck()
	}
	for i, l := range lines {
		row, err := parseLine(l)
		if err != nil {
			g.unknown = append(g.unknown, "malformed: "+truncate(l, 200))
			continue
		}
		id, ok := owner[row.Key]
		if !ok {
			g.unknown = append(g.unknown, "of no tenant: "+truncate(l, 200))
			continue
		}
		g.checks[id].Add(row)
		g.lines[id]++
		if _, seen := g.firstSeen[row.Key]; seen {
			g.dups = append(g.dups, tenantDup{tenant: id, index: i})
		} else {
			g.firstSeen[row.Key] = at[i]
		}
	}
	return g, owner, nil
}

// latencies are the export latencies (first seen at the source minus the
// row's visible-from time: its received time, as no row is delayed here)
// of the rows of tenants received in [from, to].
func latencies(truth map[string][]simulator.Row, tenants []customer, g *tenantLines, from, to time.Time) (d []time.Duration, missing int) {
	for _, c := range tenants {
		for _, r := range truth[c.ID] {
			if r.Received.Before(from) || r.Received.After(to) {
				continue
			}
			seen, ok := g.firstSeen[r.StatusKey()]
			if !ok {
				missing++
				continue
			}
			d = append(d, seen.Sub(r.Received))
		}
	}
	return d, missing
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	for i := range s { // insertion sort: a few hundred values
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// fieldsByTenant counts the source's lines by the microsoft.tenant.id and
// customer of their X-Sumo-Fields header.
func fieldsByTenant(st sumosink.Stats) (byID map[string]int64, customerOf map[string]string) {
	byID, customerOf = map[string]int64{}, map[string]string{}
	for header, n := range st.Fields {
		f := sumosink.ParseFields(header)
		id := f["microsoft.tenant.id"]
		byID[id] += n
		customerOf[id] = f["customer"]
	}
	return byID, customerOf
}

// tenantsFilePath is where the test keeps its tenants file.
func tenantsFilePath(tb *testbed) string { return filepath.Join(tb.dir, "tenants.yaml") }
