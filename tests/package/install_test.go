//go:build package

package packagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	pkgName    = "otelcol-messagetrace"
	binPath    = "/usr/bin/otelcol-messagetrace"
	etcDir     = "/etc/otelcol-messagetrace"
	configPath = etcDir + "/config.yaml"
	envPath    = etcDir + "/otelcol-messagetrace.env"
	unitPath   = "/usr/lib/systemd/system/otelcol-messagetrace.service"
	stateDir   = "/var/lib/otelcol-messagetrace"
	repo       = "../.."
)

// TestDebInstall installs the .deb, checks what it installed, runs the
// service against the simulator, shows the bad-input paths, then removes,
// reinstalls and purges it. The steps build on each other and stop at the
// first failure.
func TestDebInstall(t *testing.T) {
	deb := artifact(t, "otelcol-messagetrace_*_linux_%s.deb")
	purge(t) // a run that died half-way leaves it installed
	t.Cleanup(func() {
		purge(t)
		// The package leaves its system user on purge (as Debian packages
		// do); the test leaves the machine as it found it.
		_ = exec.Command("userdel", pkgName).Run()
		_ = exec.Command("groupdel", pkgName).Run()
	})
	run(t, "dpkg", "-i", deb)

	ep := startSim(t)
	var svc *service
	var delivered []string
	var stateBefore map[string]int
	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"files owners and modes", func(t *testing.T) { checkInstalledFiles(t) }},
		{"version and commit", func(t *testing.T) { checkVersion(t, binPath) }},
		{"unit verifies", func(t *testing.T) { checkUnit(t) }},
		{"shipped credentials template fails validation naming a variable", func(t *testing.T) {
			svc = loadService(t, unitPath)
			out, code := svc.startPre(t)
			t.Logf("ExecStartPre exit %d:\n%s", code, out)
			if code == 0 {
				t.Fatalf("ExecStartPre passed with the empty template")
			}
			// The config requires each credential and the destination
			// (${env:NAME:?...}); the collector stops at the first empty one
			// it resolves, naming it.
			named := false
			for _, v := range []string{"EXCHANGE_TENANT_ID", "EXCHANGE_CLIENT_ID", "EXCHANGE_CLIENT_SECRET", "SUMOLOGIC_HTTP_SOURCE_URL"} {
				named = named || strings.Contains(out, "environment variable "+v+" is empty")
			}
			if !named {
				t.Errorf("ExecStartPre output names no empty required variable:\n%s", out)
			}
		}},
		{"service delivers rows to the simulator", func(t *testing.T) {
			writeEnv(t, ep)
			if out, code := svc.startPre(t); code != 0 {
				t.Fatalf("ExecStartPre exit %d:\n%s", code, out)
			}
			r := svc.run(t)
			delivered = waitDelivered(t, ep, r, 0)
			t.Logf("%d rows delivered", len(delivered))
			if err := checkHealth(); err != nil {
				t.Errorf("health_check on 127.0.0.1:13133: %v", err)
			}
			if err := r.stop(t); err != nil {
				t.Errorf("service exit after SIGTERM: %v", err)
			}
			stateBefore = svc.stateFiles(t)
			if len(stateBefore) == 0 {
				t.Fatalf("no file_storage files in %s", stateDir)
			}
			for f, uid := range stateBefore {
				if uid != svc.uid {
					t.Errorf("%s is owned by uid %d, want the service user's %d", f, uid, svc.uid)
				}
			}
		}},
		{"empty Sumo Logic URL stops the collector at start naming the variable", func(t *testing.T) {
			// The config requires it (${env:SUMOLOGIC_HTTP_SOURCE_URL:?...}):
			// ExecStartPre's validate fails, and so does the collector itself
			// should it be started anyway, both naming the variable.
			writeEnvSumo(t, ep, "")
			defer writeEnv(t, ep)
			const want = "environment variable SUMOLOGIC_HTTP_SOURCE_URL is empty"
			out, code := svc.startPre(t)
			if code == 0 || !strings.Contains(out, want) {
				t.Errorf("ExecStartPre exit %d, want non-zero with %q:\n%s", code, want, tail(out, 10))
			}
			r := svc.run(t)
			select {
			case <-r.done:
				var ee *exec.ExitError
				if !errors.As(r.err, &ee) || ee.ExitCode() != 1 {
					t.Errorf("exit %v, want status 1", r.err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("collector still running 30s after start with an empty SUMOLOGIC_HTTP_SOURCE_URL")
			}
			if !strings.Contains(r.output(), want) {
				t.Errorf("output lacks %q:\n%s", want, tail(r.output(), 10))
			}
		}},
		{"unreadable config fails ExecStartPre", func(t *testing.T) {
			chmod(t, configPath, 0o600)
			defer chmod(t, configPath, 0o640)
			out, code := svc.startPre(t)
			t.Logf("ExecStartPre exit %d:\n%s", code, out)
			if code == 0 || !strings.Contains(out, configPath) || !strings.Contains(out, "permission denied") {
				t.Errorf("want a non-zero exit naming %s and permission denied; exit %d:\n%s", configPath, code, out)
			}
		}},
		{"missing config fails ExecStartPre", func(t *testing.T) {
			rename(t, configPath, configPath+".away")
			defer rename(t, configPath+".away", configPath)
			out, code := svc.startPre(t)
			if code == 0 || !strings.Contains(out, configPath) || !strings.Contains(out, "no such file or directory") {
				t.Errorf("want a non-zero exit naming %s and no such file; exit %d:\n%s", configPath, code, out)
			}
		}},
		{"missing environment file stops systemd from starting anything", func(t *testing.T) {
			rename(t, envPath, envPath+".away")
			defer rename(t, envPath+".away", envPath)
			if _, err := svc.environ(); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("reading the missing %s: %v", envPath, err)
			}
			// systemd fails the start itself for a required (no "-" prefix)
			// EnvironmentFile=; the unit must not make it optional.
			if svc.envFile != envPath {
				t.Errorf("EnvironmentFile=%s, want %s (required, no - prefix)", svc.envFile, envPath)
			}
		}},
		{"remove keeps the state and the edited config", func(t *testing.T) {
			appendFile(t, configPath, "# edited by the package test\n")
			edited := read(t, configPath)
			run(t, "dpkg", "-r", pkgName)
			for _, gone := range []string{binPath, unitPath} {
				if _, err := os.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s still there after dpkg -r (%v)", gone, err)
				}
			}
			if got := read(t, configPath); got != edited {
				t.Errorf("dpkg -r changed the edited %s", configPath)
			}
			if _, err := os.Stat(envPath); err != nil {
				t.Errorf("dpkg -r removed the credentials: %v", err)
			}
			if got := svc.stateFiles(t); !sameFiles(got, stateBefore) {
				t.Errorf("state after dpkg -r: %v, before: %v", got, stateBefore)
			}
			if _, err := user.Lookup(pkgName); err != nil {
				t.Errorf("service user gone after dpkg -r: %v", err)
			}
		}},
		{"reinstall resumes from the kept cursor", func(t *testing.T) {
			edited := read(t, configPath)
			run(t, "dpkg", "-i", deb)
			if got := read(t, configPath); got != edited {
				t.Errorf("reinstall replaced the edited %s", configPath)
			}
			r := svc.run(t)
			all := waitDelivered(t, ep, r, apiRequests(t, ep))
			if err := r.stop(t); err != nil {
				t.Errorf("service exit after SIGTERM: %v", err)
			}
			if dup := duplicates(all); len(dup) > 0 {
				t.Errorf("%d rows delivered again after the reinstall (cursor or dedup keys lost), e.g. %.200s", len(dup), dup[0])
			}
			t.Logf("first run delivered %d rows; after the reinstall %d more", len(delivered), len(all)-len(delivered))
		}},
		{"purge removes state and config", func(t *testing.T) {
			run(t, "dpkg", "--purge", pkgName)
			for _, gone := range []string{etcDir, stateDir} {
				if _, err := os.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s still there after dpkg --purge (%v)", gone, err)
				}
			}
		}},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.fn) {
			return
		}
	}
}

