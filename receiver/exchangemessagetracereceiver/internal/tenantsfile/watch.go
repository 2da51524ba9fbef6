package tenantsfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
)

// Timing is how Watch looks at the file: every Interval on Clock, and a
// change is applied once it has stayed the same for Settle.
type Timing struct {
	Clock    schedule.Clock
	Interval time.Duration
	Settle   time.Duration
}

// Watch re-reads the file every interval and calls onChange with its
// entries once its content changed and then stayed the same (bytes, size
// and modification time) for the settle period on the injected clock, and
// it ends with a newline (or with the error when it no longer reads or
// parses; the caller keeps its previous list then). Watch returns when ctx
// ends. applied is the content the caller already applied.
//
// Why: a file written in place (an editor saving over it, `cat > file`, a
// copy in progress) can be read half-written, and its first part is often a
// valid, shorter list whose application would stop the tenants of the rest.
// Waiting for it to settle and for its final newline keeps a writer caught
// mid-line, or one that pauses for less than the settle period, from being
// applied. No rule can tell a writer paused longer than that at a line's end
// from a finished one: only a file replaced whole (written aside, then
// renamed over it, as editors with atomic save, `mv` and Kubernetes'
// ConfigMap volumes do) is never read half-written. Content is compared
// rather than notifications awaited: Kubernetes updates a mounted ConfigMap
// by swapping a symlink, and editors save by renaming, both of which
// notification-based watchers can miss.
func Watch(ctx context.Context, path string, timing Timing, applied []byte, onChange func([]Entry, error)) {
	var appliedErr string // the failure last reported, "" when applied parsed
	var seen *snapshot    // the latest read that differs from applied
	var seenAt time.Time  // since when it has stayed the same
	for {
		fire, stop := timing.Clock.After(timing.Interval)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-fire:
		}
		snap := readSnapshot(path)
		// Parse only what changed: with a thousand tenants the YAML is the
		// costly part of a check, and the file rarely changes.
		if snap.readErr == nil && appliedErr == "" && bytes.Equal(snap.data, applied) {
			seen = nil
			continue
		}
		entries, err := snap.parse(path)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if bytes.Equal(snap.data, applied) && errText == appliedErr {
			seen = nil
			continue
		}
		snap.errText = errText
		now := timing.Clock.Now()
		if seen == nil || !seen.same(snap) {
			seen, seenAt = snap, now // changed: wait for it to settle
			continue
		}
		if now.Sub(seenAt) < timing.Settle {
			continue
		}
		// The same content (or the same failure) for the settle period:
		// apply it, or report it once.
		applied, appliedErr, seen = snap.data, errText, nil
		onChange(entries, err)
	}
}

// snapshot is one read of the file.
type snapshot struct {
	data    []byte
	size    int64
	modTime time.Time
	readErr error
	errText string // the read's or parse's failure, as reported
}

// readSnapshot reads the file and its size and modification time through
// one open file, so that all three are of the same file even when it is
// replaced meanwhile.
func readSnapshot(path string) *snapshot {
	f, err := os.Open(path)
	if err != nil {
		return &snapshot{readErr: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return &snapshot{readErr: err}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return &snapshot{readErr: err}
	}
	return &snapshot{data: data, size: fi.Size(), modTime: fi.ModTime()}
}

// errNoFinalNewline says the file's last line is not ended: a writer may
// be in the middle of it.
var errNoFinalNewline = errors.New("its last line has no newline, as a file caught half-written has not: " +
	"if the file is complete, end it with a newline; write the file aside and rename it over the old one (never in place)")

// parse is Read's result for the snapshot, and a file that does not end
// with a newline is not complete.
func (s *snapshot) parse(path string) ([]Entry, error) {
	if s.readErr != nil {
		return nil, s.readErr
	}
	if len(s.data) > 0 && s.data[len(s.data)-1] != '\n' {
		return nil, fmt.Errorf("%s: %w", path, errNoFinalNewline)
	}
	entries, err := Parse(s.data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// same tells whether two reads found the same file: content, size and
// modification time (a writer rewriting the same bytes is still writing).
func (s *snapshot) same(o *snapshot) bool {
	return bytes.Equal(s.data, o.data) && s.size == o.size && s.modTime.Equal(o.modTime) && s.errText == o.errText
}
