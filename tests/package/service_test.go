//go:build package

package packagetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// service is the installed unit, run as systemd would run it where systemd
// is not PID 1: the unit's User= and Group=, no new privileges and no
// capabilities (setpriv), EnvironmentFile= read as systemd reads it, the
// StateDirectory= as working directory.
type service struct {
	user, group string
	uid, gid    int
	envFile     string
	stateDir    string
	pre, start  []string
}

func loadService(t *testing.T, unitPath string) *service {
	t.Helper()
	u, err := parseUnit(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	s := &service{
		user: u.one("Service", "User"), group: u.one("Service", "Group"),
		envFile:  u.one("Service", "EnvironmentFile"),
		stateDir: "/var/lib/" + u.one("Service", "StateDirectory"),
	}
	if wd := u.one("Service", "WorkingDirectory"); wd != s.stateDir {
		t.Fatalf("WorkingDirectory=%s, want the StateDirectory %s", wd, s.stateDir)
	}
	if s.pre, err = plainCommand(u.one("Service", "ExecStartPre")); err != nil {
		t.Fatal(err)
	}
	if s.start, err = plainCommand(u.one("Service", "ExecStart")); err != nil {
		t.Fatal(err)
	}
	pw, err := user.Lookup(s.user)
	if err != nil {
		t.Fatalf("User=%s: %v", s.user, err)
	}
	fmt.Sscan(pw.Uid, &s.uid)
	fmt.Sscan(pw.Gid, &s.gid)
	return s
}

// environ is what the service process gets: systemd's own variables for a
// User= service, then the EnvironmentFile=. A missing or unreadable file is
// an error here as in systemd ("Failed to load environment files"), which
// then starts nothing.
func (s *service) environ() ([]string, error) {
	fileEnv, err := parseEnvFile(s.envFile)
	if err != nil {
		return nil, fmt.Errorf("failed to load environment files: %w", err)
	}
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + s.stateDir, "USER=" + s.user, "LOGNAME=" + s.user, "SHELL=/usr/sbin/nologin",
		"STATE_DIRECTORY=" + s.stateDir,
	}
	keys := make([]string, 0, len(fileEnv))
	for k := range fileEnv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+fileEnv[k])
	}
	return env, nil
}

// command is argv run as the service user.
func (s *service) command(argv []string, env []string) *exec.Cmd {
	args := append([]string{
		"--reuid=" + s.user, "--regid=" + s.group, "--init-groups",
		"--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--",
	}, argv...)
	cmd := exec.Command("setpriv", args...)
	cmd.Env, cmd.Dir = env, s.stateDir
	return cmd
}

// startPre runs ExecStartPre= and returns its output and exit code.
func (s *service) startPre(t *testing.T) (string, int) {
	t.Helper()
	env, err := s.environ()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.command(s.pre, env).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// running is the ExecStart= process.
type running struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit, valid once done is closed
}

func (s *service) run(t *testing.T) *running {
	t.Helper()
	env, err := s.environ()
	if err != nil {
		t.Fatal(err)
	}
	r := &running{cmd: s.command(s.start, env), out: &bytes.Buffer{}, done: make(chan struct{})}
	r.cmd.Stdout, r.cmd.Stderr = &lockedWriter{w: r.out}, &lockedWriter{w: r.out}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("service output:\n%s", tail(r.output(), 40))
		}
		if strings.Contains(r.output(), simSecret) {
			t.Errorf("the service's output contains the client secret")
		}
	})
	return r
}

// stop sends SIGTERM (systemd's KillMode=mixed does the same to the main
// process) and returns the exit error, nil for a clean exit.
func (r *running) stop(t *testing.T) error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Errorf("service did not stop within 30s of SIGTERM")
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	return r.err
}

func (r *running) output() string {
	mu.Lock()
	defer mu.Unlock()
	return r.out.String()
}

// stateFiles lists the regular files under the state directory with their
// owner uid.
func (s *service) stateFiles(t *testing.T) map[string]int {
	t.Helper()
	files := map[string]int{}
	err := filepath.Walk(s.stateDir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			files[p] = int(fi.Sys().(*syscall.Stat_t).Uid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
