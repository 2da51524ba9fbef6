package checkpoint

import "strconv"

// The storage keys the receiver writes, all of them under one tenant's and
// API's prefix, so that a storage extension shared by several receivers, or
// a config switched to another API, never mixes their state.

// Prefix is the key prefix of a tenant's checkpoint for an API.
func Prefix(api, tenantID string) string { return "v1/" + api + "/" + tenantID }

// AuthCodeKey is where the authorization-code flow keeps its refresh token,
// under a checkpoint prefix; id tells apart the apps and resources of one
// tenant.
func AuthCodeKey(prefix, id string) string { return prefix + "/auth_code/" + id }

// stateKey is where the state was read from (see generation.go).
func (s *Store) stateKey() string { return s.stateKeyOf(s.readGen) }

func (s *Store) chunkKey(bucket int64, i int) string {
	return s.prefix + "/keys/" + strconv.FormatInt(bucket, 10) + "/" + strconv.Itoa(i)
}
