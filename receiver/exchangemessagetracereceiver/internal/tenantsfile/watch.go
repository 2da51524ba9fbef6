package tenantsfile

import (
	"context"
	"time"
)

// Watch re-reads the file every interval and calls onChange with its
// entries whenever its content changed (or with the error when it no
// longer reads or parses; the caller keeps its previous list then). It
// compares content rather than modification times: Kubernetes updates a
// mounted ConfigMap by swapping a symlink, and editors save by renaming,
// both of which notification-based watchers can miss. Watch returns when
// ctx ends. last is the content the caller already applied.
func Watch(ctx context.Context, path string, interval time.Duration, last []byte, onChange func([]Entry, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		entries, data, err := Read(path)
		if data != nil && sameContent(data, last) {
			continue // unchanged: already applied, or already reported
		}
		if data != nil {
			last = data
		}
		if err != nil {
			// A missing file is reported once, not every interval.
			if err.Error() != lastErr {
				lastErr = err.Error()
				onChange(nil, err)
			}
			continue
		}
		lastErr = ""
		onChange(entries, nil)
	}
}
