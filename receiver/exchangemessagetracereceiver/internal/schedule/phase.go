package schedule

import (
	"hash/fnv"
	"time"
)

// phase is where in each interval a tenant polls, as an offset from the
// Unix epoch's interval grid: stable for a tenant id, uniform across ids.
func phase(id string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(interval))
}

// nextAt is the first time after t that is at the tenant's phase.
func nextAt(t time.Time, ph, interval time.Duration) time.Time {
	if interval <= 0 {
		return t
	}
	grid := t.Truncate(interval).Add(ph)
	for !grid.After(t) {
		grid = grid.Add(interval)
	}
	return grid
}
