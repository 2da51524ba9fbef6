package strarena

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCopyKeepsEveryStringIntact(t *testing.T) {
	var a Arena
	var got []string
	var want []string
	for i := range 3000 { // several blocks
		s := strings.Repeat(string(rune('a'+i%26)), i%97)
		buf := []byte(s)
		got = append(got, a.Copy(buf))
		for j := range buf {
			buf[j] = 'X' // the caller reuses its buffer
		}
		want = append(want, s)
	}
	huge := strings.Repeat("h", chunk)
	got = append(got, a.Copy([]byte(huge)))
	want = append(want, huge)
	assert.Equal(t, want, got)
	assert.Empty(t, a.Copy(nil))
}
