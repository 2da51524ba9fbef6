//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// pgRole and pgDatabase are the superuser and the database of every test
// cluster: trust authentication on loopback, so no password anywhere.
const (
	pgRole     = "otelcol"
	pgDatabase = "msgtrace"
)

// postgres is one test's own PostgreSQL server (Debian's `postgresql`
// package, `make ha-deps`): a fresh cluster in a temporary directory, run
// by an unprivileged user (PostgreSQL refuses root), listening on
// 127.0.0.1 only.
type postgres struct {
	t       *testing.T
	bin     string // the directory of initdb, pg_ctl, createdb
	dir     string // owned by the server's user: data/ and the log
	data    string
	logPath string
	port    int
	cred    *syscall.Credential // nil when the test does not run as root
	owner   string              // the system user running the server
	running bool
}

// startPostgres initialises and starts a cluster for the test, with the
// database the collectors use; the cluster is stopped and removed when the
// test ends (its log kept with the other artifacts). Without PostgreSQL the
// test is skipped, except under CI=true, where it fails.
func startPostgres(t *testing.T) *postgres {
	t.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v (`make ha-deps` installs Debian's postgresql)", err)
		}
		t.Skipf("PostgreSQL is not installed: %v; `make ha-deps` installs Debian's postgresql", err)
	}
	p := &postgres{t: t, bin: bin}
	if p.cred, p.owner, err = postgresUser(); err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: the server's user must reach its directory, and a
	// test's temporary directories are root's own (0700).
	if p.dir, err = os.MkdirTemp("", "otelcol-e2e-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(p.dir) })
	if p.cred != nil {
		if err := os.Chown(p.dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	p.data = filepath.Join(p.dir, "data")
	p.logPath = filepath.Join(p.dir, "postgresql.log")
	_, portText, _ := net.SplitHostPort(freeAddr(t))
	p.port, _ = strconv.Atoi(portText)

	p.run("initdb", "-D", p.data, "-U", pgRole, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	// Loopback TCP only; the socket in the cluster's own directory (the
	// default /var/run/postgresql may not exist or be another user's).
	// fsync off: the data is a test's, and the machine is shared.
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nfsync = off\nmax_connections = 40\nlog_min_messages = warning\n",
		p.port, p.dir)
	f, err := os.OpenFile(filepath.Join(p.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.running {
			p.pgCtl("stop", "-m", "immediate")
		}
		keepArtifact(t, p.logPath)
		if t.Failed() {
			logTail(t, "postgresql", p.logPath, 30)
		}
	})
	p.Start()
	p.run("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", pgRole, pgDatabase)
	t.Logf("PostgreSQL (%s, run by %s) on 127.0.0.1:%d, database %s", p.bin, p.owner, p.port, pgDatabase)
	return p
}

// Start starts the server (again, after Stop) and waits until it accepts
// connections.
func (p *postgres) Start() {
	p.t.Helper()
	p.pgCtl("start", "-l", p.logPath, "-t", "60")
	p.running = true
}

// Stop stops the server with the fast mode: open connections are ended,
// as when a database is restarted under its clients.
func (p *postgres) Stop() {
	p.t.Helper()
	p.pgCtl("stop", "-m", "fast", "-t", "60")
	p.running = false
}

// Datasource is db_storage's connection string for the test database.
func (p *postgres) Datasource() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", pgRole, p.port, pgDatabase)
}

// dbStorage is the db_storage extension's config on this server (the pgx
// driver of contrib's dbstorage).
func (p *postgres) dbStorage() yamlMap {
	return yamlMap{"driver": "pgx", "datasource": p.Datasource()}
}

func (p *postgres) pgCtl(args ...string) {
	p.t.Helper()
	p.run("pg_ctl", append([]string{"-D", p.data, "-w"}, args...)...)
}

// run runs one of PostgreSQL's programs as the server's user.
func (p *postgres) run(prog string, args ...string) {
	p.t.Helper()
	cmd := exec.Command(filepath.Join(p.bin, prog), args...)
	cmd.Dir = p.dir
	cmd.Env = []string{"PATH=" + p.bin + ":/usr/bin:/bin", "LC_ALL=C", "HOME=" + p.dir, "PGCONNECT_TIMEOUT=10"}
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		logTail(p.t, "postgresql", p.logPath, 30)
		p.t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
}

// postgresBinDir finds the server's programs: on PATH (a symlink resolved
// to its directory, where the other programs are), else Debian's
// /usr/lib/postgresql/<version>/bin, the newest version.
func postgresBinDir() (string, error) {
	has := func(dir string) bool {
		for _, prog := range []string{"initdb", "pg_ctl", "createdb", "postgres"} {
			if _, err := os.Stat(filepath.Join(dir, prog)); err != nil {
				return false
			}
		}
		return true
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil && has(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb, pg_ctl, createdb and postgres on PATH or in /usr/lib/postgresql/*/bin")
}

func pgVersion(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// postgresUser is who runs the server: the test's own user unless that is
// root; then Debian's postgres user (the package creates it), else nobody.
func postgresUser() (*syscall.Credential, string, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return nil, "", err
		}
		return nil, u.Username, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, name, nil
	}
	return nil, "", fmt.Errorf("running as root, and neither the postgres nor the nobody user exists to run PostgreSQL (it refuses root): create one (useradd --system postgres)")
}