// installedFile is what the package must install, as dpkg left it.
type installedFile struct {
	path         string
	owner, group string
	mode         fs.FileMode // permission bits, with fs.ModeDir for directories
	same         string      // the repository file it is a copy of
}

func checkInstalledFiles(t *testing.T) {
	want := []installedFile{
		{binPath, "root", "root", 0o755, ""},
		{etcDir, "root", "root", fs.ModeDir | 0o755, ""},
		{configPath, "root", pkgName, 0o640, "config/sumologic.yaml"},
		{envPath, "root", pkgName, 0o640, "packaging/otelcol-messagetrace.env"},
		{unitPath, "root", "root", 0o644, "packaging/systemd/otelcol-messagetrace.service"},
		{stateDir, pkgName, pkgName, fs.ModeDir | 0o750, ""},
	}
	for _, w := range want {
		fi, err := os.Stat(w.path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		st := fi.Sys().(*syscall.Stat_t)
		owner, group := userName(st.Uid), groupName(st.Gid)
		mode := fi.Mode() & (fs.ModeDir | fs.ModePerm)
		if owner != w.owner || group != w.group || mode != w.mode {
			t.Errorf("%s: %s:%s %v, want %s:%s %v", w.path, owner, group, mode, w.owner, w.group, w.mode)
		}
		if w.same != "" && read(t, w.path) != read(t, repo+"/"+w.same) {
			t.Errorf("%s differs from %s", w.path, w.same)
		}
	}
	conffiles := run(t, "dpkg-query", "-W", "-f=${Conffiles}", pkgName)
	for _, c := range []string{configPath, envPath} {
		if !strings.Contains(conffiles, c+" ") {
			t.Errorf("%s is not a conffile (kept on upgrade); conffiles:\n%s", c, conffiles)
		}
	}
	pw := strings.Split(strings.TrimSpace(run(t, "getent", "passwd", pkgName)), ":")
	var uid int
	fmt.Sscan(pw[2], &uid)
	if uid == 0 || uid >= 1000 || pw[5] != stateDir || pw[6] != "/usr/sbin/nologin" {
		t.Errorf("service user %q: want a system uid (1..999), home %s, shell /usr/sbin/nologin", pw, stateDir)
	}
}

var versionLine = regexp.MustCompile(`^otelcol-messagetrace version (\S+)\+([0-9a-f]{7,40})(\.dirty)?\n$`)

// checkVersion: --version prints builder-config.yaml's version and the
// commit of this checkout.
func checkVersion(t *testing.T, bin string) {
	out := run(t, bin, "--version")
	m := versionLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("--version: %q, want otelcol-messagetrace version <version>+<commit>", out)
	}
	if want := os.Getenv("DIST_VERSION"); m[1] != want {
		t.Errorf("--version says %s, builder-config.yaml (DIST_VERSION) %s", m[1], want)
	}
	head := strings.TrimSpace(run(t, "git", "-C", repo, "rev-parse", "HEAD"))
	if !strings.HasPrefix(head, m[2]) {
		t.Errorf("--version commit %s is not HEAD %s", m[2], head)
	}
}

