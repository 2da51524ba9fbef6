package rowdecode

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "2026-01-21T14:12:34Z", want: time.Date(2026, 1, 21, 14, 12, 34, 0, time.UTC)},
		{in: "2026-01-21T14:12:34.123Z", want: time.Date(2026, 1, 21, 14, 12, 34, 123e6, time.UTC)},
		{in: "2022-09-05T18:10:13.4907658", want: time.Date(2022, 9, 5, 18, 10, 13, 490765800, time.UTC)},
		{in: "2022-09-05T18:10:13", want: time.Date(2022, 9, 5, 18, 10, 13, 0, time.UTC)},
		{in: "2026-01-21T14:12:34.5+02:00", want: time.Date(2026, 1, 21, 12, 12, 34, 5e8, time.UTC)},
		{in: "2026-01-21T00:12:34-01:30", want: time.Date(2026, 1, 21, 1, 42, 34, 0, time.UTC)},
		{in: "2026-01-21T14:12:34.1234567891Z", want: time.Date(2026, 1, 21, 14, 12, 34, 123456789, time.UTC)},
		{in: "2024-02-29T00:00:00Z", want: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{in: "2023-02-29T00:00:00Z", bad: true},
		{in: "2026-13-01T00:00:00Z", bad: true},
		{in: "2026-01-21T24:00:00Z", bad: true},
		{in: "2026-01-21T14:12:34.Z", bad: true},
		{in: "2026-01-21T14:12:34+0200", bad: true},
		{in: "2026-01-21", bad: true},
		{in: "yesterday at noon", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseTime([]byte(tt.in))
			assert.Equal(t, !tt.bad, ok)
			if !tt.bad {
				assert.True(t, tt.want.Equal(got), "got %v", got)
				assert.Equal(t, time.UTC, got.Location())
			}
		})
	}
}

func TestParseDateLiteral(t *testing.T) {
	for in, want := range map[string]int64{
		"/Date(1659020996164)/":      1659020996164,
		"/Date(1659020996164+0060)/": 1659020996164,
		"/Date(-1000)/":              -1000,
	} {
		got, ok := ParseDateLiteral([]byte(in))
		assert.True(t, ok, in)
		assert.Equal(t, time.UnixMilli(want).UTC(), got, in)
	}
	for _, in := range []string{"/Date()/", "/Date(abc)/", "Date(1)", "/Date(1)"} {
		_, ok := ParseDateLiteral([]byte(in))
		assert.False(t, ok, in)
	}
}
