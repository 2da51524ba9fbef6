// Package apiclient holds what the Graph and the legacy Reporting Web
// Service clients share: the request loop (tenant budget, Retry-After
// pauses, backoff for transient faults, a single retry of a refused token),
// paging over nextLinks, error-body parsing with secrets redacted, and a
// fast scanner that decodes flat JSON rows into trace.Row without
// re-encoding them.
package apiclient
