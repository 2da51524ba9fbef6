//go:build integration

package exchangemessagetracereceiver

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
)

// TestProxyURLTunnelsAPIAndIdentityPlatform runs the receiver through a
// real forward proxy (tinyproxy) on loopback: the API and the identity
// platform are both reached with HTTPS CONNECT tunnels, which the proxy's
// log records by host and port.
//
// The simulator serves both on one port, so the API is addressed by name
// (localhost) and the identity platform by address (127.0.0.1), making two
// hosts in the log. Go's http.ProxyFromEnvironment would send loopback
// targets direct; confighttp's proxy_url sets Transport.Proxy to
// http.ProxyURL, which proxies every request, loopback included: the
// 127.0.0.1 tunnels prove it.
func TestProxyURLTunnelsAPIAndIdentityPlatform(t *testing.T) {
	proxyURL, proxyLog := startTinyproxy(t)
	sim := startSimulator(t, fixedTenant(2000, 1))
	u, err := url.Parse(sim.HTTPSURL)
	require.NoError(t, err)
	apiHost, identityHost := "localhost:"+u.Port(), "127.0.0.1:"+u.Port()

	cfg := simConfig(sim)
	cfg.Endpoint = "https://" + apiHost + "/v1.0"
	cfg.AuthorityHost = "https://" + identityHost
	cfg.ProxyURL = proxyURL
	cfg.InitialLookback = 2 * 24 * time.Hour
	sink := new(consumertest.LogsSink)
	_, logs := startReceiver(t, cfg, sink, newTestHost())

	rows := requireAllRows(t, sim, sink)
	logText, err := os.ReadFile(proxyLog)
	require.NoError(t, err)
	tunnels := connectRequests(logText)
	t.Logf("%d rows delivered through %s; CONNECT tunnels by host: %v; proxy log lines naming localhost: %d, 127.0.0.1:%s: %d",
		rows, proxyURL, tunnels, bytes.Count(logText, []byte("localhost")), u.Port(), bytes.Count(logText, []byte("127.0.0.1:"+u.Port())))
	assert.Positive(t, tunnels[apiHost], "the API through the proxy")
	assert.Positive(t, tunnels[identityHost], "the identity platform through the proxy")
	assert.Len(t, tunnels, 2, "no other host")
	established := regexp.MustCompile(`Established connection to host "(localhost|127\.0\.0\.1)"`).FindAll(logText, -1)
	assert.GreaterOrEqual(t, len(established), 2, "the proxy reached both")
	assert.Positive(t, sim.Identity().Stats().TokensIssued["client_credentials"])

	assertNoSecrets(t, logs, "sim-client-secret")
	// The tunnels are TLS end to end: the proxy saw no secret either.
	assert.NotContains(t, string(logText), "sim-client-secret")
	assert.NotContains(t, string(logText), "eyJ")
}

// connectRequests counts the CONNECT requests in a tinyproxy log by target.
func connectRequests(log []byte) map[string]int {
	out := map[string]int{}
	for _, m := range regexp.MustCompile(`Request \(file descriptor \d+\): CONNECT (\S+) HTTP/1\.1`).FindAllSubmatch(log, -1) {
		out[string(m[1])]++
	}
	return out
}

// startTinyproxy runs tinyproxy on a free loopback port with a generated
// config logging every connection, and returns its URL and log file. Without
// tinyproxy the test is skipped, except under CI=true, where it fails:
// `make test-deps` installs it.
func startTinyproxy(t *testing.T) (proxyURL, logPath string) {
	t.Helper()
	bin, err := exec.LookPath("tinyproxy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tinyproxy is not installed and CI=true: run `make test-deps` (apt-get install -y tinyproxy)")
		}
		t.Skip("tinyproxy is not installed: `make test-deps` (apt-get install -y tinyproxy) runs this proxy_url test")
	}
	dir := t.TempDir()
	port := freeLoopbackPort(t)
	logPath = filepath.Join(dir, "tinyproxy.log")
	// No ConnectPort line: CONNECT to any port (the simulator's is ephemeral).
	conf := fmt.Sprintf("Port %d\nListen 127.0.0.1\nTimeout 30\nLogFile %q\nLogLevel Info\nMaxClients 50\nAllow 127.0.0.1\nDisableViaHeader Yes\n", port, logPath)
	confPath := filepath.Join(dir, "tinyproxy.conf")
	require.NoError(t, os.WriteFile(confPath, []byte(conf), 0o600))

	var out bytes.Buffer
	cmd := exec.Command(bin, "-d", "-c", confPath) // -d: stay in the foreground, as our child
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var exitErr error
	require.Eventually(t, func() bool {
		select {
		case exitErr = <-exited:
			exited <- exitErr
			return true
		default:
		}
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	}, 10*time.Second, 20*time.Millisecond, "tinyproxy listening on %s", addr)
	require.Nil(t, exitErr, "tinyproxy exited: %s", &out)
	return "http://" + addr, logPath
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
