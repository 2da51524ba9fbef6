package rowdecode

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScannerString(t *testing.T) {
	tests := []string{
		`"plain"`,
		`""`,
		`"dan.o'connor@contoso.com"`,
		`"quote \" backslash \\ slash \/ controls \b\f\n\r\t"`,
		`"caf\u00e9 \u00E9"`,
		`"pair \ud83d\ude00 end"`,
		`"lone high \ud83d end"`,
		`"lone high then escape \ud83d\n"`,
		`"lone low \ude00 end"`,
		`"high then non-low \ud83d\u0041"`,
		`"raw utf-8 été 😀"`,
		`"ends with escaped backslash \\"`,
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			var want string
			require.NoError(t, json.Unmarshal([]byte(in), &want))
			s := NewScanner([]byte(in + ","))
			got, err := s.String(nil)
			require.NoError(t, err)
			assert.Equal(t, want, string(got))
			assert.Equal(t, len(in), s.Pos())

			// Skipping finds the same end.
			s = NewScanner([]byte(in + ","))
			require.NoError(t, s.Skip())
			assert.Equal(t, len(in), s.Pos())
		})
	}
}

func FuzzScannerString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\\", "😀", "\u2028", "\x00\x1f", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc, err := json.Marshal(s)
		require.NoError(t, err)
		var want string
		require.NoError(t, json.Unmarshal(enc, &want))
		got, err := NewScanner(enc).String(nil)
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	})
}

func TestScannerSkipAndTruncation(t *testing.T) {
	doc := `{"a":[1,-2.5e3,true,false,null,{"b":{"c":["d\"",{}]}},[]],"e":"f"}`
	s := NewScanner([]byte(doc))
	require.NoError(t, s.Skip())
	assert.True(t, s.AtEnd())

	// Every cut of the document is reported as truncated, never as valid.
	for i := 0; i < len(doc); i++ {
		s := NewScanner([]byte(doc[:i]))
		err := s.Skip()
		require.Error(t, err, "cut at %d", i)
		var syn *SyntaxError
		require.True(t, errors.As(err, &syn))
		assert.True(t, syn.EOF, "cut at %d: %v", i, err)
	}

	for _, bad := range []string{`{"a" 1}`, `{"a":1 "b":2}`, `[1 2]`, `{"a":nul}`, `{"a":tru,"b":1}`, `{1:2}`} {
		err := NewScanner([]byte(bad)).Skip()
		var syn *SyntaxError
		require.True(t, errors.As(err, &syn), bad)
		assert.False(t, syn.EOF, bad)
	}
}

// Outside a row, a bare word where a value belongs (NaN, Infinity) breaks
// the document: the error names the word and where it is, and a word cut
// by the end of the body still reads as truncated.
func TestScannerBareWords(t *testing.T) {
	tests := []struct {
		doc  string
		want string
		eof  bool
	}{
		{doc: `{"a":NaN}`, want: "invalid JSON at byte 5: NaN is not a JSON value"},
		{doc: `{"a":[1,-Infinity]}`, want: "invalid JSON at byte 8: -Infinity is not a JSON value"},
		{doc: `{"a":undefined,"b":1}`, want: "invalid JSON at byte 5: undefined is not a JSON value"},
		{doc: `{"a":0x1F}`, want: "invalid JSON at byte 5: 0x1F is not a JSON value"},
		{doc: `{"a":'x'}`, want: "invalid JSON at byte 5: unexpected character '\\''"},
		{doc: `{"a":Na`, eof: true},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			err := NewScanner([]byte(tt.doc)).Skip()
			var syn *SyntaxError
			require.True(t, errors.As(err, &syn), "%v", err)
			assert.Equal(t, tt.eof, syn.EOF, err.Error())
			if tt.want != "" {
				assert.Equal(t, tt.want, err.Error())
			}
		})
	}
}

func TestScannerDepthLimit(t *testing.T) {
	deep := make([]byte, 0, 300)
	for range 100 {
		deep = append(deep, '[')
	}
	for range 100 {
		deep = append(deep, ']')
	}
	assert.Error(t, NewScanner(deep).Skip())
}

func TestScannerEscapedKey(t *testing.T) {
	s := NewScanner([]byte(`{"\u0069d":1}`))
	more, err := s.BeginObject()
	require.NoError(t, err)
	require.True(t, more)
	key, err := s.Key(nil)
	require.NoError(t, err)
	assert.Equal(t, "id", string(key))
}

func TestPlainEnd(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefg\"", "abcdefgh\"", "abcdefghijklmnop", "\\", "ab\\cd\"", "é😀\"\\", "\x00\x00\x00\x00\x00\x00\x00\x00\x22", "\xa2\xdc\x22"} {
		want := len(s)
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				want = i
				break
			}
		}
		assert.Equal(t, want, plainEnd([]byte(s), 0), "%q", s)
	}
}

// While tolerant, the scanner steps over bare words, records the first and
// keeps its place in the structure around them.
func TestScannerToleratesBareWords(t *testing.T) {
	s := NewScanner([]byte(`{"a":NaN,"b":[Infinity,-Infinity,1],"c":{"d":undefined},"e":nul,"f":2} `))
	s.Tolerate(true)
	require.NoError(t, s.Skip())
	assert.True(t, s.AtEnd())
	assert.Equal(t, "NaN", string(s.BareWord()))
	s.Tolerate(false)
	assert.Nil(t, s.BareWord())
}
