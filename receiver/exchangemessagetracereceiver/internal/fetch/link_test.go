package fetch

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolveLegacyRelativeLink(t *testing.T) {
	req, err := url.Parse("https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace?$filter=x&$format=json")
	require.NoError(t, err)
	got, err := ResolveLink("../../reportingwebservice/reporting.svc/MessageTrace?$filter=StartDate eq datetime'2022-11-27T17:08:26Z'&$skiptoken=1000", req)
	require.NoError(t, err)
	assert.Equal(t, "https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace?$filter=StartDate%20eq%20datetime'2022-11-27T17:08:26Z'&$skiptoken=1000", got)

	abs := "https://reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace?$skiptoken=2"
	got, err = ResolveLink(abs, req)
	require.NoError(t, err)
	assert.Equal(t, abs, got)
}

func TestSanitizeLinkKeepsEscapes(t *testing.T) {
	in := "https://graph.microsoft.com/v1.0/x?$filter=a%20ge%20b&$skiptoken=eyJ9%3D"
	assert.Equal(t, in, SanitizeLink(in))
	assert.Equal(t, "https://h/x?a=b%20c%22d%C3%A9", SanitizeLink("https://h/x?a=b c\"dé"))
}

func TestSameOrigin(t *testing.T) {
	base, _ := url.Parse("https://graph.microsoft.com/v1.0")
	assert.True(t, SameOrigin("https://graph.microsoft.com/v1.0/a?b", base))
	assert.True(t, SameOrigin("https://GRAPH.microsoft.com/beta/a", base))
	assert.True(t, SameOrigin("https://graph.microsoft.com:443/v1.0/a", base), "the default port written out is the same origin")
	assert.False(t, SameOrigin("http://graph.microsoft.com/v1.0/a", base))
	assert.False(t, SameOrigin("https://graph.microsoft.com.evil.example/v1.0/a", base))
	assert.False(t, SameOrigin("/v1.0/a", base))
}

func TestQueryEscape(t *testing.T) {
	assert.Equal(t, "receivedDateTime%20ge%202026-01-20T00%3A00%3A00Z", QueryEscape("receivedDateTime ge 2026-01-20T00:00:00Z"))
}

func TestNewRangeClientRefusesARelativeBaseURL(t *testing.T) {
	api := API{Service: "Microsoft Graph", DefaultBaseURL: "https://graph.microsoft.com/v1.0", Path: "/admin/exchange/tracing/messageTraces",
		Classify: func(string) Classifier { return nil }}
	for _, bad := range []string{"graph.microsoft.com/v1.0", "/v1.0", "https://"} {
		_, err := NewRangeClient(api, ClientConfig{BaseURL: bad})
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "endpoint:")
	}
	c, err := NewRangeClient(api, ClientConfig{})
	require.NoError(t, err)
	assert.Equal(t, "https://graph.microsoft.com/v1.0/admin/exchange/tracing/messageTraces", c.endpoint, "empty is the default")
}
