package logmap

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`dan.o'connor@contoso.com`, `"dan.o'connor@contoso.com"`},
		{`say "hi" \ bye`, `"say \"hi\" \\ bye"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"résumé — ok", `"résumé — ok"`},
		{"line\u2028sep\u2029", `"line\u2028sep\u2029"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
		{"<tag>&", `"<tag>&"`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(appendJSONString(nil, tt.in)), "%q", tt.in)
	}
}

// FuzzAppendJSONString: our encoding must read back, with encoding/json, as
// the same string encoding/json's own encoding reads back as (which replaces
// each invalid UTF-8 byte with U+FFFD, as we do).
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\\", "\x00", "é", "\u2028", "\xff\xfe", "dan.o'connor"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want string
		require.NoError(t, json.Unmarshal(appendJSONString(nil, s), &got))
		std, err := json.Marshal(s)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(std, &want))
		assert.Equal(t, want, got)
	})
}
