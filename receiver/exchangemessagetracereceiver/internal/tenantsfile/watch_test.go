package tenantsfile

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stepClock is a clock the test moves by hand: Watch's timer fires when the
// test advances past it, and the test knows when Watch has handled it.
type stepClock struct {
	mu    sync.Mutex
	now   time.Time
	timer chan time.Time // Watch's pending timer (it keeps one at a time)
	at    time.Time
	armed chan struct{} // a value each time Watch asks for a timer
}

func newStepClock() *stepClock {
	return &stepClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), armed: make(chan struct{}, 1)}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.timer, c.at = ch, c.now.Add(d)
	c.mu.Unlock()
	c.armed <- struct{}{}
	return ch, func() {}
}

// tick moves the clock to Watch's timer and waits until Watch has looked
// at the file and asked for its next timer.
func (c *stepClock) tick(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	c.now = c.at
	c.timer <- c.now
	c.mu.Unlock()
	select {
	case <-c.armed:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not come back for its next timer")
	}
}

// A file written in place is applied only once it is complete and has
// stayed the same for the settle period: a writer caught mid-line, or
// pausing at a line's end over two checks (10 s; the old rule applied two
// equal reads one check apart), is not applied half-written. A writer that pauses at a line's end
// for longer than the settle period cannot be told from a finished one:
// that is why only a rename is safe, and the last case shows it.
func TestWatchAppliesAFileWrittenInPlaceOnlyOnceComplete(t *testing.T) {
	const interval, settle = 5 * time.Second, 10 * time.Second
	full := "- tenant_id: contoso.onmicrosoft.com\n- tenant_id: fabrikam.onmicrosoft.com\n"
	tests := []struct {
		name string
		// writes are the file's contents in turn, each held for the
		// given number of checks (intervals) before the next one.
		writes []string
		holds  []int
		want   []string // what onChange saw, in order
	}{
		{name: "paused mid-line for a minute: reported, not applied", writes: []string{full[:30], full}, holds: []int{12, 3},
			want: []string{"its last line has no newline", "contoso.onmicrosoft.com fabrikam.onmicrosoft.com"}},
		{name: "paused at a line's end for two checks (10 s)", writes: []string{full[:37], full}, holds: []int{2, 3},
			want: []string{"contoso.onmicrosoft.com fabrikam.onmicrosoft.com"}},
		{name: "complete file: applied after the settle period", writes: []string{full}, holds: []int{3},
			want: []string{"contoso.onmicrosoft.com fabrikam.onmicrosoft.com"}},
		{name: "complete but no final newline: reported, not applied", writes: []string{full[:len(full)-1]}, holds: []int{3},
			want: []string{"its last line has no newline"}},
		{name: "paused at a line's end past the settle period: applied (write by rename)", writes: []string{full[:37], full}, holds: []int{3, 3},
			want: []string{"contoso.onmicrosoft.com", "contoso.onmicrosoft.com fabrikam.onmicrosoft.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tenants.yaml")
			applied := []byte("- tenant_id: contoso.onmicrosoft.com\n- tenant_id: northwind.onmicrosoft.com\n")
			require.NoError(t, os.WriteFile(path, applied, 0o600))
			clock := newStepClock()
			var got []string
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				Watch(ctx, path, Timing{Clock: clock, Interval: interval, Settle: settle}, applied, func(es []Entry, err error) {
					if err != nil {
						got = append(got, "error: "+err.Error())
						return
					}
					ids := ""
					for i, e := range es {
						if i > 0 {
							ids += " "
						}
						ids += e.Fields["tenant_id"].(string)
					}
					got = append(got, ids)
				})
			}()
			<-clock.armed
			for i, content := range tt.writes {
				// In place: truncate and write, as `cat > file` does.
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
				require.NoError(t, err)
				_, err = f.WriteString(content)
				require.NoError(t, err)
				require.NoError(t, f.Close())
				for range tt.holds[i] {
					clock.tick(t)
				}
			}
			cancel()
			clock.mu.Lock()
			clock.timer <- clock.now // let Watch see ctx's end
			clock.mu.Unlock()
			<-done
			require.Len(t, got, len(tt.want), "%q", got)
			for i := range got {
				assert.Contains(t, got[i], tt.want[i])
			}
		})
	}
}
