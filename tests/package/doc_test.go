//go:build package

// Package packagetest installs the built .deb on this machine (the tests run
// as root) and runs the installed service the way its systemd unit says, as
// far as that can be done without systemd as PID 1: the unit is checked with
// `systemd-analyze verify`, and its ExecStartPre/ExecStart command lines run
// as the unit's User= with its EnvironmentFile= parsed as systemd does and
// its StateDirectory= as working directory, against the simulator.
//
//	make package-test     (builds amd64 packages, installs systemd and rpm, runs this)
//
// PKG_DIR is where `make package` wrote the artifacts, SIM_BIN the
// simulator binary, DIST_VERSION the version in builder-config.yaml.
package packagetest
