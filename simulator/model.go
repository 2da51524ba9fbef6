package simulator

import (
	"math"
	"slices"
	"sort"
	"time"
)

// model generates rows lazily: bucket b covers received times
// [b*width, (b+1)*width) since the Unix epoch, and its rows, sorted newest
// first, are a pure function of (seed, b). Explicit rows are merged into
// their buckets.
type model struct {
	seed       uint64
	cfg        ModelConfig
	width      time.Duration
	lambda     float64 // mean messages per bucket
	meanRcpt   float64
	statuses   []Status
	cumWeights []float64
	static     map[int64][]Row
	staticByID map[string][]Row
	// lowest is the oldest bucket that can hold a row.
	lowest int64
}

// bucketWidths are the candidate widths; the widest one whose mean message
// count stays small is chosen, so sparse models scan few empty buckets and
// dense ones never sort big buckets.
var bucketWidths = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second,
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	15 * time.Minute, 30 * time.Minute, time.Hour,
}

const targetMessagesPerBucket = 32

func newModel(seed uint64, cfg ModelConfig, static []Row) *model {
	m := &model{seed: seed, cfg: cfg, static: map[int64][]Row{}, staticByID: map[string][]Row{}}
	multi := min(max(cfg.MultiRecipientFraction, 0), 1)
	m.meanRcpt = 1 + multi*(float64(2+cfg.MaxRecipients)/2-1)
	msgsPerDay := max(cfg.RowsPerDay, 0) / m.meanRcpt
	m.width = time.Hour
	if msgsPerDay > 0 {
		ideal := time.Duration(targetMessagesPerBucket * float64(24*time.Hour) / msgsPerDay)
		m.width = bucketWidths[0]
		for _, w := range bucketWidths {
			if w <= ideal {
				m.width = w
			}
		}
	}
	m.lambda = msgsPerDay * float64(m.width) / float64(24*time.Hour)
	for s, w := range cfg.StatusWeights {
		if w > 0 {
			m.statuses = append(m.statuses, s)
		}
	}
	slices.Sort(m.statuses) // map order is random; the draw must not be
	total := 0.0
	for _, s := range m.statuses {
		total += cfg.StatusWeights[s]
		m.cumWeights = append(m.cumWeights, total)
	}
	for i := range m.cumWeights {
		m.cumWeights[i] /= total
	}
	for _, r := range static {
		r.Received = r.Received.UTC()
		if r.Status == "" {
			r.Status = StatusDelivered
		}
		b := m.bucketOf(r.Received)
		m.static[b] = append(m.static[b], r)
		m.staticByID[r.ID] = append(m.staticByID[r.ID], r)
	}
	m.lowest = int64(1) << 62
	if m.lambda > 0 {
		m.lowest = m.bucketOf(cfg.From)
	}
	for b := range m.static {
		m.lowest = min(m.lowest, b)
	}
	return m
}

func (m *model) bucketOf(t time.Time) int64 {
	d := t.UnixNano()
	w := int64(m.width)
	if d < 0 {
		return (d - w + 1) / w
	}
	return d / w
}

func (m *model) bucketStart(b int64) time.Time { return time.Unix(0, b*int64(m.width)).UTC() }

// bucket appends bucket b's rows, newest first, to buf. Rows outside the
// model's From/To are left out; rows in the future are not (callers filter
// by their own now).
func (m *model) bucket(b int64, buf []Row) []Row {
	start := len(buf)
	if m.lambda > 0 {
		buf = m.generate(b, buf)
	}
	if st := m.static[b]; len(st) > 0 {
		buf = append(buf, st...)
		// Stable: model rows keep their order, explicit rows keep theirs.
		sort.SliceStable(buf[start:], func(i, j int) bool {
			return buf[start+i].Received.After(buf[start+j].Received)
		})
	}
	return buf
}

func (m *model) generate(b int64, buf []Row) []Row {
	r := newRNG(m.seed, uint64(b))
	n := r.poisson(m.lambdaAt(b))
	if n == 0 {
		return buf
	}
	bs := m.bucketStart(b)
	ticks := int(m.width / 100) // 100 ns ticks, the legacy report's resolution
	offs := make([]int, n)
	for i := range offs {
		offs[i] = r.intn(ticks)
	}
	slices.Sort(offs)
	slices.Reverse(offs)
	for j, off := range offs {
		received := bs.Add(time.Duration(off) * 100)
		if received.Before(m.cfg.From) || (!m.cfg.To.IsZero() && !received.Before(m.cfg.To)) {
			continue
		}
		buf = m.message(b, j, received, buf)
	}
	return buf
}

// lambdaAt is bucket b's mean message count, with the daily swing.
func (m *model) lambdaAt(b int64) float64 {
	swing := min(max(m.cfg.DailySwing, 0), 0.99)
	if swing == 0 {
		return m.lambda
	}
	mid := m.bucketStart(b).Add(m.width / 2)
	hours := float64(mid.Hour()) + float64(mid.Minute())/60 + float64(mid.Second())/3600
	return m.lambda * (1 + swing*math.Sin(2*math.Pi*(hours-9)/24))
}
