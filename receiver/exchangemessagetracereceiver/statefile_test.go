package exchangemessagetracereceiver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestCorruptStateFile: a file_storage state file that would crash the
// collector (random bytes over its data pages) or that lost everything
// (zero bytes) stops the receiver with an error naming the file and the
// fix; with file_storage's `recreate: true` it is moved aside, loudly, and
// collection starts afresh.
func TestCorruptStateFile(t *testing.T) {
	self := component.MustNewIDWithName("exchange_message_trace", "contoso/eu")
	tests := []struct {
		name     string
		damage   func(t *testing.T, path string)
		recreate bool
		wantErr  []string // nil: opens
		wantWarn string
	}{
		{"random bytes over the data pages", overwriteDataPages, false,
			[]string{"is corrupt (", "move it aside to start over from initial_lookback", "restore it from a backup", "recreate: true"}, ""},
		{"zero bytes", func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 0)) }, false,
			[]string{"is empty (0 bytes): the cursor and the keys of the rows delivered are gone", "initial_lookback", "backup"}, ""},
		{"random bytes, recreate: true", overwriteDataPages, true, nil, "is corrupt ("},
		{"zero bytes, recreate: true", func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 0)) }, true, nil, "is empty"},
		{"whole", func(*testing.T, string) {}, false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx := context.Background()
			// A state file as a run leaves it.
			host, id := fileStorageHost(t, dir, false)
			client, err := openStorage(ctx, host, id, self, zap.NewNop())
			require.NoError(t, err)
			for i := range 200 {
				require.NoError(t, client.Set(ctx, "v1/graph/t/keys/"+strings.Repeat("k", i%40)+string(rune('a'+i%26)), make([]byte, 700)))
			}
			require.NoError(t, client.Close(ctx))
			path := filepath.Join(dir, "receiver_exchange_message_trace_contoso~002Feu")
			require.FileExists(t, path)
			tt.damage(t, path)

			core, logs := observer.New(zap.WarnLevel)
			host, id = fileStorageHost(t, dir, tt.recreate)
			client, err = openStorage(ctx, host, id, self, zap.New(core))
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "the state file "+path+" ")
				for _, want := range tt.wantErr {
					assert.Contains(t, err.Error(), want)
				}
				return
			}
			require.NoError(t, err)
			defer func() { assert.NoError(t, client.Close(ctx)) }()
			if tt.wantWarn == "" {
				assert.Zero(t, logs.Len(), "no warning for a whole file")
				return
			}
			require.Equal(t, 1, logs.Len())
			entry := logs.All()[0]
			assert.Contains(t, entry.Message, tt.wantWarn)
			assert.Contains(t, entry.Message, "initial_lookback")
			fields := entry.ContextMap()
			assert.Equal(t, path, fields["file"])
			assert.FileExists(t, fields["moved_to"].(string), "the damaged file is kept for a look")
			require.NoError(t, client.Set(ctx, "k", []byte("v")), "a fresh file is in use")
		})
	}
}

// fileStorageHost is a host with the real file_storage extension on dir.
func fileStorageHost(t *testing.T, dir string, recreate bool) (*testHost, *component.ID) {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory, cfg.Recreate = dir, recreate
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, ext.Shutdown(context.Background())) })
	host := newTestHost()
	id := component.NewID(f.Type())
	host.extensions[id] = ext
	return host, &id
}

// overwriteDataPages writes random bytes over every page after the two
// meta pages, as a failing disk or a stray write would.
func overwriteDataPages(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	const pageSize = 4096
	require.Greater(t, len(raw), 4*pageSize)
	seed := uint32(7)
	for i := 2 * pageSize; i < len(raw); i++ {
		seed = seed*1664525 + 1013904223
		raw[i] = byte(seed >> 24)
	}
	require.NoError(t, os.WriteFile(path, raw, 0o600))
}

// TestCorruptStateFileLongName: a receiver name too long for a file name
// has its state under the hash of the name (the extension's scheme); that
// file is the one checked and named.
func TestCorruptStateFileLongName(t *testing.T) {
	self := component.MustNewIDWithName("exchange_message_trace", strings.Repeat("tenant", 50))
	dir, ctx := t.TempDir(), context.Background()
	host, id := fileStorageHost(t, dir, false)
	client, err := openStorage(ctx, host, id, self, zap.NewNop())
	require.NoError(t, err)
	require.NoError(t, client.Close(ctx))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	path := filepath.Join(dir, entries[0].Name())
	require.Len(t, entries[0].Name(), 64, "the hashed name")
	require.NoError(t, os.Truncate(path, 0))

	_, err = openStorage(ctx, host, id, self, zap.NewNop())
	require.ErrorContains(t, err, "the state file "+path+" is empty")
}
