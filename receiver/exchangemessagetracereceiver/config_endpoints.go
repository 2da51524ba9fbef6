package exchangemessagetracereceiver

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// validateEndpoints checks endpoint and authority_host, and that the API
// exists in the cloud they point at.
func (c *Config) validateEndpoints() []error {
	var errs []error
	example := defaultGraphEndpoint
	if c.API == apiReporting {
		example = defaultReportingEndpoint
	}
	if c.Endpoint != "" {
		if err := checkBaseURL("endpoint", c.Endpoint, example, true); err != nil {
			errs = append(errs, err)
		}
	}
	if c.AuthorityHost != "" {
		if err := checkBaseURL("authority_host", c.AuthorityHost, defaultAuthorityHost, false); err != nil {
			errs = append(errs, err)
		} else if u, _ := url.Parse(c.AuthorityHost); strings.Trim(u.Path, "/") != "" {
			errs = append(errs, fmt.Errorf("authority_host: %q has a path: give the host only, e.g. %s (the tenant comes from tenant_id)", u.Redacted(), defaultAuthorityHost))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return c.validateCloud()
}

// checkBaseURL reports why raw cannot be key's base URL: it must be an
// absolute https URL; http only for a loopback host (a local simulator or
// proxy) when allowHTTP. Anything else would have the clients guess.
func checkBaseURL(key, raw, example string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %q is not a URL: use an absolute https URL such as %s", key, raw, example)
	}
	shown := u.Redacted()
	switch {
	case u.Host == "":
		suggest := example
		if !strings.HasPrefix(raw, "/") {
			suggest = "https://" + raw
		}
		return fmt.Errorf("%s: %q is not an absolute URL (no scheme and host): write it in full, e.g. %s", key, shown, suggest)
	case u.User != nil:
		return fmt.Errorf("%s: %q carries a user name or password: remove it (the credential comes from the credential keys)", key, shown)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%s: %q has a query or fragment: give the base URL only, e.g. %s", key, shown, example)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && allowHTTP && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http" && allowHTTP:
		return fmt.Errorf("%s: %q uses http: use https (http is accepted only for a loopback host such as 127.0.0.1, e.g. a local simulator)", key, shown)
	}
	return fmt.Errorf("%s: %q must use https, e.g. %s", key, shown, example)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// nationalCloud is a Microsoft 365 cloud other than the global one. Graph
// message trace is offered in the global cloud only (Microsoft's
// messageTrace API page lists no national cloud); the legacy report is
// served in each cloud from its own Exchange Online host.
type nationalCloud struct {
	name string
	// Hosts that identify the cloud in endpoint, authority_host or scope.
	graphHosts, authorityHosts []string
	// The legacy report's base URL and token scope in this cloud.
	reportsEndpoint, reportsScope string
}

var nationalClouds = []nationalCloud{
	{
		name:            "US Government GCC High (L4)",
		graphHosts:      []string{"graph.microsoft.us"},
		authorityHosts:  []string{"login.microsoftonline.us", "login.usgovcloudapi.net"},
		reportsEndpoint: "https://reports.office365.us/ecp/reportingwebservice/reporting.svc",
		reportsScope:    "https://outlook.office365.us/.default",
	},
	{
		name:            "US Government DoD (L5)",
		graphHosts:      []string{"dod-graph.microsoft.us"},
		authorityHosts:  []string{"login.microsoftonline.us", "login.usgovcloudapi.net"},
		reportsEndpoint: "https://webmail.apps.mil/ecp/reportingwebservice/reporting.svc",
		reportsScope:    "https://webmail.apps.mil/.default",
	},
	{
		name:            "China (21Vianet)",
		graphHosts:      []string{"microsoftgraph.chinacloudapi.cn"},
		authorityHosts:  []string{"login.chinacloudapi.cn", "login.partner.microsoftonline.cn"},
		reportsEndpoint: "https://partner.outlook.cn/ecp/reportingwebservice/reporting.svc",
		reportsScope:    "https://partner.outlook.cn/.default",
	},
}

// cloudsOf returns the national clouds host belongs to (two for the US
// Government authority, which GCC High and DoD share), and whether host
// is a national Graph host.
func cloudsOf(host string) (clouds []nationalCloud, graphHost bool) {
	host = strings.ToLower(host)
	for _, nc := range nationalClouds {
		for _, h := range nc.graphHosts {
			if h == host {
				return []nationalCloud{nc}, true
			}
		}
		for _, h := range nc.authorityHosts {
			if h == host {
				clouds = append(clouds, nc)
			}
		}
	}
	return clouds, false
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// validateCloud refuses combinations that cannot work in a national cloud:
// Graph message trace (not offered there) and the legacy report at its
// global default endpoint (which serves global tenants only).
func (c *Config) validateCloud() []error {
	var errs []error
	keys := []struct{ key, value string }{{"endpoint", c.Endpoint}, {"authority_host", c.AuthorityHost}, {"scope", c.Scope}}
	for _, k := range keys {
		if k.value == "" {
			continue
		}
		clouds, _ := cloudsOf(hostOf(k.value))
		if len(clouds) == 0 {
			continue
		}
		if c.API == apiGraph {
			// One message is enough: the fix is the same for every key.
			return []error{fmt.Errorf("%s: %s is in the %s cloud, where Microsoft does not offer Graph message trace (global cloud only): set api: reporting with %s",
				k.key, hostOf(k.value), cloudNames(clouds), reportsAdvice(clouds))}
		}
		if k.key == "authority_host" && c.Endpoint == "" {
			errs = append(errs, fmt.Errorf("endpoint: required with authority_host %s: the default %s serves global tenants only; set %s",
				hostOf(k.value), defaultReportingEndpoint, reportsAdvice(clouds)))
		}
	}
	return errs
}

func cloudNames(clouds []nationalCloud) string {
	names := make([]string, len(clouds))
	for i, nc := range clouds {
		names[i] = nc.name
	}
	return strings.Join(names, " or ")
}

// reportsAdvice names the endpoint and scope of the legacy report in each cloud.
func reportsAdvice(clouds []nationalCloud) string {
	parts := make([]string, len(clouds))
	for i, nc := range clouds {
		parts[i] = fmt.Sprintf("endpoint: %s and scope: %s (%s)", nc.reportsEndpoint, nc.reportsScope, nc.name)
	}
	return strings.Join(parts, ", or ")
}
