package logmap

import "strings"

// arenaChunk is the size of one block of row strings: about 160 bodies.
const arenaChunk = 64 << 10

// stringArena copies byte slices into large append-only blocks and hands out
// strings that point into them: one allocation per block instead of one per
// row. The whole-binary profile showed the per-row string allocation (and the
// garbage collector's work on it) as one of the mapper's largest costs. Bytes
// are never written again once a string points at them (a full block is
// replaced, not reused): a strings.Builder guarantees it, and it allocates
// its block without zeroing it. A body keeps its whole block alive: a record
// held downstream (a batch processor, a queue) pins at most 64 KiB besides
// its own body.
type stringArena struct {
	block strings.Builder
}

// copy returns b as a string backed by the arena.
func (a *stringArena) copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > a.block.Cap()-a.block.Len() {
		if len(b) > arenaChunk/4 {
			return string(b) // an odd, huge row: its own allocation
		}
		a.block = strings.Builder{}
		a.block.Grow(arenaChunk)
	}
	start := a.block.Len()
	a.block.Write(b)
	return a.block.String()[start:]
}
