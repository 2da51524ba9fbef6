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

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/schedule"
)

func TestParse(t *testing.T) {
	t.Setenv("CONTOSO_SECRET", "s3cr3t")
	tests := []struct {
		name    string
		in      string
		want    []Entry
		wantErr string
	}{
		{name: "empty file", in: ""},
		{name: "a list", in: "- tenant_id: a\n- tenant_id: b\n  organization: b.onmicrosoft.com\n", want: []Entry{
			{Index: 0, Line: 1, Fields: map[string]any{"tenant_id": "a"}},
			{Index: 1, Line: 2, Fields: map[string]any{"tenant_id": "b", "organization": "b.onmicrosoft.com"}},
		}},
		{name: "under tenants:", in: "# customers\ntenants:\n  - tenant_id: a\n    resource_attributes: {customer: acme}\n", want: []Entry{
			{Index: 0, Line: 3, Fields: map[string]any{"tenant_id": "a", "resource_attributes": map[string]any{"customer": "acme"}}},
		}},
		{name: "env reference", in: "- tenant_id: c\n  client_secret: ${env:CONTOSO_SECRET}\n", want: []Entry{
			{Index: 0, Line: 1, Fields: map[string]any{"tenant_id": "c", "client_secret": "s3cr3t"}},
		}},
		{name: "unset env", in: "- tenant_id: c\n- tenant_id: d\n  client_secret: ${env:NOT_SET_ANYWHERE}\n", wantErr: "entry 1 (line 2): environment variable NOT_SET_ANYWHERE is not set"},
		{name: "not YAML", in: "- tenant_id: [a\n", wantErr: "not valid YAML: yaml: line 1"},
		{name: "entry not a mapping", in: "- tenant_id: a\n- just-a-string\n", wantErr: "entry 1 (line 2): expected a mapping"},
		{name: "mapping without tenants", in: "customers: []\n", wantErr: "line 1: expected a list of tenants, or a `tenants:` key"},
		{name: "scalar", in: "hello\n", wantErr: "line 1: expected a list of tenants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestWatchReportsEachSettledChangeOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	first := []byte("- tenant_id: a\n")
	require.NoError(t, os.WriteFile(path, first, 0o600))

	var mu sync.Mutex
	var calls []string
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Watch(ctx, path, Timing{Clock: schedule.WallClock{}, Interval: 5 * time.Millisecond, Settle: 5 * time.Millisecond}, first, func(es []Entry, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				calls = append(calls, "error")
				return
			}
			ids := ""
			for _, e := range es {
				ids += e.Fields["tenant_id"].(string)
			}
			calls = append(calls, ids)
		})
	}()
	// Writes replace the file whole (as editors and ConfigMaps do): an
	// in-place write can be read half done on a loaded machine.
	write := func(content string) {
		tmp := path + ".new"
		require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
		require.NoError(t, os.Rename(tmp, path))
	}
	seen := func(n int) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) >= n }
	}
	time.Sleep(30 * time.Millisecond) // unchanged: no call
	write("- tenant_id: a\n- tenant_id: b\n")
	require.Eventually(t, seen(1), 5*time.Second, time.Millisecond)
	write("- tenant_id: [broken\n")
	require.Eventually(t, seen(2), 5*time.Second, time.Millisecond)
	time.Sleep(30 * time.Millisecond) // still broken: reported once
	write("- tenant_id: c\n")
	require.Eventually(t, seen(3), 5*time.Second, time.Millisecond)
	require.NoError(t, os.Remove(path))
	require.Eventually(t, seen(4), 5*time.Second, time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"ab", "error", "c", "error"}, calls)
}
