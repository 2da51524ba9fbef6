package simulator

import (
	"net"
	"net/http"
	"time"
)

// faultPlan is what fault injection decided for one request. Every rate is
// drawn for every request, in a fixed order, from one seeded stream: a given
// seed and request sequence injects the same faults.
type faultPlan struct {
	slow, reset, throttle, serverError, unavailable, html, truncated, truncatedCut, badSkipToken bool
	slowDelay                                                                                    time.Duration
	retryAfterSeconds                                                                            int
}

func (t *Tenant) planFaults() faultPlan {
	t.faultMu.Lock()
	defer t.faultMu.Unlock()
	f := t.faults
	r := &t.faultRNG
	p := faultPlan{
		slow:              r.chance(f.Slow),
		reset:             r.chance(f.Reset),
		throttle:          r.chance(f.Throttle),
		serverError:       r.chance(f.ServerError),
		unavailable:       r.chance(f.Unavailable),
		html:              r.chance(f.HTML),
		truncated:         r.chance(f.Truncated),
		truncatedCut:      r.chance(0.5),
		badSkipToken:      r.chance(f.BadSkipToken),
		slowDelay:         time.Duration(f.SlowDelay),
		retryAfterSeconds: f.RetryAfterSeconds,
	}
	if p.slowDelay <= 0 {
		p.slowDelay = 5 * time.Second
	}
	return p
}

// SetFaults replaces the home tenant's fault setting; it also flips the
// identity platform's token outage and consent switches (every tenant's).
func (s *Simulator) SetFaults(f Faults) { s.HomeTenant().SetFaults(f) }

// CurrentFaults returns the home tenant's fault setting.
func (s *Simulator) CurrentFaults() Faults { return s.HomeTenant().Faults() }

// resetConnection drops the client's connection with a TCP RST (linger 0),
// what a flaky middlebox does; the client sees "connection reset by peer".
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if tcp, ok := nc.NetConn().(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
			_ = tcp.Close()
			return
		}
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// signInPage is the HTML page the legacy service sometimes answers with
// HTTP 200 instead of JSON.
const signInPage = `<!DOCTYPE html>
<html dir="ltr" class="" lang="en">
<head>
    <title>Sign in to Outlook</title>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=2.0, user-scalable=yes">
</head>
<body>
    <div id="loginForm"><h1>Sign in to Outlook</h1>
    <form method="post" action="https://login.microsoftonline.com/common/login"></form></div>
</body>
</html>
`
