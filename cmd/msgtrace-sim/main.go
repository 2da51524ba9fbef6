// Command msgtrace-sim runs the Exchange Online message trace simulator
// (Graph, legacy report, identity endpoints, admin API) and a fake Sumo
// Logic HTTP source, for demos and end-to-end tests.
//
//	msgtrace-sim [-config sim.yaml] [-seed 1] [-rows-per-day 10000] [-days 15]
//	             [-status-weights delivered=70,failed=10,quarantined=10,filteredAsSpam=10]
//	             [-https-addr 127.0.0.1:18443] [-http-addr 127.0.0.1:18081]
//	             [-sumo-addr 127.0.0.1:18080] [-dir .msgtrace-sim] [-faults '{"throttle":0.05}']
//	             [-tenants 50 -tenant-spread lognormal -tenant-rows-min 100 -tenant-rows-max 1000000
//	              -no-consent 3 -no-service-principal 5 -throttle-storm 7 -own-app 9]
//
// It writes DIR/ca.pem (for a collector's tls.ca_file) and DIR/endpoints.json,
// with -tenants the receiver's tenants file (DIR/tenants.yaml), prints
// where everything listens, and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/sumosink"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "msgtrace-sim:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := parseArgs(args)
	if err != nil {
		return err
	}
	return serve(ctx, c, out)
}

// parseArgs reads the command line in three steps: the defaults, then the
// -config file if one is named, then every flag given, which wins over the
// file. The flags are parsed twice (once to find -config, once over the
// file) so that each is declared once, bound to its field.
func parseArgs(args []string) (fileConfig, error) {
	c := defaultConfig()
	path, err := parseFlags(args, &c)
	if err != nil {
		return c, err
	}
	if path != "" {
		c = defaultConfig()
		if err := loadFile(path, &c); err != nil {
			return c, err
		}
		if _, err := parseFlags(args, &c); err != nil {
			return c, err
		}
	}
	return c, c.validate()
}

