// Package boltcheck tells whether a bbolt file (file_storage's state file)
// can be opened without crashing the process, by reading it the way bbolt
// walks it at open, with every offset checked.
//
// Why not bbolt itself: file_storage opens its file with NoFreelistSync, so
// bbolt.Open rebuilds the freelist by walking every page reachable from the
// root, and reports what it finds wrong by panicking on a goroutine of its
// own (DB.freepages), which no recover can catch; a page id past the file
// makes it read outside its mapping, a fault that is not even a panic. Its
// Tx.Check walks the same way. So the check reads the file with ReadAt,
// never maps it, and is run before file_storage opens the file.
package boltcheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// ErrEmpty is what Check returns for a file of zero bytes: bbolt would
// silently start a new database in it.
var ErrEmpty = errors.New("the file is empty (0 bytes)")

// bbolt's on-disk layout (go.etcd.io/bbolt internal/common), in the
// machine's byte order, which is little-endian on every platform the
// distribution is built for (amd64, arm64).
const (
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	elementSize    = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags u32, pos u32, ksize u32, vsize u32
	bucketHeader   = 16 // root pgid u64, sequence u64
	metaSize       = 64 // magic, version, pageSize, flags u32; root bucket 16; freelist, pgid, txid, checksum u64

	branchPage = 0x01
	leafPage   = 0x02
	// freelistPage is the flags of a synced freelist page.
	freelistPage = 0x10
	// noFreelist is the freelist page id of a meta written with
	// NoFreelistSync, as file_storage writes.
	noFreelist = ^uint64(0)

	bucketLeafFlag = 0x01
	magic          = 0xED0CDAED
	version        = 2
	// maxPageSize bounds the page size a meta may claim (bbolt's largest
	// is 64 KiB; more is a corrupt meta).
	maxPageSize = 1 << 16
	// maxDepth bounds nesting (bucket in bucket, branch over branch): a
	// cycle in a corrupt file must not recurse without end.
	maxDepth = 64
)

var le = binary.LittleEndian

type meta struct {
	pageSize       uint32
	root, freelist uint64
	hwm, txid      uint64
}

// Check returns nil when the bbolt file at path is whole as far as bbolt's
// open walks it (or does not exist: file_storage creates it), ErrEmpty for
// a file of zero bytes, and otherwise an error saying what is wrong.
func Check(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() == 0 {
		return ErrEmpty
	}
	c := &checker{f: f, size: info.Size(), seen: map[uint64]bool{0: true, 1: true}}
	m, err := c.meta()
	if err != nil {
		return err
	}
	c.pageSize, c.hwm = int64(m.pageSize), m.hwm
	// bbolt writes every page below the high-water mark before the meta
	// that names it, and grows the file to at least hwm+1 pages, so a
	// mark past the file's end is corruption; and bbolt's open lists
	// every page id below the mark (DB.freepages), so a forged mark of
	// 1<<40 would make it allocate terabytes.
	if filePages := uint64(c.size / c.pageSize); m.hwm < 2 || m.hwm > filePages {
		return fmt.Errorf("its meta page's high-water mark is page %d, but the file has %d pages of %d bytes", m.hwm, filePages, c.pageSize)
	}
	if m.root == 0 { // the root bucket always has a page of its own
		return errors.New("its meta page names no root page")
	}
	if _, err = c.tree(m.root, nil, nil, 0); err != nil {
		return err
	}
	if m.freelist != noFreelist {
		return c.freelist(m.freelist)
	}
	return nil
}

