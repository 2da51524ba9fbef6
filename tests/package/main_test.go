//go:build package

package packagetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// inNetns marks the re-executed test binary.
const inNetns = "PACKAGE_TEST_NETNS"

// TestMain runs the tests in a network namespace of their own (only a
// loopback interface): the installed config's fixed ports (the collector's
// own metrics on :8888) cannot collide with anything else on the machine,
// and no traffic can leave it. It also holds a machine-wide lock: the test
// installs into /usr, /etc and /var/lib, so two checkouts must not run it
// at the same time.
func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "package tests install a .deb: run them as root (make package-test)")
		os.Exit(1)
	}
	if os.Getenv(inNetns) == "" {
		os.Exit(reexecInNetns())
	}
	os.Exit(m.Run())
}

func reexecInNetns() int {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "otelcol-messagetrace-package-test.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "package test lock:", err)
		return 1
	}
	defer lock.Close()
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command("unshare", append([]string{"--net", "--", "sh", "-c", `ip link set lo up && exec "$@"`, "sh", self}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), inNetns+"=1")
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "unshare --net (util-linux, iproute2):", err)
		return 1
	}
	return 0
}

// artifact returns the one file in PKG_DIR matching pattern (a glob with
// %s for this machine's GOARCH).
func artifact(t *testing.T, pattern string) string {
	t.Helper()
	dir := os.Getenv("PKG_DIR")
	if dir == "" {
		t.Fatal("PKG_DIR is not set: run `make package-test`")
	}
	glob := filepath.Join(dir, fmt.Sprintf(pattern, runtime.GOARCH))
	m, _ := filepath.Glob(glob)
	if len(m) != 1 {
		t.Fatalf("want exactly one %s, found %q: run `make package`", glob, m)
	}
	return m[0]
}

// run runs a command and returns its combined output; it fails the test on
// a non-zero exit.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
	return string(out)
}
