package main

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// TestBuildIsReproducible: the same release tarball and flags give the same
// image, byte for byte, and the image validates.
func TestBuildIsReproducible(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "release.tar.gz")
	writeRelease(t, archive, map[string]string{
		"otelcol-messagetrace_0.1.0_linux_amd64/otelcol-messagetrace": "#!/bin/sh\necho fake\n",
		"otelcol-messagetrace_0.1.0_linux_amd64/config.yaml":          "receivers: {}\n",
		"otelcol-messagetrace_0.1.0_linux_amd64/README.md":            "not shipped in the image\n",
	})
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, out := range []string{"a.tar", "b.tar"} {
		err := run([]string{"-archive", archive, "-arch", "amd64", "-ca-bundle", ca, "-version", "0.1.0",
			"-revision", strings.Repeat("ab", 20), "-created", "2026-01-02T03:04:05Z", "-out", filepath.Join(dir, out)})
		if err != nil {
			t.Fatal(err)
		}
		img, err := tarball.ImageFromPath(filepath.Join(dir, out), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Fatalf("%s does not validate: %v", out, err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of the same inputs differ: %s, %s", digests[0], digests[1])
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	noConfig := filepath.Join(dir, "noconfig.tar.gz")
	writeRelease(t, noConfig, map[string]string{"x/otelcol-messagetrace": "bin"})
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no flags", nil, "-archive is required"},
		{"bad time", []string{"-archive", noConfig, "-arch", "amd64", "-version", "1", "-revision", "r", "-created", "yesterday", "-out", "o"}, "not RFC 3339"},
		{"not a release", []string{"-archive", noConfig, "-arch", "amd64", "-version", "1", "-revision", "r", "-created", "2026-01-02T03:04:05Z", "-out", "o"}, "needs otelcol-messagetrace and config.yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func writeRelease(t *testing.T, path string, files map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		h := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
}