// unitDirectives are the settings the unit must have, as the issue and the
// README promise them.
var unitDirectives = []struct{ section, key, value string }{
	{"Unit", "StartLimitBurst", "5"},
	{"Unit", "StartLimitIntervalSec", "600"},
	{"Service", "User", pkgName},
	{"Service", "Group", pkgName},
	{"Service", "EnvironmentFile", envPath},
	{"Service", "StateDirectory", pkgName},
	{"Service", "Restart", "on-failure"},
	{"Service", "NoNewPrivileges", "yes"},
	{"Service", "ProtectSystem", "strict"},
	{"Service", "ProtectHome", "yes"},
	{"Service", "PrivateTmp", "yes"},
	{"Service", "PrivateDevices", "yes"},
	{"Service", "CapabilityBoundingSet", ""},
	{"Service", "AmbientCapabilities", ""},
	{"Service", "RestrictSUIDSGID", "yes"},
	{"Service", "MemoryDenyWriteExecute", "yes"},
}

func checkUnit(t *testing.T) {
	// Any output (warnings included) is a finding.
	if out := run(t, "systemd-analyze", "verify", unitPath); strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify:\n%s", out)
	}
	// systemd's own score of the sandboxing (0 best, 10 worst); at most
	// 2.0 ("OK") for a service that needs nothing but outbound HTTPS.
	out, err := exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=20", unitPath).CombinedOutput()
	overall := regexp.MustCompile(`Overall exposure level.*`).Find(out)
	if err != nil {
		t.Errorf("systemd-analyze security: %v (want exposure at most 2.0)\n%s", err, out)
	}
	t.Logf("systemd-analyze security: %s", overall)
	u, err := parseUnit(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range unitDirectives {
		vals, ok := u[d.section][d.key]
		if !ok || vals[len(vals)-1] != d.value {
			t.Errorf("[%s] %s=%q, want %q", d.section, d.key, vals, d.value)
		}
	}
	if !strings.Contains(u.one("Service", "ExecStartPre"), " validate --config="+configPath) {
		t.Errorf("ExecStartPre=%q: want the collector's validate on %s", u.one("Service", "ExecStartPre"), configPath)
	}
}

