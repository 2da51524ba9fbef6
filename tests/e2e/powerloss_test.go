//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestPowerLoss: the machine loses power just after a backfill. The
// collector keeps its state with the shipped file_storage settings on an
// ext4 filesystem (a loop-mounted image) that is shut down without even
// flushing its journal, the collector dies with it, the filesystem is
// mounted again (its journal replays, as after a reboot) and the collector
// restarts on it. docs/delivery.md, "Delivery promise": nothing is lost, and at most
// the page in flight is repeated. Without `fsync: true` bbolt does not sync
// its commits, the cursor on disk is up to the filesystem's last journal
// commit old, and the restart repeats every page since (before the shipped
// configs synced: 18,774 to 18,779 rows, 37 pages, in three runs of four,
// 1,790 in the fourth; with it, 0).
func TestPowerLoss(t *testing.T) {
	t.Parallel() // waits on the simulator and the collector, little CPU
	const (
		days, perDay = 1, 20000
		pageSize     = 500
	)
	fig := recordFigures(t, fmt.Sprintf("power loss just after a backfill (ext4 on a loop device shut down with EXT4_GOING_FLAGS_NOLOGFLUSH, collector killed, journal replayed at the next mount), the shipped file_storage settings, page_size %d", pageSize))
	bins := requireBinaries(t)
	disk := newLoopDisk(t)
	tb := newTestbed(t, bins, append(historyArgs(days, perDay), "-rate-limit", "-1")...)
	tb.storageDir = filepath.Join(disk.Dir, "storage")
	historyStart := tb.sim.started.Add(-days*24*time.Hour - time.Hour)
	history := int64(len(tb.sim.Truth(historyStart, tb.sim.started)))

	cfg := tb.config("graph", days*24*time.Hour+time.Hour)
	storage := shippedFileStorage(t, "sumologic.yaml")
	storage["directory"] = tb.storageDir
	cfg["extensions"].(yamlMap)["file_storage"] = storage
	receiverOf(cfg)["page_size"] = pageSize
	receiverOf(cfg)["max_requests_per_5m"] = 0
	t.Logf("file_storage as shipped: %v", storage)

	col := tb.startCollector(t, bins, cfg)
	tb.requireBackfill(t, history)
	// The power goes: the CPU stops (SIGSTOP, so that the process cannot
	// write or send after the disk is gone), the disk keeps nothing more,
	// and the process is gone.
	if err := col.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP: %v", err)
	}
	disk.CutPower(t)
	col.Kill()
	cutAt := tb.sim.SumoStats().Lines
	disk.Unmount(t)
	disk.Mount(t)

	col = tb.startCollector(t, bins, cfg)
	d := tb.finishAndJudge(t, history, historyStart, col.Stop, pageSize, fig,
		fmt.Sprintf("0 lost; ≤ %d (the page in flight) repeated", pageSize))
	repeated := repeatsPerEvent(t, d, []int64{cutAt}, pageSize, "power loss")
	fig.Other = fmt.Sprintf("rows repeated after the power loss: %d (%d at the cut, history %d)", repeated[0], cutAt, history)
	t.Logf("power loss after %d of %d history rows delivered: %d rows repeated on restart", cutAt, history, repeated[0])
}

// shippedFileStorage is the file_storage extension of a shipped config.
func shippedFileStorage(t *testing.T, file string) yamlMap {
	t.Helper()
	b, err := os.ReadFile(shippedConfig(file))
	if err != nil {
		t.Fatal(err)
	}
	var cfg yamlMap
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	fs, ok := cfg["extensions"].(yamlMap)["file_storage"].(yamlMap)
	if !ok {
		t.Fatalf("%s has no file_storage extension", file)
	}
	return fs
}
