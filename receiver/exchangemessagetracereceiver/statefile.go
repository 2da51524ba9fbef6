package exchangemessagetracereceiver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/boltcheck"
)

// A corrupt file_storage file must stop the receiver with an error that
// names the file and the fix, not crash the collector: bbolt, opening the
// file, panics on a goroutine of its own (see boltcheck), which the
// extension's `recreate` cannot recover either, so systemd restarts the
// collector into the same panic for ever. The file is checked before the
// extension opens it.
//
// A file of zero bytes is refused too: file_storage never leaves one (bbolt
// writes its first pages in the call that creates the file), so it means
// the state was lost (a truncation, a failed restore), and bbolt would
// silently start afresh and replay initial_lookback: possibly days of rows
// sent again. The operator chooses: a backup, or starting over.

// fileStorageExt is the package of the file_storage extension, whose
// state file the receiver checks.
const fileStorageExt = "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"

// checkStateFile checks the file file_storage keeps the receiver self's
// state in, when ext is file_storage. With the extension's `recreate: true`
// a corrupt or empty file is moved aside (as the extension would), with a
// warning; otherwise it is an error naming the file and the fix.
func checkStateFile(ext component.Component, self component.ID, logger *zap.Logger) error {
	path, recreate, ok := fileStorageFile(ext, self)
	if !ok {
		if isFileStorage(ext) {
			logger.Warn("storage: cannot find file_storage's state file to check it before opening (an extension version this build does not know); a corrupt file may crash the collector")
		}
		return nil
	}
	err := boltcheck.Check(path)
	if errors.Is(err, syscall.ENAMETOOLONG) {
		// The extension then keeps the file under a hash of its name.
		sum := sha256.Sum256([]byte(filepath.Base(path)))
		path = filepath.Join(filepath.Dir(path), hex.EncodeToString(sum[:]))
		err = boltcheck.Check(path)
	}
	if err == nil {
		return nil
	}
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("storage: reading the state file %s: %w", path, err)
	}
	problem := fmt.Sprintf("is corrupt (%v)", err)
	if errors.Is(err, boltcheck.ErrEmpty) {
		problem = "is empty (0 bytes): the cursor and the keys of the rows delivered are gone"
	}
	if recreate {
		backup := path + "." + time.Now().Format("2006-01-02T15:04:05.000") + ".backup"
		if err := os.Rename(path, backup); err != nil {
			return fmt.Errorf("storage: the state file %s %s, and moving it aside failed (%w): move it aside by hand", path, problem, err)
		}
		logger.Warn("storage: the state file "+problem+"; moved it aside (file_storage recreate: true): collection starts over from initial_lookback and rows already delivered in that time are sent again",
			zap.String("file", path), zap.String("moved_to", backup))
		return nil
	}
	return fmt.Errorf("storage: the state file %s %s; move it aside to start over from initial_lookback (rows already delivered in that time are sent again), or restore it from a backup; file_storage's `recreate: true` moves such a file aside by itself", path, problem)
}

func isFileStorage(ext component.Component) bool {
	t := reflect.TypeOf(ext)
	return t != nil && t.Kind() == reflect.Pointer && t.Elem().PkgPath() == fileStorageExt
}

// fileStorageFile returns the file file_storage keeps the state of
// receiver self in, and its `recreate` setting. The extension keeps its
// config unexported, so it is read by reflection; ok is false when ext is
// not file_storage or its layout is not the one known here.
func fileStorageFile(ext component.Component, self component.ID) (path string, recreate, ok bool) {
	if !isFileStorage(ext) {
		return "", false, false
	}
	v := reflect.ValueOf(ext).Elem()
	if v.Kind() != reflect.Struct {
		return "", false, false
	}
	cfg := v.FieldByName("cfg")
	if !cfg.IsValid() || cfg.Kind() != reflect.Pointer || cfg.IsNil() {
		return "", false, false
	}
	dir, rec := cfg.Elem().FieldByName("Directory"), cfg.Elem().FieldByName("Recreate")
	if dir.Kind() != reflect.String || rec.Kind() != reflect.Bool {
		return "", false, false
	}
	// The extension's name scheme (GetClient): kind, type and name of the
	// component, unsafe characters escaped.
	name := fileStorageSanitize(fmt.Sprintf("receiver_%s_%s", self.Type(), self.Name()))
	return filepath.Join(dir.String(), name), rec.Bool(), true
}

// fileStorageSanitize is the extension's sanitize: a character other than
// a letter, digit, '.', '-' or '_' becomes '~' and its code point in hex.
func fileStorageSanitize(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "~%04X", r)
		}
	}
	return b.String()
}