// writeEnv fills the installed credentials file with the simulator's app,
// hosts and CA, keeping the file's owner and mode as an admin's edit would.
func writeEnv(t *testing.T, ep simEndpoints) { writeEnvSumo(t, ep, ep.Sumo) }

func writeEnvSumo(t *testing.T, ep simEndpoints, sumoURL string) {
	t.Helper()
	env := fmt.Sprintf(`# written by the package test
EXCHANGE_TENANT_ID=%s
EXCHANGE_CLIENT_ID=%s
EXCHANGE_CLIENT_SECRET="%s"
SUMOLOGIC_HTTP_SOURCE_URL=%s
EXCHANGE_AUTHORITY_HOST=%s
EXCHANGE_ENDPOINT=%s/v1.0
SSL_CERT_FILE=%s
`, ep.TenantID, ep.ClientID, simSecret, sumoURL, ep.HTTPS, ep.HTTPS, ep.CAFile)
	if err := os.WriteFile(envPath, []byte(env), 0); err != nil {
		t.Fatal(err)
	}
}

// waitDelivered waits until the service has polled past afterRequests API
// requests and the fake source's line count has stood still for 3s; it
// returns every line delivered so far.
func waitDelivered(t *testing.T, ep simEndpoints, r *running, afterRequests int64) []string {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	last, stableSince := -1, time.Now()
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			t.Fatalf("service exited: %v\n%s", r.err, tail(r.output(), 30))
		default:
		}
		lines := sinkLines(t, ep)
		if len(lines) != last {
			last, stableSince = len(lines), time.Now()
		}
		if len(lines) > 0 && apiRequests(t, ep) > afterRequests && time.Since(stableSince) > 3*time.Second {
			for _, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Fatalf("delivered line is not JSON: %.200s", l)
				}
			}
			return lines
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no rows delivered (and settled) within 90s; %d lines", last)
	return nil
}

func apiRequests(t *testing.T, ep simEndpoints) int64 {
	t.Helper()
	resp, err := http.Get(ep.Admin + "counters")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		APIRequests int64 `json:"api_requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.APIRequests
}

func checkHealth() error {
	resp, err := http.Get("http://127.0.0.1:13133/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func duplicates(lines []string) []string {
	seen := map[string]bool{}
	var dup []string
	for _, l := range lines {
		if seen[l] {
			dup = append(dup, l)
		}
		seen[l] = true
	}
	return dup
}

func sameFiles(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// purge removes the package and its files if dpkg knows it at all.
func purge(t *testing.T) {
	if exec.Command("dpkg-query", "-W", pkgName).Run() == nil {
		run(t, "dpkg", "--purge", pkgName)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(s)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, path string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func userName(uid uint32) string {
	if u, err := user.LookupId(fmt.Sprint(uid)); err == nil {
		return u.Username
	}
	return fmt.Sprint(uid)
}

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(fmt.Sprint(gid)); err == nil {
		return g.Name
	}
	return fmt.Sprint(gid)
}