// freelist checks the synced freelist page id (a file written without
// NoFreelistSync, such as one compacted by bbolt's command line tool),
// which bbolt reads at open without bounds checks: it must be a freelist
// page inside the file whose page ids fit in it and its overflow pages.
func (c *checker) freelist(id uint64) error {
	p, err := c.page(id)
	if err != nil {
		return fmt.Errorf("freelist: %w", err)
	}
	if flags := le.Uint16(p[8:]); flags != freelistPage {
		return fmt.Errorf("freelist page %d: invalid type (flags %#x)", id, flags)
	}
	// A count of 0xFFFF means the real count is the first element.
	first, count := uint64(0), uint64(le.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			return fmt.Errorf("freelist page %d: no room for its element count", id)
		}
		first, count = 1, le.Uint64(p[pageHeaderSize:])
	}
	if room := uint64(len(p)-pageHeaderSize) / 8; count > room || first+count > room {
		return fmt.Errorf("freelist page %d: %d page ids do not fit in its %d pages", id, count, len(p)/int(c.pageSize))
	}
	// A free page was allocated once, so it lies below the mark; bbolt
	// would hand one past it out for writing.
	for i := first; i < first+count; i++ {
		if free := le.Uint64(p[pageHeaderSize+8*i:]); free < 2 || free >= c.hwm {
			return fmt.Errorf("freelist page %d: free page %d is out of bounds (the file's high-water mark is %d)", id, free, c.hwm)
		}
	}
	return nil
}

type checker struct {
	f        io.ReaderAt
	size     int64
	pageSize int64
	hwm      uint64
	seen     map[uint64]bool
}

// meta returns the newer of the two meta pages that are valid, as bbolt
// does.
func (c *checker) meta() (meta, error) {
	var metas []meta
	var firstErr error
	pageSize := int64(4096)
	for i := int64(0); i < 2; i++ {
		buf := make([]byte, pageHeaderSize+metaSize)
		if _, err := c.f.ReadAt(buf, i*pageSize); err != nil {
			firstErr = errors.Join(firstErr, fmt.Errorf("meta page %d: %w", i, err))
			continue
		}
		m, err := parseMeta(buf[pageHeaderSize:])
		if err != nil {
			firstErr = errors.Join(firstErr, fmt.Errorf("meta page %d: %w", i, err))
			continue
		}
		pageSize = int64(m.pageSize) // the second meta is one page after the first
		metas = append(metas, m)
	}
	if len(metas) == 0 {
		return meta{}, fmt.Errorf("no valid meta page: %w", firstErr)
	}
	best := metas[0]
	if len(metas) == 2 && metas[1].txid > best.txid {
		best = metas[1]
	}
	return best, nil
}

func parseMeta(b []byte) (meta, error) {
	if le.Uint32(b[0:]) != magic {
		return meta{}, errors.New("not a bbolt file (wrong magic number)")
	}
	if v := le.Uint32(b[4:]); v != version {
		return meta{}, fmt.Errorf("bbolt layout version %d, not %d", v, version)
	}
	h := fnv.New64a()
	_, _ = h.Write(b[:56])
	if h.Sum64() != le.Uint64(b[56:]) {
		return meta{}, errors.New("checksum mismatch")
	}
	m := meta{pageSize: le.Uint32(b[8:]), root: le.Uint64(b[16:]), freelist: le.Uint64(b[32:]), hwm: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}
	if m.pageSize < 512 || m.pageSize > maxPageSize || m.pageSize&(m.pageSize-1) != 0 {
		return meta{}, fmt.Errorf("page size %d", m.pageSize)
	}
	return m, nil
}

// tree checks page id and the pages under it: every page is a branch or
// a leaf page inside the file and below the high-water mark, referenced
// once, with its elements, keys and values inside it and its keys in
// order within [lo, hi); it returns the subtree's largest key.
func (c *checker) tree(id uint64, lo, hi []byte, depth int) (maxKey []byte, err error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("page %d: nested deeper than %d levels", id, maxDepth)
	}
	p, err := c.page(id)
	if err != nil {
		return nil, err
	}
	return c.elements(id, p, lo, hi, depth)
}

