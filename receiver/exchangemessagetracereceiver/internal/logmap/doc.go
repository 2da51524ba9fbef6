// Package logmap turns message trace rows (from either API) into plog
// LogRecords: timestamps, severity, a few attributes, and a body that keeps
// the row's own fields, under Graph or legacy names, as a map or as JSON text.
package logmap