// parseFlags sets the fields of c named by the flags in args (a flag not
// given leaves its field as it is) and returns the -config path.
func parseFlags(args []string, c *fileConfig) (configPath string, err error) {
	fs := flag.NewFlagSet("msgtrace-sim", flag.ContinueOnError)
	fs.StringVar(&configPath, "config", "", "JSON or YAML config file (flags override it)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of rows and faults")

	fs.StringVar(&c.TenantID, "tenant", c.TenantID, "tenant id (empty: "+simulator.DefaultTenantID+")")
	fs.StringVar(&c.ClientID, "client-id", c.ClientID, "client id (empty: "+simulator.DefaultClientID+")")
	fs.StringVar(&c.ClientSecret, "client-secret", c.ClientSecret, "client secret (empty: a fixed test value)")
	fs.StringVar(&c.ClientCertFile, "client-cert", c.ClientCertFile, "PEM certificate registered on the application (certificate credentials)")
	fs.Var(&c.AccessTokenTTL, "token-ttl", "access token lifetime (0: 1h)")
	fs.Var(&c.RefreshTokenTTL, "refresh-token-ttl", "refresh token inactivity lifetime (0: 90 days)")
	fs.Var(&c.AuthCodeTTL, "auth-code-ttl", "authorization code lifetime (0: 10m)")

	fs.Float64Var(&c.RowsPerDay, "rows-per-day", c.RowsPerDay, "mean rows per day (0: no generated rows, only -rows)")
	fs.Float64Var(&c.Days, "days", c.Days, "days of history before start")
	fs.Float64Var(&c.DailySwing, "daily-swing", c.DailySwing, "daily rate swing in [0,1): 0 is a flat rate")
	fs.Float64Var(&c.DelayedFraction, "delayed-fraction", c.DelayedFraction, "fraction of rows that appear late (0: 0.1; negative: none)")
	fs.Var(&c.MaxVisibilityDelay, "max-visibility-delay", "longest visibility delay (0: 30m)")
	fs.Float64Var(&c.ChangingFraction, "changing-fraction", c.ChangingFraction, "fraction of rows whose status changes (0: 0.1; negative: none)")
	fs.Var(&c.MaxChangeDelay, "max-change-delay", "longest status change delay (0: 1h)")
	fs.Var(&c.StatusWeights, "status-weights", "final statuses' relative weights, e.g. delivered=70,failed=10,quarantined=10,filteredAsSpam=10 (empty: mostly delivered)")
	fs.StringVar(&c.RowsFile, "rows", c.RowsFile, "JSON file of explicit rows (array or API response)")
	fs.BoolVar(&c.LegacyVerbose, "legacy-verbose", c.LegacyVerbose, "answer the legacy report in the verbose OData shape")

	fs.IntVar(&c.RateLimit, "rate-limit", c.RateLimit, "requests per tenant per rate window (0: Microsoft's 100; negative: no quota)")
	fs.Var(&c.RateWindow, "rate-window", "rolling quota window (0: 5m)")
	fs.Var(&c.RetryAfter, "retry-after", "fixed Retry-After of 429s (0: until the window frees)")
	fs.Func("faults", `fault setting as JSON, e.g. {"throttle":0.05,"html":0.01}`, func(v string) error {
		c.Faults = simulator.Faults{}
		if err := json.Unmarshal([]byte(v), &c.Faults); err != nil {
			return fmt.Errorf("not a fault setting: %w", err)
		}
		return nil
	})

	t := &c.Tenants
	fs.IntVar(&t.Count, "tenants", t.Count, "customer tenants of a managed provider beside the home tenant (0: none)")
	fs.StringVar(&t.Spread, "tenant-spread", t.Spread, "how rows per day spread over the tenants: lognormal (default), zipf or fixed (every tenant -tenant-rows-max)")
	fs.Float64Var(&t.MinRPD, "tenant-rows-min", t.MinRPD, "smallest tenant's rows per day (0: 100)")
	fs.Float64Var(&t.MaxRPD, "tenant-rows-max", t.MaxRPD, "largest tenant's rows per day (0: 1000000)")
	fs.IntVar(&t.ConsentError, "consent-error", t.ConsentError, "AADSTS code of unconsented tenants: 700016 (0: default) or 7000229")
	fs.Var(&t.NoConsent, "no-consent", "tenants (1 for customer0001, comma-separated) that never consented to the app")
	fs.Var(&t.NoPermission, "no-permission", "tenants that consented without the message trace permission (tokens without roles: 403)")
	fs.Var(&t.NoServicePrincipal, "no-service-principal", "tenants without Microsoft's message trace service principal (Graph 401)")
	fs.Var(&t.ThrottleStorm, "throttle-storm", "tenants whose requests are half answered 429")
	fs.Var(&t.OwnApp, "own-app", "tenants with their own app registration (the tenants file carries its client id and secret)")
	fs.StringVar(&t.File, "tenants-file", t.File, "where to write the receiver's tenants file (empty: DIR/tenants.yaml)")

	fs.StringVar(&c.HTTPSAddr, "https-addr", c.HTTPSAddr, "HTTPS listen address")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "plain HTTP listen address")
	fs.StringVar(&c.SumoAddr, "sumo-addr", c.SumoAddr, "Sumo sink listen address (empty: no sink)")
	fs.StringVar(&c.Dir, "dir", c.Dir, "directory for ca.pem and endpoints.json")
	fs.DurationVar(&c.Summary, "summary", c.Summary, "print a summary of delivered vs existing rows this often (needs the Sumo sink; 0: off)")
	return configPath, fs.Parse(args)
}

// endpoints is what the command prints and writes to DIR/endpoints.json.
type endpoints struct {
	HTTPS     string `json:"https"`
	HTTP      string `json:"http"`
	CAFile    string `json:"ca_file"`
	TenantID  string `json:"tenant_id"`
	ClientID  string `json:"client_id"`
	Graph     string `json:"graph"`
	Legacy    string `json:"legacy"`
	Authority string `json:"authority"`
	Admin     string `json:"admin"`
	Sumo      string `json:"sumo,omitempty"`
	// Tenants counts the customer tenants; TenantsFile is the receiver's
	// tenants file listing them.
	Tenants     int    `json:"tenants,omitempty"`
	TenantsFile string `json:"tenants_file,omitempty"`
	SumoAdmin   string `json:"sumo_admin,omitempty"`

	// IdentityEndpoint and IdentityHeader are App Service's managed identity
	// variables (IDENTITY_ENDPOINT, IDENTITY_HEADER) for this simulator.
	IdentityEndpoint string `json:"identity_endpoint"`
	IdentityHeader   string `json:"identity_header"`
}