// page reads page id with its overflow pages.
func (c *checker) page(id uint64) ([]byte, error) {
	if id < 2 || id >= c.hwm {
		return nil, fmt.Errorf("page %d is out of bounds (the file's high-water mark is %d)", id, c.hwm)
	}
	head := make([]byte, pageHeaderSize)
	if _, err := c.f.ReadAt(head, int64(id)*c.pageSize); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	if got := le.Uint64(head); got != id {
		return nil, fmt.Errorf("page %d: its header says page %d", id, got)
	}
	overflow := uint64(le.Uint32(head[12:]))
	if id+overflow >= c.hwm || int64(id+overflow+1)*c.pageSize > c.size {
		return nil, fmt.Errorf("page %d: %d overflow pages run past the end of the file", id, overflow)
	}
	for i := id; i <= id+overflow; i++ {
		if c.seen[i] {
			return nil, fmt.Errorf("page %d is referenced twice", i)
		}
		c.seen[i] = true
	}
	p := make([]byte, int64(overflow+1)*c.pageSize)
	if _, err := c.f.ReadAt(p, int64(id)*c.pageSize); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	return p, nil
}

// elements checks the elements of page p (read from page id, or inline in
// a bucket value when id is that of the leaf holding it).
func (c *checker) elements(id uint64, p []byte, lo, hi []byte, depth int) (maxKey []byte, err error) {
	if len(p) < pageHeaderSize {
		return nil, fmt.Errorf("page %d: %d bytes, shorter than a page header", id, len(p))
	}
	flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
	if flags != branchPage && flags != leafPage {
		return nil, fmt.Errorf("page %d: invalid type (flags %#x) where a branch or leaf page belongs", id, flags)
	}
	if pageHeaderSize+count*elementSize > len(p) {
		return nil, fmt.Errorf("page %d: %d elements do not fit in it", id, count)
	}
	prev := lo
	for i := range count {
		at := pageHeaderSize + i*elementSize
		e := p[at : at+elementSize]
		var pos, ksize, vsize uint64
		if flags == branchPage {
			pos, ksize = uint64(le.Uint32(e[0:])), uint64(le.Uint32(e[4:]))
		} else {
			pos, ksize, vsize = uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
		}
		if uint64(at)+pos+ksize+vsize > uint64(len(p)) {
			return nil, fmt.Errorf("page %d: element %d runs past the page", id, i)
		}
		key := p[uint64(at)+pos : uint64(at)+pos+ksize]
		if prev != nil && (bytes.Compare(prev, key) > 0 || i > 0 && bytes.Equal(prev, key)) {
			return nil, fmt.Errorf("page %d: key %d is out of order", id, i)
		}
		if hi != nil && bytes.Compare(key, hi) >= 0 {
			return nil, fmt.Errorf("page %d: key %d is past its parent's next key", id, i)
		}
		if flags == branchPage {
			next := hi
			if i+1 < count {
				n := p[pageHeaderSize+(i+1)*elementSize:]
				npos, nksize := uint64(le.Uint32(n[0:])), uint64(le.Uint32(n[4:]))
				nat := uint64(pageHeaderSize + (i+1)*elementSize)
				if nat+npos+nksize > uint64(len(p)) {
					return nil, fmt.Errorf("page %d: element %d runs past the page", id, i+1)
				}
				next = p[nat+npos : nat+npos+nksize]
			}
			sub, err := c.tree(le.Uint64(e[8:]), key, next, depth+1)
			if err != nil {
				return nil, err
			}
			maxKey, prev = sub, sub
			continue
		}
		maxKey, prev = key, key
		if le.Uint32(e[0:])&bucketLeafFlag == 0 {
			continue
		}
		value := p[uint64(at)+pos+ksize : uint64(at)+pos+ksize+vsize]
		if len(value) < bucketHeader {
			return nil, fmt.Errorf("page %d: bucket %d's header is %d bytes", id, i, len(value))
		}
		if root := le.Uint64(value); root != 0 {
			if _, err := c.tree(root, nil, nil, depth+1); err != nil {
				return nil, err
			}
		} else if _, err := c.elements(id, value[bucketHeader:], nil, nil, depth+1); err != nil {
			return nil, fmt.Errorf("inline bucket: %w", err)
		}
	}
	return maxKey, nil
}
