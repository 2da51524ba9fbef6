package logsafe

import "bytes"

// HTMLTitle returns the text of an HTML page's <title>, whitespace folded
// and shortened to 100 bytes, or "": the sign-in, error, proxy and captive
// portal pages sent instead of JSON (by the APIs or the identity platform)
// say in it what they are. Only the first 64 KiB are searched.
func HTMLTitle(page []byte) string {
	head := page[:min(len(page), 64<<10)]
	lower := bytes.ToLower(head)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	title := string(bytes.Join(bytes.Fields(head[start:start+end]), []byte(" ")))
	return Truncate(title, 100)
}
