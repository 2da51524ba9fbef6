//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// sinkClock stamps every line the fake Sumo Logic source receives with the
// time it was first seen, polling the source every 50ms (the source keeps
// no receive time per line). It runs in its own goroutine, so it reports
// HTTP errors in its err field instead of failing the test.
type sinkClock struct {
	admin string
	http  *http.Client

	mu    sync.Mutex
	lines [][]byte
	at    []time.Time
	err   error

	done, stopped chan struct{}
}

func startSinkClock(s *sim) *sinkClock { return startSinkClockEvery(s, 50*time.Millisecond) }

// startSinkClockEvery polls every period: a coarser clock for a source
// holding many lines (each look fetches them all).
func startSinkClockEvery(s *sim, period time.Duration) *sinkClock {
	c := &sinkClock{admin: s.ep.SumoAdmin, http: &http.Client{Timeout: 5 * time.Second},
		done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(c.stopped)
		var seen int64 = -1
		for {
			n, err := c.count()
			if err == nil && n != seen {
				seen = n
				err = c.fetch()
			}
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
			}
			select {
			case <-c.done:
				return
			case <-time.After(period):
			}
		}
	}()
	return c
}

func (c *sinkClock) count() (int64, error) {
	b, err := c.get("stats")
	if err != nil {
		return 0, err
	}
	var st struct {
		Lines int64 `json:"lines"`
	}
	return st.Lines, json.Unmarshal(b, &st)
}

func (c *sinkClock) fetch() error {
	b, err := c.get("lines")
	if err != nil {
		return err
	}
	now := time.Now()
	var lines [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.lines); i < len(lines); i++ {
		c.lines = append(c.lines, lines[i])
		c.at = append(c.at, now)
	}
	return nil
}

func (c *sinkClock) get(path string) ([]byte, error) {
	resp, err := c.http.Get(c.admin + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// stop ends the polling after a last look, and returns every line with the
// time it was first seen.
func (c *sinkClock) stop() ([][]byte, []time.Time, error) {
	close(c.done)
	<-c.stopped
	err := c.fetch()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		err = c.err
	}
	return c.lines, c.at, err
}