func serve(ctx context.Context, c fileConfig, out io.Writer) error {
	cfg, err := c.simConfig(time.Now())
	if err != nil {
		return err
	}
	sim, err := simulator.Start(cfg)
	if err != nil {
		return err
	}
	defer sim.Close()
	eff := sim.Config()
	ep := endpoints{
		HTTPS: sim.HTTPSURL, HTTP: sim.HTTPURL, CAFile: sim.CAFile, TenantID: eff.TenantID, ClientID: eff.ClientID,
		Graph:     sim.HTTPSURL + "/v1.0/admin/exchange/tracing/messageTraces",
		Legacy:    sim.HTTPSURL + "/ecp/reportingwebservice/reporting.svc/MessageTrace",
		Authority: sim.HTTPSURL + "/" + eff.TenantID,
		Admin:     sim.HTTPURL + "/admin/",
		// Managed identity endpoints are plain HTTP on the host, as on Azure.
		IdentityEndpoint: sim.HTTPURL + identity.AppServiceTokenPath,
		IdentityHeader:   sim.Identity().ManagedIdentity().Header,
	}
	var sink *sumosink.Sink
	if c.SumoAddr != "" {
		sink, err = sumosink.Start(sumosink.Config{Addr: c.SumoAddr})
		if err != nil {
			return err
		}
		defer sink.Close()
		ep.Sumo = sink.URL + "/receiver/v1/http/sim"
		ep.SumoAdmin = sink.URL + "/admin/sumo/"
	}
	if abs, err := filepath.Abs(ep.CAFile); err == nil {
		ep.CAFile = abs
	}
	if c.Tenants.Count > 0 {
		ep.Tenants, ep.TenantsFile = c.Tenants.Count, c.Tenants.File
		if ep.TenantsFile == "" {
			ep.TenantsFile = filepath.Join(c.Dir, "tenants.yaml")
		}
		if err := writeTenantsFile(ep.TenantsFile, sim); err != nil {
			return err
		}
		if abs, err := filepath.Abs(ep.TenantsFile); err == nil {
			ep.TenantsFile = abs
		}
	}
	j, _ := json.MarshalIndent(ep, "", "  ")
	if err := os.WriteFile(filepath.Join(c.Dir, "endpoints.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "msgtrace-sim: seed %d, %.0f rows/day, %.1f days of history\n", c.Seed, c.RowsPerDay, c.Days)
	fmt.Fprintf(out, "  https     %s (CA %s)\n", ep.HTTPS, ep.CAFile)
	fmt.Fprintf(out, "  http      %s\n", ep.HTTP)
	fmt.Fprintf(out, "  graph     %s\n", ep.Graph)
	fmt.Fprintf(out, "  legacy    %s\n", ep.Legacy)
	fmt.Fprintf(out, "  authority %s (tenant %s, client %s)\n", ep.Authority, ep.TenantID, ep.ClientID)
	fmt.Fprintf(out, "  admin     %s (truth, counters, faults, authcode, health)\n", ep.Admin)
	fmt.Fprintf(out, "  managed identity IDENTITY_ENDPOINT=%s (IDENTITY_HEADER in endpoints.json)\n", ep.IdentityEndpoint)
	if ep.Sumo != "" {
		fmt.Fprintf(out, "  sumo      %s (admin %s)\n", ep.Sumo, ep.SumoAdmin)
	}
	if ep.Tenants > 0 {
		printTenants(out, sim, c.Tenants, ep)
	}
	fmt.Fprintf(out, "  endpoints %s\n", filepath.Join(c.Dir, "endpoints.json"))
	if c.Summary > 0 && sink != nil {
		go runSummary(ctx, sim, sink, cfg.Model.From, c.Summary, out)
	}
	<-ctx.Done()
	cnt := sim.Counters()
	fmt.Fprintf(out, "msgtrace-sim: stopping: %d Graph/legacy requests (peak %d per %s, %d throttled), rows served %v\n",
		cnt.APIRequests, cnt.MaxAPIRequestsInWindow, time.Duration(cnt.RateWindow), cnt.Throttled, cnt.RowsServed)
	if sink != nil {
		st := sink.Stats()
		fmt.Fprintf(out, "msgtrace-sim: sumo sink received %d lines in %d requests (%d refused)\n", st.Lines, st.Accepted, st.Rejected)
	}
	return nil
}
