// Command ociimage builds the otelcol-messagetrace container image as a file
// (`docker load` / `podman load` read it), without a container daemon: from
// the release tarball `make package` wrote, so the image runs the very binary
// and config the tarball and the packages ship.
//
//	ociimage -archive build/package/otelcol-messagetrace_0.1.0_linux_amd64.tar.gz \
//	  -arch amd64 -version 0.1.0 -revision <commit> -created <RFC 3339> \
//	  -out build/package/otelcol-messagetrace_0.1.0_linux_amd64.image.tar
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ociimage:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ociimage", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.archive, "archive", "", "release tarball (.tar.gz) holding otelcol-messagetrace and config.yaml")
	fs.StringVar(&o.arch, "arch", "", "GOARCH of the binary in the archive (amd64, arm64)")
	fs.StringVar(&o.caBundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of CA certificates to ship (Debian's ca-certificates)")
	fs.StringVar(&o.version, "version", "", "image version (org.opencontainers.image.version and the tag)")
	fs.StringVar(&o.revision, "revision", "", "source commit (org.opencontainers.image.revision)")
	created := fs.String("created", "", "creation time, RFC 3339 (the commit's time keeps the image reproducible)")
	fs.StringVar(&o.repository, "repository", "otelcol-messagetrace", "image name the tarball tags")
	fs.StringVar(&o.out, "out", "", "image tarball to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, req := range []struct{ name, val string }{
		{"-archive", o.archive}, {"-arch", o.arch}, {"-version", o.version},
		{"-revision", o.revision}, {"-created", *created}, {"-out", o.out},
	} {
		if req.val == "" {
			return fmt.Errorf("%s is required", req.name)
		}
	}
	var err error
	if o.created, err = time.Parse(time.RFC3339, *created); err != nil {
		return fmt.Errorf("-created %q: not RFC 3339: %w", *created, err)
	}
	return build(o)
}
