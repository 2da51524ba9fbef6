package logsafe

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHTMLTitle(t *testing.T) {
	tests := []struct{ name, page, want string }{
		{"plain", "<html><head><title>Sign in</title></head></html>", "Sign in"},
		{"attributes and case", "<HTML><TITLE lang=en>\n  Proxy\tError \n</TITLE>", "Proxy Error"},
		{"no title", "<html><body>x</body></html>", ""},
		{"unterminated", "<title>never ends", ""},
		{"not html", `{"error":"x"}`, ""},
		{"beyond 64 KiB", strings.Repeat(" ", 64<<10) + "<title>late</title>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, HTMLTitle([]byte(tt.page)))
		})
	}
	assert.LessOrEqual(t, len(HTMLTitle([]byte("<title>"+strings.Repeat("a", 500)+"</title>"))), 103)
}
