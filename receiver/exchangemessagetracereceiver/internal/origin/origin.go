// Package origin compares URLs by origin (scheme, host and port): the unit
// a credential is bound to. The bearer token, the `auth` extension's
// signature and the identity platform's client credentials each go to one
// origin only; every check of that uses this package, so that the rules
// (case, default ports, no downgrade) are the same everywhere.
package origin

import (
	"net/url"
	"strings"
)

// Same reports whether a and b have the same scheme, host and port (the
// default port of the scheme when none is written, so
// https://graph.microsoft.com:443 is https://graph.microsoft.com). http and
// https are different origins, so a downgrade never matches. A nil URL
// matches nothing.
func Same(a, b *url.URL) bool {
	return a != nil && b != nil &&
		strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

// SameLink reports whether link is an absolute URL of base's origin: a
// nextLink or a resume link is followed, with the credential, only then.
func SameLink(link string, base *url.URL) bool {
	u, err := url.Parse(link)
	return err == nil && u.IsAbs() && Same(u, base)
}

// String is u's scheme://host[:port], for messages.
func String(u *url.URL) string {
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
