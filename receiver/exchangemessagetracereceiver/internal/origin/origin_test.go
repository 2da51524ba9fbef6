package origin

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSame(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/beta?x=1", true},
		{"https://graph.microsoft.com", "https://GRAPH.microsoft.com:443/", true},
		{"http://127.0.0.1/", "http://127.0.0.1:80/x", true},
		{"https://graph.microsoft.com", "http://graph.microsoft.com", false},
		{"https://graph.microsoft.com", "https://graph.microsoft.com:8443", false},
		{"https://graph.microsoft.com", "https://graph.microsoft.com.evil.example", false},
		{"https://127.0.0.1:1000", "https://127.0.0.1:1001", false},
	}
	for _, tt := range tests {
		a, err := url.Parse(tt.a)
		require.NoError(t, err)
		b, err := url.Parse(tt.b)
		require.NoError(t, err)
		assert.Equal(t, tt.same, Same(a, b), "%s vs %s", tt.a, tt.b)
		assert.Equal(t, tt.same, Same(b, a), "%s vs %s", tt.b, tt.a)
	}
	assert.False(t, Same(nil, nil))
}

func TestSameLink(t *testing.T) {
	base, _ := url.Parse("https://graph.microsoft.com/v1.0")
	tests := []struct {
		link string
		same bool
	}{
		{"https://graph.microsoft.com/v1.0/a?b", true},
		{"https://GRAPH.microsoft.com/beta/a", true},
		{"https://graph.microsoft.com:443/v1.0/a", true}, // the default port written out
		{"http://graph.microsoft.com/v1.0/a", false},
		{"https://graph.microsoft.com:8443/v1.0/a", false},
		{"https://graph.microsoft.com.evil.example/v1.0/a", false},
		{"/v1.0/a", false},
		{"://bad", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.same, SameLink(tt.link, base), tt.link)
	}
}

func TestString(t *testing.T) {
	u, _ := url.Parse("HTTPS://Login.example:8443/x?y")
	assert.Equal(t, "https://Login.example:8443", String(u))
	assert.Equal(t, "", String(nil))
}
