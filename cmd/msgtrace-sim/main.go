// Command msgtrace-sim runs the Exchange Online message trace simulator
// (Graph, legacy report, identity endpoints, admin API) and a fake Sumo
// Logic HTTP source, for demos and end-to-end tests.
//
//	msgtrace-sim [-config sim.yaml] [-seed 1] [-rows-per-day 10000] [-days 15]
//	             [-https-addr 127.0.0.1:18443] [-http-addr 127.0.0.1:18081]
//	             [-sumo-addr 127.0.0.1:18080] [-dir .msgtrace-sim] [-faults '{"throttle":0.05}']
//
// It writes DIR/ca.pem (for a collector's tls.ca_file) and DIR/endpoints.json,
// prints where everything listens, and stops on SIGINT or SIGTERM.
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

func parseArgs(args []string) (fileConfig, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet("msgtrace-sim", flag.ContinueOnError)
	configPath := fs.String("config", "", "JSON or YAML config file (flags override it)")
	var flagged fileConfig
	faults := fs.String("faults", "", `fault setting as JSON, e.g. {"throttle":0.05,"html":0.01}`)
	fs.Uint64Var(&flagged.Seed, "seed", c.Seed, "seed of rows and faults")
	fs.StringVar(&flagged.TenantID, "tenant", "", "tenant id (default "+simulator.DefaultTenantID+")")
	fs.StringVar(&flagged.ClientID, "client-id", "", "client id (default "+simulator.DefaultClientID+")")
	fs.StringVar(&flagged.ClientSecret, "client-secret", "", "client secret (default a fixed test value)")
	fs.Float64Var(&flagged.RowsPerDay, "rows-per-day", c.RowsPerDay, "mean rows per day (0: only -rows)")
	fs.Float64Var(&flagged.Days, "days", c.Days, "days of history before start")
	fs.Float64Var(&flagged.DailySwing, "daily-swing", c.DailySwing, "daily rate swing in [0,1): 0 is a flat rate")
	fs.Float64Var(&flagged.DelayedFraction, "delayed-fraction", 0, "fraction of rows that appear late (default 0.1; negative: none)")
	fs.Float64Var(&flagged.ChangingFraction, "changing-fraction", 0, "fraction of rows whose status changes (default 0.1; negative: none)")
	maxVis := fs.Duration("max-visibility-delay", 0, "longest visibility delay (default 30m)")
	maxChange := fs.Duration("max-change-delay", 0, "longest status change delay (default 1h)")
	fs.StringVar(&flagged.RowsFile, "rows", "", "JSON file of explicit rows (array or API response)")
	rateLimit := fs.Int("rate-limit", 100, "requests per tenant per rate window (0: no quota)")
	rateWindow := fs.Duration("rate-window", 0, "rolling quota window (default 5m)")
	retryAfter := fs.Duration("retry-after", 0, "fixed Retry-After of 429s (default: until the window frees)")
	tokenTTL := fs.Duration("token-ttl", 0, "access token lifetime (default 1h)")
	refreshTTL := fs.Duration("refresh-token-ttl", 0, "refresh token inactivity lifetime (default 90 days)")
	codeTTL := fs.Duration("auth-code-ttl", 0, "authorization code lifetime (default 10m)")
	fs.StringVar(&flagged.ClientCertFile, "client-cert", "", "PEM certificate registered on the application (certificate credentials)")
	fs.BoolVar(&flagged.LegacyVerbose, "legacy-verbose", false, "answer the legacy report in the verbose OData shape")
	fs.StringVar(&flagged.HTTPSAddr, "https-addr", c.HTTPSAddr, "HTTPS listen address")
	fs.StringVar(&flagged.HTTPAddr, "http-addr", c.HTTPAddr, "plain HTTP listen address")
	fs.StringVar(&flagged.SumoAddr, "sumo-addr", c.SumoAddr, "Sumo sink listen address (empty: no sink)")
	fs.StringVar(&flagged.Dir, "dir", c.Dir, "directory for ca.pem and endpoints.json")
	fs.DurationVar(&flagged.Summary, "summary", 0, "print a summary of delivered vs existing rows this often (needs the Sumo sink; 0: off)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *configPath != "" {
		if err := loadFile(*configPath, &c); err != nil {
			return c, err
		}
	}
	var ferr error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "summary":
			c.Summary = flagged.Summary
		case "seed":
			c.Seed = flagged.Seed
		case "tenant":
			c.TenantID = flagged.TenantID
		case "client-id":
			c.ClientID = flagged.ClientID
		case "client-secret":
			c.ClientSecret = flagged.ClientSecret
		case "rows-per-day":
			c.RowsPerDay = flagged.RowsPerDay
		case "days":
			c.Days = flagged.Days
		case "daily-swing":
			c.DailySwing = flagged.DailySwing
		case "delayed-fraction":
			c.DelayedFraction = flagged.DelayedFraction
		case "changing-fraction":
			c.ChangingFraction = flagged.ChangingFraction
		case "max-visibility-delay":
			c.MaxVisibilityDelay = simulator.Duration(*maxVis)
		case "max-change-delay":
			c.MaxChangeDelay = simulator.Duration(*maxChange)
		case "rows":
			c.RowsFile = flagged.RowsFile
		case "rate-limit":
			c.RateLimit = rateLimit
		case "rate-window":
			c.RateWindow = simulator.Duration(*rateWindow)
		case "retry-after":
			c.RetryAfter = simulator.Duration(*retryAfter)
		case "token-ttl":
			c.AccessTokenTTL = simulator.Duration(*tokenTTL)
		case "refresh-token-ttl":
			c.RefreshTokenTTL = simulator.Duration(*refreshTTL)
		case "auth-code-ttl":
			c.AuthCodeTTL = simulator.Duration(*codeTTL)
		case "client-cert":
			c.ClientCertFile = flagged.ClientCertFile
		case "legacy-verbose":
			c.LegacyVerbose = flagged.LegacyVerbose
		case "https-addr":
			c.HTTPSAddr = flagged.HTTPSAddr
		case "http-addr":
			c.HTTPAddr = flagged.HTTPAddr
		case "sumo-addr":
			c.SumoAddr = flagged.SumoAddr
		case "dir":
			c.Dir = flagged.Dir
		case "faults":
			c.Faults = simulator.Faults{}
			if err := json.Unmarshal([]byte(*faults), &c.Faults); err != nil {
				ferr = fmt.Errorf("-faults: %w", err)
			}
		}
	})
	return c, ferr
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
	SumoAdmin string `json:"sumo_admin,omitempty"`

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
