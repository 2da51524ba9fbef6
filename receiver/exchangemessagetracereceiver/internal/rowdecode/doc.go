// Package rowdecode turns the JSON of message trace pages into msgtrace
// rows without encoding/json: a Scanner walks the body's bytes, a Decoder
// reads each row by an API's Schema (its spelling of the fields), and a
// PageReader reads the page object around the rows. The APIs' packages
// (graph, reporting) say only what their members and field names are.
// What a decoded page's rows may be kept for is stated on Decoder.
package rowdecode
