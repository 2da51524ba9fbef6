package apiclient

import "unsafe"

// arenaChunk is the size of one block of row strings: about 250 rows' worth.
const arenaChunk = 64 << 10

// stringArena copies byte slices into large append-only blocks and hands out
// strings that point into them: one allocation per block instead of one per
// row. The whole-binary profile showed the per-row string allocation (and
// the garbage collector's work on it) as one of the decoder's largest
// costs. Bytes are never written again once a string points at them (a
// full block is replaced, not reused), so the strings are immutable as Go
// requires. A string keeps its whole block alive: at most 64 KiB per
// retained row, and nothing in the receiver retains rows past their page.
type stringArena struct {
	block []byte
}

// copy returns b as a string backed by the arena.
func (a *stringArena) copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(a.block)-len(a.block) {
		if len(b) > arenaChunk/4 {
			return string(b) // an odd, huge row: its own allocation
		}
		a.block = make([]byte, 0, arenaChunk)
	}
	start := len(a.block)
	a.block = append(a.block, b...)
	return unsafe.String(&a.block[start], len(b))
}
