package logmap

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// To regenerate the golden files after an intended change of the mapping:
//
//	go test ./receiver/exchangemessagetracereceiver/internal/logmap/ -run TestGolden -update
//
// then review the diff of testdata/*.yaml. With -update the test writes the
// files (golden.WriteLogs) and reports failure, so it cannot pass by accident.
var update = flag.Bool("update", false, "rewrite testdata/*.yaml golden files from the current mapping")

var observedAt = pcommon.NewTimestampFromTime(time.Date(2026, 1, 21, 15, 0, 0, 0, time.UTC))

func mapFixtures(opts Options, fixtures []fixture) plog.Logs {
	logs := plog.NewLogs()
	lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	m := New(opts)
	for i := range fixtures {
		m.Append(lrs, &fixtures[i].row, fixtures[i].api, observedAt, fixtures[i].previousStatus)
	}
	return logs
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file     string
		fixtures []fixture
		opts     Options
	}{
		{"seed_api_map.yaml", seedRows, Options{FieldNames: FieldNamesAPI, BodyFormat: BodyMap}},
		{"seed_api_json.yaml", seedRows, Options{FieldNames: FieldNamesAPI, BodyFormat: BodyJSON}},
		{"seed_graph_map.yaml", seedRows, Options{FieldNames: FieldNamesGraph, BodyFormat: BodyMap}},
		{"seed_graph_json.yaml", seedRows, Options{FieldNames: FieldNamesGraph, BodyFormat: BodyJSON}},
		{"graph_api_map.yaml", graphRows, Options{FieldNames: FieldNamesAPI, BodyFormat: BodyMap}},
		{"graph_api_json.yaml", graphRows, Options{FieldNames: FieldNamesAPI, BodyFormat: BodyJSON}},
		{"graph_legacy_map.yaml", graphRows, Options{FieldNames: FieldNamesLegacy, BodyFormat: BodyMap, Organization: "contoso.onmicrosoft.com"}},
		{"graph_legacy_json.yaml", graphRows, Options{FieldNames: FieldNamesLegacy, BodyFormat: BodyJSON, Organization: "contoso.onmicrosoft.com"}},
		{"graph_legacy_no_org_map.yaml", graphRows, Options{FieldNames: FieldNamesLegacy, BodyFormat: BodyMap}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			actual := mapFixtures(tt.opts, tt.fixtures)
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, actual))
				return
			}
			expected, err := golden.ReadLogs(path)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, actual, plogtest.IgnoreObservedTimestamp()))
			// CompareLogs does not look at event names.
			want := expected.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			got := actual.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			for i := 0; i < got.Len(); i++ {
				assert.Equal(t, want.At(i).EventName(), got.At(i).EventName())
				assert.Equal(t, EventName, got.At(i).EventName())
			}
		})
	}
}

// TestSeedRawIsVerbatim guards the claim that the seed fixtures carry the
// exact bytes of the seed's rows.
func TestSeedRawIsVerbatim(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("testdata", "seed_legacy_page.json"))
	require.NoError(t, err)
	for _, f := range seedRows {
		assert.True(t, bytes.Contains(page, f.row.Raw), "%s: Raw is not a verbatim slice of the seed page", f.name)
	}
}
