package boltcheck

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

var self = component.MustNewID("exchange_message_trace")

// openFileStorage opens the real file_storage extension's client on dir,
// as the receiver gets it; it returns the client and the extension, to be
// closed by the caller.
func openFileStorage(dir string) (storage.Client, func() error, error) {
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		return nil, nil, err
	}
	client, err := ext.(storage.Extension).GetClient(context.Background(), component.KindReceiver, self, "")
	if err != nil {
		return nil, nil, err
	}
	return client, func() error {
		return errorsJoin(client.Close(context.Background()), ext.Shutdown(context.Background()))
	}, nil
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// stateFile writes a state file like a receiver's after a day of
// collection: many keys, values from a few bytes to several pages (the
// chunks of row keys), some deleted again; it returns its path.
func stateFile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	client, closeAll, err := openFileStorage(dir)
	require.NoError(t, err)
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(1, 2))
	for batch := range 24 {
		var ops []*storage.Operation
		for i := range 40 {
			v := make([]byte, 1+rnd.IntN(6000))
			for j := range v {
				v[j] = byte(rnd.Uint32())
			}
			ops = append(ops, storage.SetOperation(fmt.Sprintf("v1/graph/tenant-%d/keys/%d/%d", batch%7, batch, i), v))
		}
		if batch > 10 {
			ops = append(ops, storage.DeleteOperation(fmt.Sprintf("v1/graph/tenant-%d/keys/%d/%d", (batch-10)%7, batch-10, batch%50)))
		}
		require.NoError(t, client.Batch(ctx, ops...))
	}
	require.NoError(t, closeAll())
	path := filepath.Join(dir, "receiver_exchange_message_trace_")
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, info.Size(), int64(50*4096), "the file spans many pages")
	return path
}

func pageSizeOf(t *testing.T, path string) int64 {
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return int64(binary.LittleEndian.Uint32(raw[pageHeaderSize+8:]))
}

func TestCheck(t *testing.T) {
	good := stateFile(t)
	pageSize := pageSizeOf(t, good)
	rnd := rand.New(rand.NewPCG(3, 4))
	randomBytes := func(n int64) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	tests := []struct {
		name    string
		corrupt func(t *testing.T, path string)
		want    string // "" for no error
	}{
		{"a file written by file_storage", func(*testing.T, string) {}, ""},
		{"no file", func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) }, ""},
		{"zero bytes", func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 0)) }, "empty"},
		{"random bytes over the data pages", func(t *testing.T, path string) {
			info, err := os.Stat(path)
			require.NoError(t, err)
			writeAt(t, path, 2*pageSize, randomBytes(info.Size()-2*pageSize))
		}, "page"},
		{"random bytes over both meta pages", func(t *testing.T, path string) { writeAt(t, path, 0, randomBytes(2*pageSize)) }, "no valid meta page"},
		{"cut to half its size", func(t *testing.T, path string) {
			info, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, info.Size()/2))
		}, "page"},
		{"not a bbolt file", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("{\"version\":1}\n", 1000)), 0o600))
		}, "wrong magic number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := copyFile(t, good)
			tt.corrupt(t, path)
			err := Check(path)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestCheckedFilesOpen is the check's promise: a file it passes does not
// crash file_storage at open. Each of the files, a real state file with
// one page overwritten by random bytes, is opened in a child process (a
// crash there is bbolt's unrecoverable panic); every file bbolt crashes on
// must have been refused.
func TestCheckedFilesOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 30 files in child processes")
	}
	good := stateFile(t)
	pageSize := pageSizeOf(t, good)
	info, err := os.Stat(good)
	require.NoError(t, err)
	pages := info.Size() / pageSize
	rnd := rand.New(rand.NewPCG(5, 6))
	var crashed, refused int
	for i := range 30 {
		path := copyFile(t, good)
		page := 2 + rnd.Int64N(pages-2)
		b := make([]byte, pageSize)
		for j := range b {
			b[j] = byte(rnd.Uint32())
		}
		writeAt(t, path, page*pageSize, b)
		checkErr := Check(path)
		if checkErr != nil {
			refused++
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestOpenInChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "BOLTCHECK_OPEN_DIR="+filepath.Dir(path))
		out, err := cmd.CombinedOutput()
		if err != nil {
			crashed++
			if checkErr == nil {
				t.Errorf("file %d (page %d overwritten): Check passed it, and opening it crashed: %s", i, page, tail(out))
			}
		}
	}
	t.Logf("30 files with one random page: file_storage's open crashed on %d, Check refused %d", crashed, refused)
}

// TestOpenInChild opens the state file in BOLTCHECK_OPEN_DIR with the real
// file_storage extension, and reads every key (for TestCheckedFilesOpen).
func TestOpenInChild(t *testing.T) {
	dir := os.Getenv("BOLTCHECK_OPEN_DIR")
	if dir == "" {
		t.Skip("run by TestCheckedFilesOpen")
	}
	client, closeAll, err := openFileStorage(dir)
	if err != nil {
		t.Logf("open refused the file: %v", err) // an error, not a crash
		return
	}
	_, _ = client.Get(context.Background(), "v1/graph/tenant-1/keys/1/1")
	_ = closeAll()
}

func tail(b []byte) string {
	s := string(b)
	if len(s) > 600 {
		s = s[len(s)-600:]
	}
	return s
}

func copyFile(t *testing.T, src string) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	require.NoError(t, os.WriteFile(dst, raw, 0o600))
	return dst
}

func writeAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(b, off)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}
