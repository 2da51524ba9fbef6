//go:build e2e

package e2e

import (
	"fmt"
	"sync"
	"time"
)

// statusWatch samples the receiver's component status every 100ms and
// counts its transitions.
type statusWatch struct {
	mu      sync.Mutex
	done    chan struct{}
	stopped chan struct{}
	s       statusSummary
}

type statusSummary struct {
	samples         int
	byStatus        map[string]int
	toError, toOK   int
	firstErrorText  string
	lastReceiver    string
	unhealthyAnswer int // non-200 answers
}

func (h statusSummary) String() string {
	return fmt.Sprintf("%d samples %v; to error %d times, error->OK %d times, non-200 answers %d; first error: %q",
		h.samples, h.byStatus, h.toError, h.toOK, h.unhealthyAnswer, truncate([]byte(h.firstErrorText), 160))
}

func watchReceiverStatus(col *collectorProc) *statusWatch {
	w := &statusWatch{done: make(chan struct{}), stopped: make(chan struct{}), s: statusSummary{byStatus: map[string]int{}}}
	go func() {
		defer close(w.stopped)
		for {
			select {
			case <-w.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			h, ok := col.Health()
			if !ok || h.Receiver == "" {
				continue
			}
			w.mu.Lock()
			s := &w.s
			s.samples++
			s.byStatus[h.Receiver]++
			if h.Code != 200 {
				s.unhealthyAnswer++
			}
			switch {
			// From OK, or from the start (a first poll that already failed).
			case h.Receiver == "StatusRecoverableError" && s.lastReceiver != "StatusRecoverableError":
				s.toError++
			case h.Receiver == "StatusOK" && s.lastReceiver == "StatusRecoverableError":
				s.toOK++
			}
			if h.Receiver == "StatusRecoverableError" && s.firstErrorText == "" {
				s.firstErrorText = h.ReceiverError
			}
			s.lastReceiver = h.Receiver
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *statusWatch) snapshot() statusSummary {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.s
	s.byStatus = map[string]int{}
	for k, v := range w.s.byStatus {
		s.byStatus[k] = v
	}
	return s
}

func (w *statusWatch) stop() {
	close(w.done)
	<-w.stopped
}
