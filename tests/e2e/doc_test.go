//go:build e2e

// Package e2e runs the built distribution (bin/otelcol-messagetrace, built
// by ocb) against the simulator (bin/msgtrace-sim) and its fake Sumo Logic
// source, and checks the delivery promise by comparing what the fake source
// received with the simulator's ground truth.
//
//	make e2e-test
//
// or, with the binaries built (make build):
//
//	OTELCOL_BIN=$PWD/bin/otelcol-messagetrace SIM_BIN=$PWD/bin/msgtrace-sim \
//	  go test -count=1 -tags e2e ./tests/e2e/...
//
// Time is compressed: seconds for the receiver's delay and poll interval,
// days of backfilled history served at once by the simulator.
package e2e
