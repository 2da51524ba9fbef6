//go:build e2e

package e2e

import (
	"fmt"
	"time"
)

// senderRun is a stretch of consecutive requests from one client.
type senderRun struct {
	client      string
	first, last time.Time
	n           int
}

func senderRuns(reqs []simRequest) []senderRun {
	var runs []senderRun
	for _, r := range reqs {
		if k := len(runs) - 1; k >= 0 && runs[k].client == r.Client {
			runs[k].last = r.Time
			runs[k].n++
			continue
		}
		runs = append(runs, senderRun{client: r.Client, first: r.Time, last: r.Time, n: 1})
	}
	return runs
}

// handover is a change of the client sending requests.
type handover struct {
	from, to string
	gap      time.Duration // the new sender's first request after the old one's last
}

// handovers lists every change of sender; overlaps are those shorter than
// minGap: two replicas collecting within one lease period.
func handovers(reqs []simRequest, minGap time.Duration) (all, overlaps []handover) {
	runs := senderRuns(reqs)
	for i := 1; i < len(runs); i++ {
		h := handover{from: runs[i-1].client, to: runs[i].client, gap: runs[i].first.Sub(runs[i-1].last)}
		all = append(all, h)
		if h.gap < minGap {
			overlaps = append(overlaps, h)
		}
	}
	return all, overlaps
}

// shortestGap is the quickest of the handovers ("none" without any).
func shortestGap(hs []handover) string {
	if len(hs) == 0 {
		return "none"
	}
	g := hs[0].gap
	for _, h := range hs[1:] {
		g = min(g, h.gap)
	}
	return g.Round(10 * time.Millisecond).String()
}

func (h handover) String() string {
	return fmt.Sprintf("%s->%s after %s", h.from, h.to, h.gap.Round(time.Millisecond))
}

// minHandoverGap is the shortest a handover may take when no replica
// sends while another holds the lease. The new leader's first request
// comes at least a lease duration after the last renewal it saw; the old
// leader may collect until its renew deadline has passed since its last
// renewal (then client-go ends its leadership). So the two overlap only
// if a handover is quicker than lease duration minus renew deadline, the
// margin client-go keeps between them.
func minHandoverGap(l leaseSettings) time.Duration { return l.Duration - l.RenewDeadline }

// maxPerWindow is the most requests of tenant (any client, any status)
// within any window of length w.
func maxPerWindow(reqs []simRequest, tenant string, w time.Duration) int {
	var times []time.Time
	for _, r := range reqs {
		if r.Tenant == tenant {
			times = append(times, r.Time)
		}
	}
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// byClient counts requests by client.
func byClient(reqs []simRequest) map[string]int {
	m := map[string]int{}
	for _, r := range reqs {
		m[r.Client]++
	}
	return m
}

// spread is min, median and max of d, for the figures.
func spread(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	r := func(q float64) time.Duration { return quantile(d, q).Round(10 * time.Millisecond) }
	return fmt.Sprintf("min %s, median %s, max %s", r(0), r(0.5), r(1))
}

// checkOneSender judges the request log of a run with want failovers: no
// two replicas send within one lease period, and the sender changes want
// times, as the lease's holder did. It returns the request log's
// handovers.
func (rs *replicaSet) checkOneSender(reqs []simRequest, want int) []handover {
	t := rs.t
	t.Helper()
	all, overlaps := handovers(reqs, minHandoverGap(haLease))
	lease := rs.leaseHandovers()
	t.Logf("%d requests by replica %v; handovers in the request log %v, of the lease %v", len(reqs), byClient(reqs), all, lease)
	if len(overlaps) > 0 {
		t.Errorf("two replicas sent within one lease period (a handover under %s): %v", minHandoverGap(haLease), overlaps)
	}
	if len(all) != want {
		t.Errorf("%d handovers in the request log, want %d: %v", len(all), want, all)
	}
	if len(lease) != want {
		t.Errorf("the lease changed holder %d times, want %d: %v", len(lease), want, lease)
	} else if len(all) == want {
		for i, h := range all {
			if h.from+"->"+h.to != lease[i] {
				t.Errorf("handover %d: the request log says %s, the lease %s", i+1, h, lease[i])
			}
		}
	}
	return all
}
