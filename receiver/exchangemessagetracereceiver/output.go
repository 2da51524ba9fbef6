package exchangemessagetracereceiver

import (
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logmap"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/pagelogs"
)

// newPageBuilder maps the rows of api's pages under the tenant's resource
// (with the tenant entry's resource_attributes),
// with the record shape the config asks for.
func newPageBuilder(cfg *Config, api msgtrace.API, extra map[string]string) *pagelogs.Builder {
	return &pagelogs.Builder{
		Mapper:   logmap.New(logmap.Options{FieldNames: cfg.FieldNames, BodyFormat: cfg.BodyFormat, Organization: cfg.Organization}),
		Resource: pagelogs.NewResource(cfg.TenantID, cfg.API.String(), extra),
		API:      api,
	}
}
