package simulator

import (
	"sync"
	"time"
)

// quota is the tenant's rolling request log: at most limit requests in any
// window; a request over the limit is refused and not counted, as Microsoft
// counts what it serves.
type quota struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	sent   []time.Time
}

// admit records a request at now, or returns how long until one would fit.
func (q *quota) admit(now time.Time) (bool, time.Duration) {
	if q.limit <= 0 {
		return true, 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	cut := 0
	for cut < len(q.sent) && !q.sent[cut].After(now.Add(-q.window)) {
		cut++
	}
	q.sent = q.sent[cut:]
	if len(q.sent) >= q.limit {
		return false, q.sent[0].Add(q.window).Sub(now)
	}
	q.sent = append(q.sent, now)
	return true, 0
}
