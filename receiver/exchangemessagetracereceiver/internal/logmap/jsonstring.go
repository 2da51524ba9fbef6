package logmap

// AppendJSONString appends s as a JSON string, as the rows' JSON bodies
// write it (see appendJSONString), for the other records that write JSON
// bodies (detail events).
func AppendJSONString(buf []byte, s string) []byte { return appendJSONString(buf, s) }
