package auth

import (
	"net/url"
	"strings"
)

// loginCloud maps Microsoft's own login hosts to their cloud. MSAL may
// post a token request to another of them than the configured authority
// (for login.windows.net, the discovery document names
// login.microsoftonline.com); credentials may cross between the hosts of
// one cloud, never between clouds nor to any other host.
var loginCloud = map[string]string{
	"login.microsoftonline.com": "public",
	"login.windows.net":         "public",
	"login.microsoft.com":       "public",
	"sts.windows.net":           "public",

	"login.microsoftonline.us": "usgov",
	"login.usgovcloudapi.net":  "usgov",

	"login.chinacloudapi.cn":           "china",
	"login.partner.microsoftonline.cn": "china",
}

// sameMicrosoftCloud reports whether a and b are both https, on the
// default port, on login hosts of the same Microsoft cloud.
func sameMicrosoftCloud(a, b *url.URL) bool {
	cloudOf := func(u *url.URL) string {
		if !strings.EqualFold(u.Scheme, "https") || (u.Port() != "" && u.Port() != "443") {
			return ""
		}
		return loginCloud[strings.ToLower(u.Hostname())]
	}
	ca := cloudOf(a)
	return ca != "" && ca == cloudOf(b)
}
