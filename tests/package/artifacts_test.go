//go:build package

package packagetest

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestRPMContents: `rpm -qpl` lists the files the .deb installs, the
// config and credentials are %config(noreplace), and the scripts that create
// the user and keep the state are in it.
func TestRPMContents(t *testing.T) {
	rpmFile := artifact(t, "otelcol-messagetrace_*_linux_%s.rpm")
	files := strings.Fields(run(t, "rpm", "-qpl", rpmFile))
	for _, want := range []string{binPath, configPath, envPath, unitPath, etcDir} {
		if !contains(files, want) {
			t.Errorf("rpm -qpl lacks %s; lists %q", want, files)
		}
	}
	configs := strings.Fields(run(t, "rpm", "-qpc", rpmFile))
	sort.Strings(configs)
	if strings.Join(configs, " ") != configPath+" "+envPath {
		t.Errorf("rpm -qpc: %q, want the config and the credentials file", configs)
	}
	modes := run(t, "rpm", "-qp", "--qf", "[%{FILENAMES} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEMODES:perms}\n]", rpmFile)
	for _, want := range []string{
		envPath + " root:otelcol-messagetrace -rw-r-----",
		configPath + " root:otelcol-messagetrace -rw-r-----",
		binPath + " root:root -rwxr-xr-x",
	} {
		if !strings.Contains(modes, want+"\n") {
			t.Errorf("rpm file modes lack %q:\n%s", want, modes)
		}
	}
	scripts := run(t, "rpm", "-qp", "--scripts", rpmFile)
	for _, want := range []string{"useradd --system", "install -d -o \"$name\"", "systemctl stop"} {
		if !strings.Contains(scripts, want) {
			t.Errorf("rpm scripts lack %q", want)
		}
	}
}

// TestTarballAndChecksums: every artifact is in checksums.txt with its
// sha256, and the tarball holds the binary, the config, the unit and the
// credentials template.
func TestTarballAndChecksums(t *testing.T) {
	dir := filepath.Dir(artifact(t, "otelcol-messagetrace_*_linux_%s.deb"))
	f, err := os.Open(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("checksums.txt line %q", sc.Text())
		}
		listed[name] = true
		if got := sha256File(t, filepath.Join(dir, name)); got != sum {
			t.Errorf("%s: sha256 %s, checksums.txt says %s", name, got, sum)
		}
	}
	for _, p := range []string{"*.deb", "*.rpm", "*.tar.gz"} {
		m, _ := filepath.Glob(filepath.Join(dir, p))
		for _, a := range m {
			if !listed[filepath.Base(a)] {
				t.Errorf("%s is not in checksums.txt", filepath.Base(a))
			}
		}
	}

	tgz := artifact(t, "otelcol-messagetrace_*_linux_%s.tar.gz")
	got := tarNames(t, tgz)
	for _, want := range []string{"otelcol-messagetrace", "config.yaml", "otelcol-messagetrace.env", "otelcol-messagetrace.service", "README.md"} {
		if !contains(got, want) {
			t.Errorf("%s lacks %s; has %q", filepath.Base(tgz), want, got)
		}
	}
}

func tarNames(t *testing.T, tgz string) []string {
	t.Helper()
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, path.Base(h.Name))
	}
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
