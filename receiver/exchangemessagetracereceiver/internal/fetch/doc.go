// Package fetch reads one time range of either API page by page: the
// request loop (tenant budget, Retry-After pauses, backoff for transient
// faults, a single retry of a refused token), paging over nextLinks, and
// error bodies turned into messages for the operator. The JSON of the pages
// is decoded by package rowdecode, through each API's PageDecoder.
package fetch
