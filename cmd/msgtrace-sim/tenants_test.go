package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/simulator/identity"
)

func TestTenantFlags(t *testing.T) {
	c, err := parseArgs([]string{"-tenants", "6", "-tenant-spread", "zipf", "-tenant-rows-max", "50000",
		"-no-consent", "2", "-no-service-principal", "3,4", "-throttle-storm", "5", "-own-app", "6", "-consent-error", "7000229"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := c.simConfig(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Tenants) != 6 {
		t.Fatalf("%d tenants", len(sc.Tenants))
	}
	ts := sc.Tenants
	if ts[1].Consent != identity.ConsentNone || !ts[1].NewerConsentError || ts[0].Consent != identity.ConsentGranted ||
		!ts[2].Faults.ServicePrincipalMissing || !ts[3].Faults.ServicePrincipalMissing || ts[4].Faults.Throttle != stormRate ||
		ts[5].App == nil || ts[0].App != nil {
		t.Fatalf("tenants %+v", ts)
	}
	largest := 0.0
	for _, tc := range ts {
		largest = max(largest, tc.Model.RowsPerDay)
	}
	if largest != 50000 {
		t.Fatalf("zipf: largest tenant %g rows/day, want 50000", largest)
	}
}

func TestBadTenantSettingsNameTheKey(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-tenants", "3", "-no-consent", "4"}, "tenants.no_consent (-no-consent): tenant 4 is not one of the 3 tenants (1..3)"},
		{[]string{"-tenants", "3", "-own-app", "x"}, `"x" is not a tenant number`},
		{[]string{"-tenants", "3", "-tenant-spread", "pareto"}, `spread kind "pareto": use one of lognormal, zipf, fixed`},
		{[]string{"-tenants", "3", "-consent-error", "65001"}, "tenants.consent_error (-consent-error): 65001: use 700016 or 7000229"},
		{[]string{"-tenants", "-1"}, "tenants.count (-tenants): -1 must not be negative"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := parseArgs(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestServeWritesTheTenantsFile: the file lists every customer tenant for
// the receiver, with the own app's credentials where there is one.
func TestServeWritesTheTenantsFile(t *testing.T) {
	dir := t.TempDir()
	c := defaultConfig()
	c.HTTPSAddr, c.HTTPAddr, c.SumoAddr, c.Dir = "127.0.0.1:0", "127.0.0.1:0", "", dir
	c.Tenants = tenantsConfig{Count: 4, NoConsent: indexList{2}, OwnApp: indexList{4}}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, &out) }()
	var ep endpoints
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		data, err := os.ReadFile(filepath.Join(dir, "endpoints.json"))
		if err == nil && json.Unmarshal(data, &ep) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no endpoints.json")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ep.TenantsFile)
	if err != nil || ep.Tenants != 4 {
		t.Fatalf("tenants file %q (%d tenants): %v", ep.TenantsFile, ep.Tenants, err)
	}
	var file struct{ Tenants []tenantsFileEntry }
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Tenants) != 4 {
		t.Fatalf("%d entries:\n%s", len(file.Tenants), data)
	}
	first, own := file.Tenants[0], file.Tenants[3]
	if first.Organization != "customer0001.onmicrosoft.com" || first.ResourceAttributes["customer"] != "customer0001" ||
		first.ResourceAttributes["_sourceCategory"] != "customers/customer0001/o365" || first.ClientID != "" || len(first.TenantID) != 36 {
		t.Fatalf("entry %+v", first)
	}
	if own.ClientID == "" || own.ClientSecret == "" {
		t.Fatalf("own-app entry %+v", own)
	}
	s := out.String()
	if !strings.Contains(s, "customer0002 ") || !strings.Contains(s, "consent none") || strings.Contains(s, own.ClientSecret) {
		t.Fatalf("output:\n%s", s)
	}
}
