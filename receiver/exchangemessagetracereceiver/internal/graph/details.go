package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/detailevents"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/fetch"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/logsafe"
	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// DetailsClient fetches the detail events of one message trace row at a
// time: GET {base}/admin/exchange/tracing/messageTraces/{id}/getDetailsByRecipient(recipientAddress='{smtp}').
// It shares the list's headers, error messages and retries of transient
// faults. Its Budget is meant to be the tenant's *throttle.Share: when the
// share is spent, Fetch fails at once with an error wrapping
// throttle.ErrShareSpent; a 429 pauses the tenant's budget and ends the
// Fetch with a KindThrottled *msgtrace.APIError rather than wait: detail
// lookups never hold a poll.
type DetailsClient struct {
	endpoint string
	logger   *zap.Logger
	doc      *fetch.DocumentClient
}

// detailsAPI is the list's API with the details' own error messages.
var detailsAPI = func() fetch.API {
	a := api
	a.Classify = detailsClassifier
	return a
}()

// NewDetailsClient returns a details client; cfg is the list client's
// (PageSize is not used), with a Budget of its own.
func NewDetailsClient(cfg Config) (*DetailsClient, error) {
	doc, err := fetch.NewDocumentClient(detailsAPI, cfg)
	if err != nil {
		return nil, err
	}
	return &DetailsClient{endpoint: doc.Base() + Path, logger: doc.Logger(), doc: doc}, nil
}

// Fetch returns the detail events of the row (traceID, recipient), in
// Graph's order. Events that do not decode are skipped, logged and counted
// in the request's outcome ("malformed"). Its error wraps the
// *msgtrace.APIError (KindOf works): KindThrottled after a 429,
// KindBadRequest with StatusCode 404 when Graph knows no such row, or
// throttle.ErrShareSpent, or the context's error.
func (c *DetailsClient) Fetch(ctx context.Context, traceID, recipient string) ([]detailevents.Event, error) {
	var resp detailevents.Response
	err := c.doc.Fetch(ctx, c.URL(traceID, recipient), func(body []byte) (int, error) {
		r, err := detailevents.Decode(body)
		var noValue *detailevents.NoValueError
		if errors.As(err, &noValue) {
			return 0, missingValue(body, noValue.SawError)
		}
		if err != nil {
			return 0, err
		}
		resp = r
		return r.Malformed, nil
	})
	if err != nil {
		return nil, fmt.Errorf("detail events of message trace %s for %s: %w", traceID, logsafe.Quote(recipient), err)
	}
	if resp.Malformed > 0 {
		c.logger.Warn("Skipped malformed detail events", zap.String("trace_id", traceID),
			zap.Int("malformed", resp.Malformed), zap.Int("kept", len(resp.Events)), zap.Errors("reasons", resp.MalformedErrors))
	}
	return resp.Events, nil
}

// URL is the request of one row's detail events: the recipient goes in an
// OData string literal with each of its quotes doubled, and
// both values are percent-encoded for the path.
func (c *DetailsClient) URL(traceID, recipient string) string {
	return c.endpoint + "/" + escapePathValue(traceID) +
		"/getDetailsByRecipient(recipientAddress='" + escapePathValue(strings.ReplaceAll(recipient, "'", "''")) + "')"
}

// escapePathValue percent-encodes every byte of s but the unreserved ones,
// '@' and the quote (legal in a path, and what an address and its literal are
// made of): '/', '?', '#', '%', spaces, '+' and non-ASCII text can neither
// cut the path short nor be read differently by the server.
func escapePathValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '@' || c == '\'' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// detailsClassifier is the list's classifier, with the messages of the
// statuses that mean something else for one row's lookup.
func detailsClassifier(clientID string) fetch.Classifier {
	list := classifier(clientID)
	return func(r *fetch.Response) *msgtrace.APIError {
		e := list(r)
		switch r.StatusCode {
		case http.StatusNotFound:
			e.Message = fmt.Sprintf("Microsoft Graph has no detail events of this message trace row (%s): it may have aged past the 90 days Graph keeps, or not be traceable in detail yet",
				fetch.Said(r.StatusCode, fetch.ErrorOf(r)))
		case http.StatusBadRequest:
			e.Message = fmt.Sprintf("Microsoft Graph rejected the detail lookup (%s)", fetch.Said(r.StatusCode, fetch.ErrorOf(r)))
		}
		return e
	}
}
