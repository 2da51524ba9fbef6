//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/scripts/readme"
)

// TestHAOneLeader: two replicas on one lease and one PostgreSQL, with a
// backfill that needs more requests than the budget allows, and the leader
// killed once half-way through its budget. From the simulator's request
// log: only one replica sends at a time (a handover takes a lease period),
// and each tenant's requests, both replicas together, stay within
// max_requests_per_5m in any rolling 5 minutes (the new leader takes the
// budget over from the shared storage with the checkpoint). With one
// tenant, then with ten (`tenants:`), all following the one lease.
func TestHAOneLeader(t *testing.T) {
	t.Parallel()
	bins := requireBinaries(t)
	for _, tc := range []struct {
		name    string
		tenants int
	}{{"one_tenant", 0}, {"ten_tenants", 10}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // waits on the processes, little CPU
			testOneLeader(t, bins, tc.tenants)
		})
	}
}

func testOneLeader(t *testing.T, bins binaries, tenants int) {
	const (
		budget   = 20
		pageSize = 100
		// 5,000 rows of history per tenant: 50 pages, more than the budget.
		days, perDay = 0.25, 20000
	)
	fig := recordFigures(t, fmt.Sprintf("2 replicas, %d tenant(s), max_requests_per_5m %d against a backfill of 50 pages per tenant; the leader SIGKILLed half-way through its budget (%s)",
		max(tenants, 1), budget, haLease))
	simArgs := historyArgs(days, perDay)
	if tenants > 0 {
		simArgs = append(historyArgs(days, 0), "-tenants", fmt.Sprint(tenants), "-tenant-spread", "fixed",
			"-tenant-rows-max", fmt.Sprint(perDay))
	}
	var entries []yamlMap // the tenants: list, known once the simulator runs
	tb, rs := startHA(t, bins, simArgs, 7*time.Hour, func(cfg yamlMap) {
		rcv := receiverOf(cfg)
		rcv["page_size"] = pageSize
		rcv["max_requests_per_5m"] = budget
		if entries != nil {
			delete(rcv, "tenant_id")
			rcv["tenants"] = entries
		}
	})
	// Pages that take 200ms to export, so that the kill lands half-way
	// through the budget rather than after it.
	tb.sim.SumoSlow(10*time.Minute, 200*time.Millisecond)
	ids := []string{tb.sim.ep.TenantID}
	if tenants > 0 {
		ids = nil
		for _, c := range tb.sim.customers() {
			ids = append(ids, c.ID)
			entries = append(entries, yamlMap{"tenant_id": c.ID, "organization": c.Domain})
		}
	}

	began, first := rs.StartAllAndWaitLeader()
	leader := first.Client
	t.Logf("replica %s leads %s after the start", leader, first.Time.Sub(began).Round(time.Millisecond))

	// Kill the leader once it has spent half of the budget (of every tenant).
	half := len(ids) * budget / 2
	if !waitFor(60*time.Second, func() bool { return len(tb.sim.Requests(began)) >= half }) {
		t.Fatalf("only %d requests within 60s, want %d", len(tb.sim.Requests(began)), half)
	}
	killAt := time.Now()
	rs.Kill(leader)
	next, ok := rs.waitSender(killAt, leader, 30*time.Second)
	if !ok {
		t.Fatalf("no new leader within 30s of killing %s", leader)
	}
	failover := next.Time.Sub(killAt)
	rs.Start(leader) // back as the standby

	// Until every tenant has spent its budget, and 10s more, in which the
	// budget must hold the rest of the backfill back.
	spent := func() bool {
		reqs := tb.sim.Requests(began)
		for _, id := range ids {
			if maxPerWindow(reqs, id, 5*time.Minute) < budget {
				return false
			}
		}
		return true
	}
	if !waitFor(60*time.Second, spent) {
		t.Logf("not every tenant spent its budget within 60s")
	}
	time.Sleep(10 * time.Second)
	rs.StopAll()

	reqs := tb.sim.Requests(began)
	all := rs.checkOneSender(reqs, 1) // the one SIGKILL
	t.Logf("failover (kill to the new leader's first request) %s", failover.Round(time.Millisecond))
	var peaks []string
	peak, throttled := 0, 0
	for _, id := range ids {
		p := maxPerWindow(reqs, id, 5*time.Minute)
		peaks = append(peaks, fmt.Sprint(p))
		peak = max(peak, p)
		if p > budget {
			t.Errorf("tenant %s: %d requests in a rolling 5 minutes from both replicas, more than max_requests_per_5m %d "+
				"(the new leader takes the budget from storage, as of the old leader's last write)", id, p, budget)
		}
	}
	for _, r := range reqs {
		if r.Status == 429 {
			throttled++
		}
	}
	if throttled > 0 {
		t.Errorf("the simulator throttled %d requests", throttled)
	}

	lines := tb.sim.Lines()
	d := compare(nil, lines, time.Now())
	t.Logf("requests per tenant in the run: %s (budget %d); %d lines, %d repeated", strings.Join(peaks, " "), budget, len(lines), d.Duplicated)
	if d.Duplicated > pageSize*len(ids) {
		t.Errorf("%d rows repeated by one failover, more than the page in flight of each tenant (%d)", d.Duplicated, pageSize*len(ids))
	}
	if d.Malformed > 0 {
		t.Errorf("%d malformed lines", d.Malformed)
	}
	assertNoSecretsInLines(t, lines)
	fig.Repeated = readme.Count(d.Duplicated)
	fig.Promise = fmt.Sprintf("one replica at a time; ≤ %d requests per tenant per 5 min, both replicas together", budget)
	fig.Other = fmt.Sprintf("handovers %d, shortest %s; most requests of a tenant in 5 min %d of %d; failover %s",
		len(all), shortestGap(all), peak, budget, failover.Round(10*time.Millisecond))
}
