package checkpoint

// Len is the number of keys held.
func (k *Keys) Len() int {
	n := 0
	for _, b := range k.buckets {
		n += len(b)
	}
	return n
}
