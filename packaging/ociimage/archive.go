package main

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
)

// releaseFiles are the files of the release tarball the image ships.
type releaseFiles struct {
	binary []byte
	config []byte
}

// readRelease takes the binary and the default config out of a tarball that
// goreleaser wrote (one top-level directory; see .goreleaser.yaml).
func readRelease(archive string) (releaseFiles, error) {
	var rf releaseFiles
	f, err := os.Open(archive)
	if err != nil {
		return rf, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return rf, fmt.Errorf("%s: %w", archive, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rf, fmt.Errorf("%s: %w", archive, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		var dst *[]byte
		switch path.Base(h.Name) {
		case binaryName:
			dst = &rf.binary
		case "config.yaml":
			dst = &rf.config
		default:
			continue
		}
		if *dst, err = io.ReadAll(tr); err != nil {
			return rf, fmt.Errorf("%s: %s: %w", archive, h.Name, err)
		}
	}
	if rf.binary == nil || rf.config == nil {
		return rf, fmt.Errorf("%s: needs %s and config.yaml; is it a release tarball of `make package`?", archive, binaryName)
	}
	return rf, nil
}
