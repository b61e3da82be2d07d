package celery

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// restingConn is the event subscription's connection once armed: the
// socket reports itself readable only when restLowat bytes wait
// (SO_RCVLOWAT), and a read that finds nothing waits until the next whole
// second, when it takes whatever came meanwhile. A worker's events arrive
// a few at a time, each its own packet, and without this each packet woke
// the process's network poller whether or not anyone read it (on an idle
// console, a burst of events every second was a dozen wake-ups); now the
// stream costs one wake-up a second, or one per restLowat bytes in a
// flood. Until armed (connecting, subscribing) it reads as any connection.
type restingConn struct {
	net.Conn
	armed atomic.Bool
	mu    sync.Mutex
	limit time.Time // the caller's read deadline; zero: none
}

// restLowat is how much must wait in the socket before a read is woken
// early: far more than a quiet second's events, a small share of a
// flood's.
const restLowat = 64 << 10

// arm starts resting: the subscription is confirmed, every read from now
// on is of events. Where the option cannot be set (not TCP) it stays a
// plain connection.
func (c *restingConn) arm() {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, restLowat)
	}); err != nil || serr != nil {
		return
	}
	c.armed.Store(true)
}

func (c *restingConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.limit = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *restingConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.limit = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

// Read waits at most until the next whole second (or the caller's deadline,
// if sooner) for the socket to be readable, then reads what is there: a
// socket holding less than restLowat is read all the same, only not woken
// for.
func (c *restingConn) Read(p []byte) (int, error) {
	if !c.armed.Load() {
		return c.Conn.Read(p)
	}
	for {
		c.mu.Lock()
		limit := c.limit
		c.mu.Unlock()
		now := time.Now()
		if !limit.IsZero() && !now.Before(limit) {
			return 0, os.ErrDeadlineExceeded
		}
		next := now.Truncate(time.Second).Add(time.Second)
		if !limit.IsZero() && limit.Before(next) {
			next = limit
		}
		if err := c.Conn.SetReadDeadline(next); err != nil {
			return 0, err
		}
		n, err := c.Conn.Read(p)
		if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
	}
}

// restingDialer dials plain TCP connections that can rest, handing each to
// dialed (the subscription's latest).
func restingDialer(timeout time.Duration, dialed func(*restingConn)) func(context.Context, string, string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 5 * time.Minute}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		rc := &restingConn{Conn: conn}
		dialed(rc)
		return rc, nil
	}
}
