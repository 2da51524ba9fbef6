package simulator

import (
	"fmt"
	"time"
)

// DeliveryCheck compares what a destination received with the truth: add
// rows as they arrive (in arrival order), compare whenever. The e2e tests
// and the demo's summary both judge deliveries with it.
type DeliveryCheck struct {
	// first holds the received time of the first copy of each key.
	first     map[StatusKey]time.Time
	rows      int
	malformed int
	dupAt     []int
	newest    time.Time
	samples   []string
}

// NewDeliveryCheck is an empty check.
func NewDeliveryCheck() *DeliveryCheck {
	return &DeliveryCheck{first: map[StatusKey]time.Time{}}
}

// AddLine adds an exported line (a row's JSON object); a line that is not
// one counts as malformed.
func (c *DeliveryCheck) AddLine(line []byte) {
	r, err := ParseExportedLine(line)
	if err != nil {
		c.rows++
		c.malformed++
		c.sample("malformed: %v", err)
		return
	}
	c.Add(r)
}

// AddMap adds a row delivered as a map (an OTLP map body).
func (c *DeliveryCheck) AddMap(m map[string]any) {
	r, err := ExportedRowFromMap(m)
	if err != nil {
		c.rows++
		c.malformed++
		c.sample("malformed: %v: %v", err, m)
		return
	}
	c.Add(r)
}

// Add adds a delivered row.
func (c *DeliveryCheck) Add(r ExportedRow) {
	i := c.rows
	c.rows++
	if _, seen := c.first[r.Key]; seen {
		c.dupAt = append(c.dupAt, i)
		return
	}
	c.first[r.Key] = r.Received
	if r.Received.After(c.newest) {
		c.newest = r.Received
	}
}

// Distinct is how many different (row, status) were delivered.
func (c *DeliveryCheck) Distinct() int { return len(c.first) }

// Duplicated is how many extra copies were delivered so far.
func (c *DeliveryCheck) Duplicated() int { return len(c.dupAt) }

// Newest is the latest received time among the delivered rows.
func (c *DeliveryCheck) Newest() time.Time { return c.newest }

// Delivery is a comparison of deliveries with the truth up to a cutoff.
type Delivery struct {
	Truth      int // truth rows received up to the cutoff
	Rows       int // rows delivered (all of them, copies and malformed included)
	Delivered  int // truth rows delivered at least once
	Missing    int // truth rows never delivered
	Duplicated int // extra copies
	Beyond     int // rows received after the cutoff (not judged)
	Unexpected int // rows up to the cutoff that match no truth row
	Malformed  int // deliveries that are not a row
	// DupAt holds the arrival index of each extra copy.
	DupAt []int
	// Samples are up to 10 of the problems, for a failure message.
	Samples []string
}

func (d Delivery) String() string {
	return fmt.Sprintf("truth %d rows, %d rows received: %d delivered, %d missing, %d duplicated, %d unexpected, %d malformed, %d newer than the window",
		d.Truth, d.Rows, d.Delivered, d.Missing, d.Duplicated, d.Unexpected, d.Malformed, d.Beyond)
}

// Compare judges what was added against truth (each row in its final
// status) received up to cutoff.
func (c *DeliveryCheck) Compare(truth []Row, cutoff time.Time) Delivery {
	d := Delivery{Rows: c.rows, Malformed: c.malformed, Duplicated: len(c.dupAt), DupAt: append([]int(nil), c.dupAt...),
		Samples: append([]string(nil), c.samples...)}
	want := make(map[StatusKey]bool, len(truth))
	for _, r := range truth {
		if !r.Received.After(cutoff) {
			want[r.StatusKey()] = true
		}
	}
	d.Truth = len(want)
	for k, received := range c.first {
		switch {
		case want[k]:
			d.Delivered++
		case received.After(cutoff):
			d.Beyond++
		default:
			d.Unexpected++
			d.sample("unexpected row %s (received %s)", k, received.Format(time.RFC3339Nano))
		}
	}
	for k := range want {
		if _, ok := c.first[k]; !ok {
			d.Missing++
			d.sample("missing: %s", k)
		}
	}
	return d
}

// CompareLines is a DeliveryCheck of lines against truth up to cutoff.
func CompareLines(truth []Row, lines [][]byte, cutoff time.Time) Delivery {
	c := NewDeliveryCheck()
	for _, l := range lines {
		c.AddLine(l)
	}
	return c.Compare(truth, cutoff)
}

func (c *DeliveryCheck) sample(format string, args ...any) {
	if len(c.samples) < 10 {
		c.samples = append(c.samples, fmt.Sprintf(format, args...))
	}
}

func (d *Delivery) sample(format string, args ...any) {
	if len(d.Samples) < 10 {
		d.Samples = append(d.Samples, fmt.Sprintf(format, args...))
	}
}
