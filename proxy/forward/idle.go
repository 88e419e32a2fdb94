package forward

import (
	"net"
	"sync/atomic"
	"time"
)

// IdleListener wraps the forward listener so that a connection goproxy has
// hijacked (a tunnel, or an intercepted CONNECT) cannot be held open
// forever by a client that sends nothing: http.Server's timeouts stop at the
// hijack, and goproxy sets none. Once hijacked, a connection on which
// nothing moved, either way, for idle is closed; a write that the client
// does not read for write fails.
//
// Before the hijack http.Server owns the deadlines (ReadHeaderTimeout,
// IdleTimeout). The hijack is recognised by its SetDeadline(time.Time{}),
// the one call net/http makes to SetDeadline; TestIdleListener holds the
// standard library to it.
func IdleListener(ln net.Listener, idle, write time.Duration) net.Listener {
	return &idleListener{Listener: ln, idle: idle, write: write}
}

type idleListener struct {
	net.Listener
	idle, write time.Duration
}

func (l *idleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &idleConn{Conn: c, idle: l.idle, write: l.write}, nil
}

type idleConn struct {
	net.Conn
	idle, write time.Duration
	hijacked    atomic.Bool
}

func (c *idleConn) SetDeadline(t time.Time) error {
	if t.IsZero() && c.idle > 0 {
		c.hijacked.Store(true)
		return c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	}
	return c.Conn.SetDeadline(t)
}

func (c *idleConn) Read(p []byte) (int, error) {
	if c.hijacked.Load() {
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	}
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	if c.hijacked.Load() {
		// Traffic towards the client counts as activity: a long download
		// through a tunnel whose client says nothing is not idle.
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.idle))
		if c.write > 0 {
			_ = c.Conn.SetWriteDeadline(time.Now().Add(c.write))
		}
	}
	return c.Conn.Write(p)
}
