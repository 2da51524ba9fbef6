// Package window decides which time ranges to query next: where a first run
// starts, how far a poll may reach, and how a long span is cut into ranges
// the API accepts.
package window

import (
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// Retention is how long Microsoft keeps message trace rows. Queries must
// start no earlier than 90 days before today's 00:00 UTC.
const Retention = 90 * 24 * time.Hour

// retentionMargin keeps a first run's start clear of the retention edge, so a
// query planned now is still valid when it is sent (minutes later, under
// throttling).
const retentionMargin = time.Hour

// OldestQueryable is the oldest start time Microsoft accepts at now.
func OldestQueryable(now time.Time) time.Time {
	return now.UTC().Truncate(24 * time.Hour).Add(-Retention) // 00:00 UTC based
}

// InitialStart is where a first run starts: now - lookback, moved forward to
// the retention edge when lookback reaches past it (clamped reports that).
func InitialStart(now time.Time, lookback time.Duration) (start time.Time, clamped bool) {
	start = now.Add(-lookback).UTC().Truncate(time.Second)
	if oldest := OldestQueryable(now).Add(retentionMargin); start.Before(oldest) {
		return oldest, true
	}
	return start, false
}

// ClampToRetention moves a cursor that fell behind the retention edge (an
// outage of months) forward to it. The rows in between are gone from the
// API; moved reports that so the receiver can say how much was lost.
func ClampToRetention(cursor, now time.Time) (time.Time, bool) {
	if oldest := OldestQueryable(now).Add(retentionMargin); cursor.Before(oldest) {
		return oldest, true
	}
	return cursor, false
}

// Split cuts [start, end] into consecutive ranges of at most max, oldest
// first. Both bounds of each range are inclusive, as in both APIs: a row
// exactly on a boundary is returned by two ranges, and dedup drops the
// second copy. It returns nil when the span is empty.
func Split(start, end time.Time, max time.Duration) []msgtrace.Range {
	if !end.After(start) || max <= 0 {
		return nil
	}
	var ranges []msgtrace.Range
	for s := start; s.Before(end); {
		e := s.Add(max)
		if e.After(end) {
			e = end
		}
		ranges = append(ranges, msgtrace.Range{Start: s, End: e})
		s = e
	}
	return ranges
}

// LiveEnd is the newest time the live pass may query up to: now - delay, to
// the millisecond. Both APIs take fractional seconds; rounding down to the
// second instead would hold a row back by up to a second more than delay.
func LiveEnd(now time.Time, delay time.Duration) time.Time {
	return now.Add(-delay).UTC().Truncate(time.Millisecond)
}

// SettleEnd is the newest time the settling pass may re-read up to: rows
// older than settle are taken as final. It never passes the live cursor:
// the settling pass re-reads only what the live pass already read.
func SettleEnd(now time.Time, settle time.Duration, liveCursor time.Time) time.Time {
	end := now.Add(-settle).UTC().Truncate(time.Millisecond)
	if end.After(liveCursor) {
		return liveCursor
	}
	return end
}

// SettleStep is how much settle-ready time must accumulate before the
// settling pass runs: re-reading in steps of an hour (or of settle, when it
// is shorter) costs about 24 requests a day on a small tenant instead of one
// per poll, and re-reads every row exactly once.
func SettleStep(settle time.Duration) time.Duration {
	return min(time.Hour, settle)
}
