package tenantsfile

import (
	"bytes"
	"context"
	"os"
	"time"
)

// Watch re-reads the file every interval and calls onChange with its
// entries once its content changed and then stayed the same for one more
// interval (or with the error when it no longer reads or parses; the
// caller keeps its previous list then). Waiting for two equal reads keeps a
// file caught half-written (an editor saving in place, a copy in progress)
// from being applied: its first half is a valid, shorter list, and applying
// it would stop the tenants of the second half. It compares content rather
// than modification times: Kubernetes updates a mounted ConfigMap by
// swapping a symlink, and editors save by renaming, both of which
// notification-based watchers can miss. Watch returns when ctx ends.
// applied is the content the caller already applied.
func Watch(ctx context.Context, path string, interval time.Duration, applied []byte, onChange func([]Entry, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var appliedErr string // the failure last reported, "" when applied parsed
	var seen []byte       // what the previous read found, while it differs from applied
	var seenErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Parse only what changed: with a thousand tenants the YAML is the
		// costly part of a check, and the file rarely changes.
		data, readErr := os.ReadFile(path)
		if readErr == nil && appliedErr == "" && bytes.Equal(data, applied) {
			seen, seenErr = nil, ""
			continue
		}
		entries, data, err := Read(path)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if bytes.Equal(data, applied) && errText == appliedErr {
			seen, seenErr = nil, ""
			continue
		}
		if !bytes.Equal(data, seen) || errText != seenErr {
			seen, seenErr = data, errText // changed: wait for it to settle
			if seen == nil {
				seen = []byte{}
			}
			continue
		}
		// The same content (or the same failure) twice in a row: apply it,
		// or report it once.
		applied, appliedErr, seen, seenErr = data, errText, nil, ""
		onChange(entries, err)
	}
}
