package checkpoint

import (
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgstatus"
)

// maxUndocumented bounds the undocumented spellings given a code of their
// own: Microsoft adds a status now and then, not hundreds, so a tenant past
// this sends something else in the status field, and the table must not
// grow with it.
const maxUndocumented = 200

// maxStatusLen bounds an undocumented spelling given a code: statuses are
// words, and every state write carries the table.
const maxStatusLen = 64

// unrecordedStatus is the code of an undocumented status without a code of
// its own: stored by a release that had no codes for them, or seen once the
// table is full. It differs from every other code, so a change to or from it
// is seen; a change between two such statuses is not, and a row that had one
// reads its previous status as "unknown".
const unrecordedStatus = 255

// statusCodes gives every status spelling a stored code: the documented
// ones their msgstatus code, the others one of their own on first sight,
// from FirstUndocumentedCode up. Spellings that differ only in case share a
// code, as the documented ones do.
type statusCodes struct {
	names  map[uint8]string // code -> spelling first seen; stored as State.Statuses
	folded map[string]uint8 // lower-cased spelling -> code
	// exact caches spellings as rows carry them, so that a spelling seen
	// before costs one lookup and no case folding.
	exact  map[string]uint8
	logger *zap.Logger
	full   bool // the table filled up; logged once
	long   bool // a spelling was too long for a code; logged once
}

// exactCacheLimit bounds exact: a spelling arrives in a few casings at most.
const exactCacheLimit = 4 * maxUndocumented

// newStatusCodes reads the table stored in the state (nil when none).
func newStatusCodes(stored map[uint8]string, logger *zap.Logger) (*statusCodes, error) {
	t := &statusCodes{names: map[uint8]string{}, folded: map[string]uint8{}, exact: map[string]uint8{}, logger: logger}
	for code, name := range stored {
		if code < msgstatus.FirstUndocumentedCode || int(code) >= msgstatus.FirstUndocumentedCode+maxUndocumented {
			return nil, fmt.Errorf("statuses: code %d is outside %d-%d", code, msgstatus.FirstUndocumentedCode, msgstatus.FirstUndocumentedCode+maxUndocumented-1)
		}
		key := strings.ToLower(name)
		if other, dup := t.folded[key]; dup {
			return nil, fmt.Errorf("statuses: codes %d and %d both name %q", other, code, name)
		}
		t.names[code], t.folded[key] = name, code
	}
	return t, nil
}

// code returns s's stored code. Documented spellings, what nearly every row
// carries, take one map lookup.
func (t *statusCodes) code(s string) uint8 {
	if st, ok := msgstatus.Lookup(s); ok {
		return st.Code
	}
	if c, ok := t.exact[s]; ok {
		return c
	}
	// Row strings may point into a reused page buffer: keys are copies.
	c, ok := t.folded[strings.ToLower(s)]
	if !ok {
		c = t.assign(strings.Clone(s))
	}
	if len(t.exact) < exactCacheLimit {
		t.exact[strings.Clone(s)] = c
	}
	return c
}

// assign gives the new spelling s the next free code. The code is kept even
// when the page that first used it is discarded: the table only grows, and
// every state write carries it, so a stored key never has a code the table
// lacks.
func (t *statusCodes) assign(s string) uint8 {
	const shared = "they share one code, so a change between two of them is not emitted again and their previous_status reads unknown"
	if len(s) > maxStatusLen {
		if !t.long {
			t.long = true
			t.logger.Warn("undocumented message trace statuses longer than the checkpoint gives codes to; "+shared,
				zap.Int("max_length", maxStatusLen), zap.String("status", logsafe.Quote(s)))
		}
		return unrecordedStatus
	}
	if len(t.names) >= maxUndocumented {
		if !t.full {
			t.full = true
			t.logger.Warn("more undocumented message trace statuses than the checkpoint gives codes to; the ones after these: "+shared,
				zap.Int("limit", maxUndocumented), zap.String("status", logsafe.Quote(s)))
		}
		return unrecordedStatus
	}
	c := uint8(msgstatus.FirstUndocumentedCode)
	for _, used := t.names[c]; used; _, used = t.names[c] { // the first free one
		c++
	}
	t.names[c], t.folded[strings.ToLower(s)] = s, c
	return c
}

// name returns the spelling of code, for previous_status.
func (t *statusCodes) name(c uint8) string {
	if st, ok := msgstatus.ByCode(c); ok {
		return st.Graph
	}
	if name, ok := t.names[c]; ok {
		return name
	}
	return "unknown"
}
