package window

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSplit(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name       string
		start, end time.Time
		max        time.Duration
		want       []msgtrace.Range
	}{
		{"empty", ts("2026-01-02T00:00:00Z"), ts("2026-01-02T00:00:00Z"), day, nil},
		{"reversed", ts("2026-01-03T00:00:00Z"), ts("2026-01-02T00:00:00Z"), day, nil},
		{"shorter than max", ts("2026-01-01T00:00:00Z"), ts("2026-01-01T06:00:00Z"), day,
			[]msgtrace.Range{{Start: ts("2026-01-01T00:00:00Z"), End: ts("2026-01-01T06:00:00Z")}}},
		{"15 days in 10-day windows", ts("2026-01-01T00:00:00Z"), ts("2026-01-16T00:00:00Z"), 10 * day,
			[]msgtrace.Range{
				{Start: ts("2026-01-01T00:00:00Z"), End: ts("2026-01-11T00:00:00Z")},
				{Start: ts("2026-01-11T00:00:00Z"), End: ts("2026-01-16T00:00:00Z")},
			}},
		{"exact multiple", ts("2026-01-01T00:00:00Z"), ts("2026-01-03T00:00:00Z"), day,
			[]msgtrace.Range{
				{Start: ts("2026-01-01T00:00:00Z"), End: ts("2026-01-02T00:00:00Z")},
				{Start: ts("2026-01-02T00:00:00Z"), End: ts("2026-01-03T00:00:00Z")},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.start, tt.end, tt.max)
			assert.Equal(t, tt.want, got)
			for _, r := range got {
				assert.LessOrEqual(t, r.End.Sub(r.Start), tt.max)
			}
		})
	}
}

func TestInitialStart(t *testing.T) {
	now := ts("2026-05-20T12:34:56Z")
	tests := []struct {
		name        string
		lookback    time.Duration
		wantStart   time.Time
		wantClamped bool
	}{
		{"a day", 24 * time.Hour, ts("2026-05-19T12:34:56Z"), false},
		{"15 days", 15 * 24 * time.Hour, ts("2026-05-05T12:34:56Z"), false},
		// 90 days before today's 00:00 UTC, plus the safety margin.
		{"past retention", 120 * 24 * time.Hour, ts("2026-02-19T01:00:00Z"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, clamped := InitialStart(now, tt.lookback)
			assert.Equal(t, tt.wantStart, start)
			assert.Equal(t, tt.wantClamped, clamped)
		})
	}
}

func TestSettleEnd(t *testing.T) {
	now := ts("2026-05-20T12:00:00Z")
	assert.Equal(t, ts("2026-05-19T12:00:00Z"), SettleEnd(now, 24*time.Hour, ts("2026-05-20T11:55:00Z")))
	// Never past what the live pass has read.
	assert.Equal(t, ts("2026-05-19T10:00:00Z"), SettleEnd(now, 24*time.Hour, ts("2026-05-19T10:00:00Z")))
}

func TestLiveEnd(t *testing.T) {
	assert.Equal(t, ts("2026-05-20T11:55:00.75Z"), LiveEnd(ts("2026-05-20T12:00:00.750123Z"), 5*time.Minute))
}
