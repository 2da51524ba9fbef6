package boltcheck

import (
	"encoding/binary"
	"hash/fnv"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Offsets in a meta page (after its page header) of the fields the tests
// forge.
const (
	metaFreelistAt = pageHeaderSize + 32
	metaHWMAt      = pageHeaderSize + 40
)

// forgeMetas sets a u64 field of both meta pages of the file at path and
// writes a valid checksum, so the forged value is what bbolt would trust.
func forgeMetas(t *testing.T, path string, pageSize int64, at int, v uint64) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := range int64(2) {
		m := raw[i*pageSize+pageHeaderSize : i*pageSize+pageHeaderSize+metaSize]
		binary.LittleEndian.PutUint64(raw[i*pageSize+int64(at):], v)
		h := fnv.New64a()
		_, _ = h.Write(m[:56])
		binary.LittleEndian.PutUint64(m[56:], h.Sum64())
	}
	require.NoError(t, os.WriteFile(path, raw, 0o600))
}

// hwmOf returns the high-water mark of the file's newer meta page.
func hwmOf(t *testing.T, path string) uint64 {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	info, err := f.Stat()
	require.NoError(t, err)
	m, err := (&checker{f: f, size: info.Size()}).meta()
	require.NoError(t, err)
	return m.hwm
}

// TestFileStorageHighWaterMark is the premise of the high-water mark check:
// file_storage's files end at or after the mark (bbolt grows the file
// before writing the meta that raises it).
func TestFileStorageHighWaterMark(t *testing.T) {
	path := stateFile(t)
	pageSize := pageSizeOf(t, path)
	info, err := os.Stat(path)
	require.NoError(t, err)
	hwm := hwmOf(t, path)
	t.Logf("file of %d pages, high-water mark %d", info.Size()/pageSize, hwm)
	assert.LessOrEqual(t, hwm, uint64(info.Size()/pageSize))
}

// TestCheckForgedMeta forges metas with a valid checksum: a high-water mark
// past the file (bbolt's open would list every page id below it) and a
// synced freelist page that bbolt would read without bounds checks.
func TestCheckForgedMeta(t *testing.T) {
	good := stateFile(t)
	pageSize := pageSizeOf(t, good)
	hwm := hwmOf(t, good)
	info, err := os.Stat(good)
	require.NoError(t, err)
	filePages := uint64(info.Size() / pageSize)

	// withFreelist appends a freelist page (header id, flags, count, and
	// the first element) at the file's end and names it in the metas.
	withFreelist := func(headerID uint64, flags, count uint16, first uint64) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			page := make([]byte, pageSize)
			id := filePages
			if headerID == 0 {
				headerID = id
			}
			binary.LittleEndian.PutUint64(page, headerID)
			binary.LittleEndian.PutUint16(page[8:], flags)
			binary.LittleEndian.PutUint16(page[10:], count)
			binary.LittleEndian.PutUint64(page[pageHeaderSize:], first)
			writeAt(t, path, int64(id)*pageSize, page)
			forgeMetas(t, path, pageSize, metaHWMAt, id+1)
			forgeMetas(t, path, pageSize, metaFreelistAt, id)
		}
	}
	tests := []struct {
		name  string
		forge func(t *testing.T, path string)
		want  string // "" for no error
	}{
		{"the mark at the file's end", func(t *testing.T, path string) {
			forgeMetas(t, path, pageSize, metaHWMAt, filePages)
		}, ""},
		{"the mark one page past the file", func(t *testing.T, path string) {
			forgeMetas(t, path, pageSize, metaHWMAt, filePages+1)
		}, "high-water mark"},
		{"the mark at 1<<40", func(t *testing.T, path string) {
			forgeMetas(t, path, pageSize, metaHWMAt, 1<<40)
		}, "high-water mark"},
		{"the mark below the meta pages", func(t *testing.T, path string) {
			forgeMetas(t, path, pageSize, metaHWMAt, 1)
		}, "high-water mark"},
		{"an empty synced freelist", withFreelist(0, 0x10, 0, 0), ""},
		{"a synced freelist with its count in the first element", withFreelist(0, 0x10, 0xFFFF, 0), ""},
		{"a synced freelist with one free page", withFreelist(0, 0x10, 1, hwm-1), ""},
		{"a synced freelist with a free page past the mark", withFreelist(0, 0x10, 1, 1<<40), "free page"},
		{"a freelist page past the mark", func(t *testing.T, path string) {
			forgeMetas(t, path, pageSize, metaFreelistAt, hwm+5)
		}, "freelist"},
		{"a freelist page at 1<<40", func(t *testing.T, path string) {
			forgeMetas(t, path, pageSize, metaFreelistAt, 1<<40)
		}, "freelist"},
		{"a freelist page whose header names another page", withFreelist(7, 0x10, 0, 0), "header says page 7"},
		{"a leaf page named as the freelist", withFreelist(0, leafPage, 0, 0), "freelist page"},
		{"more freelist ids than the page holds", withFreelist(0, 0x10, 600, 0), "do not fit"},
		{"a forged count in the first element", withFreelist(0, 0x10, 0xFFFF, 1<<40), "do not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := copyFile(t, good)
			tt.forge(t, path)
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
