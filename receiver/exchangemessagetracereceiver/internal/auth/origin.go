package auth

import (
	"net/url"
	"strings"
)

// SameOrigin reports whether a and b have the same scheme, host and port
// (the default port of the scheme when none is written): the unit a
// credential is bound to. http and https are different origins, so a
// downgrade never matches.
func SameOrigin(a, b *url.URL) bool {
	return a != nil && b != nil &&
		strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

// Origin is u's scheme://host[:port], for messages.
func Origin(u *url.URL) string {
	if u == nil {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// downgrade says why a move from from to to is worse than another host:
// it leaves TLS.
func downgrade(from, to *url.URL) string {
	if strings.EqualFold(from.Scheme, "https") && strings.EqualFold(to.Scheme, "http") {
		return " (from https to plain http)"
	}
	return ""
}
