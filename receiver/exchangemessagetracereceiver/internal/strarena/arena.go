// Package strarena hands out strings carved from large append-only blocks:
// one allocation per block instead of one per row. The whole-binary profile
// showed the per-row string allocations (and the garbage collector's work on
// them) among the largest costs of both the decoder (row fields) and the
// mapper (JSON bodies).
package strarena

import "strings"

// chunk is the size of one block: a few hundred rows' worth.
const chunk = 64 << 10

// Arena copies byte slices into blocks and returns strings that point into
// them. Bytes are never written again once a string points at them (a full
// block is replaced, not reused): a strings.Builder guarantees it, and
// allocates its block without zeroing it. A string keeps its whole block
// alive: a row held downstream (a batch processor, a queue) pins at most
// 64 KiB besides its own bytes. The zero value is ready to use; an Arena is
// not safe for concurrent use.
type Arena struct {
	block strings.Builder
}

// Copy returns b as a string backed by the arena.
func (a *Arena) Copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > a.block.Cap()-a.block.Len() {
		if len(b) > chunk/4 {
			return string(b) // an odd, huge row: its own allocation
		}
		a.block = strings.Builder{}
		a.block.Grow(chunk)
	}
	start := a.block.Len()
	a.block.Write(b)
	return a.block.String()[start:]
}
