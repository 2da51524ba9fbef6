// Package pagelogs turns one page of rows into the logs the pipeline
// receives: the rows the emitted-row keys admit (new rows, and rows whose
// status changed), as LogRecords under the receiver's resource and scope.
// The receiver and the in-process benchmarks both build pages here, so a
// benchmark measures exactly what the collector runs.
package pagelogs

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/checkpoint"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/metadata"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// Resource attributes every receiver's logs carry.
const (
	AttributeCloudProvider = "cloud.provider"
	AttributeTenantID      = "microsoft.tenant.id"
	AttributeAPI           = "exchange.message_trace.api"
)

// NewResource describes where a tenant's rows come from; api is the
// config's name of the API ("graph" or "reporting"). extra are the tenant
// entry's resource_attributes (a provider's customer name, a Sumo Logic
// _sourceCategory); they cannot replace the three the receiver sets, which
// say what the rows are.
func NewResource(tenantID, api string, extra map[string]string) pcommon.Resource {
	res := pcommon.NewResource()
	attrs := res.Attributes()
	attrs.EnsureCapacity(3 + len(extra))
	for k, v := range extra {
		attrs.PutStr(k, v)
	}
	attrs.PutStr(AttributeCloudProvider, "azure")
	attrs.PutStr(AttributeTenantID, tenantID)
	attrs.PutStr(AttributeAPI, api)
	return res
}

// Builder builds the logs of the pages of one API and one resource. It is
// not safe for concurrent use (the Mapper reuses buffers).
type Builder struct {
	Mapper   *logmap.Mapper
	Resource pcommon.Resource
	API      msgtrace.API
	// Emitted, when set, hears every row Build emits (the receiver picks
	// the rows whose detail events to look up).
	Emitted func(row *msgtrace.Row)
}

// Build admits each row of page through txn and maps the admitted ones.
// Rows the keys refuse (already emitted with the same status) are counted
// as duplicates. The caller commits or discards txn once the pipeline has
// answered.
func (b *Builder) Build(txn *checkpoint.Txn, page *msgtrace.Page, observed pcommon.Timestamp) (logs plog.Logs, duplicates int) {
	logs = plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	b.Resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	records := sl.LogRecords()
	records.EnsureCapacity(len(page.Rows))
	for i := range page.Rows {
		row := &page.Rows[i]
		emit, previous := txn.Admit(row)
		if !emit {
			duplicates++
			continue
		}
		b.Mapper.Append(records, row, b.API, observed, previous)
		if b.Emitted != nil {
			b.Emitted(row)
		}
	}
	return logs, duplicates
}
