// Package simulator is a fake Exchange Online message trace service for
// tests, demos and benchmarks: Microsoft Graph messageTraces, the legacy
// Reporting Web Service MessageTrace report, the identity platform's token
// endpoints (package simulator/identity), and an admin API that exposes the
// ground truth, request counters and fault switches.
//
// Rows are never materialised: each time bucket's rows are a pure function of
// (seed, bucket index), so a month of a million rows a day costs nothing
// until a page is asked for, and a skiptoken is just a position.
package simulator
