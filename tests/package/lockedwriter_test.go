//go:build package

package packagetest

import (
	"io"
	"sync"
)

// mu guards the services' output buffers (written by exec's copy goroutines,
// read by the test).
var mu sync.Mutex

type lockedWriter struct{ w io.Writer }

func (l *lockedWriter) Write(p []byte) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	return l.w.Write(p)
}
