//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// loopDisk is a small ext4 filesystem on a loop device, mounted at Dir,
// whose power a test can cut (/work/shared/reference/fault-injection.md):
// it needs root, losetup and mkfs.ext4.
type loopDisk struct {
	Dir     string // the mount point
	image   string
	dev     string // /dev/loopN
	mounted bool
}

// ext4 shutdown ioctl (_IOR('X', 125, __u32)) and its flag that keeps even
// the journal from reaching the disk: what a power cut leaves.
const (
	ext4IocShutdown          = 0x8004587D
	ext4GoingFlagsNoLogFlush = 2
)

// newLoopDisk creates a 64 MiB ext4 image, attaches it to a loop device and
// mounts it; the test's cleanup unmounts and detaches it even when the test
// fails. It skips the test where loop devices cannot be used (not root, no
// tools, no /dev/loop-control).
func newLoopDisk(t *testing.T) *loopDisk {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a loop-mounted filesystem needs root")
	}
	for _, tool := range []string{"losetup", "mkfs.ext4", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	base := t.TempDir()
	d := &loopDisk{Dir: filepath.Join(base, "mnt"), image: filepath.Join(base, "disk.img")}
	if err := os.Mkdir(d.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.image, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(d.image, 64<<20); err != nil {
		t.Fatal(err)
	}
	runTool(t, "mkfs.ext4", "-q", "-F", d.image)
	out, err := exec.Command("losetup", "--find", "--show", d.image).CombinedOutput()
	if err != nil {
		t.Skipf("no loop device: losetup: %v: %s", err, out)
	}
	d.dev = strings.TrimSpace(string(out))
	// Registered before anything runs on the disk: cleanups run last-in
	// first-out, so the collectors started later are stopped before this
	// unmounts.
	t.Cleanup(func() {
		if d.mounted {
			if out, err := exec.Command("umount", d.Dir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v: %s", d.Dir, err, out)
				_ = exec.Command("umount", "-l", d.Dir).Run()
			}
		}
		if out, err := exec.Command("losetup", "-d", d.dev).CombinedOutput(); err != nil {
			t.Errorf("losetup -d %s: %v: %s", d.dev, err, out)
		}
	})
	d.Mount(t)
	return d
}

// Mount mounts the device at Dir; after a shutdown, ext4 replays its
// journal here, as after a reboot.
func (d *loopDisk) Mount(t *testing.T) {
	t.Helper()
	runTool(t, "mount", "-t", "ext4", d.dev, d.Dir)
	d.mounted = true
}

// Unmount unmounts Dir (nothing may have a file open on it).
func (d *loopDisk) Unmount(t *testing.T) {
	t.Helper()
	runTool(t, "umount", d.Dir)
	d.mounted = false
}

// CutPower shuts the filesystem down with EXT4_GOING_FLAGS_NOLOGFLUSH:
// from now on nothing reaches the disk, not even the journal; what was not
// synced before is lost at the next mount.
func (d *loopDisk) CutPower(t *testing.T) {
	t.Helper()
	fd, err := syscall.Open(d.Dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	flag := uint32(ext4GoingFlagsNoLogFlush)
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), ext4IocShutdown, uintptr(unsafe.Pointer(&flag))); errno != 0 {
		t.Fatalf("EXT4_IOC_SHUTDOWN on %s: %v", d.Dir, errno)
	}
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}
