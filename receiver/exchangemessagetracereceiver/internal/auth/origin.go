package auth

import (
	"net/url"
	"strings"
)

// downgrade says why a move from from to to is worse than another host:
// it leaves TLS.
func downgrade(from, to *url.URL) string {
	if strings.EqualFold(from.Scheme, "https") && strings.EqualFold(to.Scheme, "http") {
		return " (from https to plain http)"
	}
	return ""
}
