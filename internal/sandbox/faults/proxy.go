package faults

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fault is what the proxy does to the traffic it carries.
type Fault int

// Faults. Each applies to new connections at once and to open ones at their
// next read, the way a network or a server going bad is seen by a client.
const (
	// Pass forwards everything.
	Pass Fault = iota
	// Stall accepts and forwards nothing either way, as a hung server does;
	// held bytes flow again when the fault ends.
	Stall
	// Slow delays every chunk by the proxy's Delay.
	Slow
	// Reset answers every connection, open or new, with a TCP reset.
	Reset
	// BlackHole swallows bytes: a connection that met it never carries data
	// again, and the client learns only from its own timeout.
	BlackHole
	// Serve answers new connections with the proxy's Handler (HTTP) instead
	// of the server: a server answering garbage.
	Serve
)

var faultNames = [...]string{"pass", "stall", "slow", "reset", "black hole", "serve"}

func (f Fault) String() string { return faultNames[f] }

// Proxy forwards a loopback port to a server. It can be taken down and
// brought back on the same port, and can inject faults (Set) into the
// connections it carries.
type Proxy struct {
	Port int

	mu      sync.Mutex
	target  string
	ln      net.Listener
	conns   map[net.Conn]struct{}
	fault   Fault
	delay   time.Duration
	changed chan struct{} // closed and replaced whenever the fault changes
	served  *chanListener // connections for Handler, while Serve lasts
	held    int           // chunks Stall holds now
}

// NewProxy starts forwarding a free loopback port to target (host:port).
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	p := &Proxy{target: target, conns: map[net.Conn]struct{}{}, changed: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("faults: proxy: %v", err)
	}
	p.Port = ln.Addr().(*net.TCPAddr).Port
	p.serve(ln)
	t.Cleanup(func() {
		p.Set(Pass)
		p.Down()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.Port) }

// Retarget points new connections at another address (a server restarted
// on another port).
func (p *Proxy) Retarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// Set changes the fault. delay is used by Slow, h by Serve (either may be
// zero otherwise).
func (p *Proxy) Set(f Fault) { p.SetWith(f, 0, nil) }

// SetWith changes the fault with its parameters: the delay for Slow, the
// handler answering for Serve.
func (p *Proxy) SetWith(f Fault, delay time.Duration, h http.Handler) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.served != nil {
		p.served.Close()
		p.served = nil
	}
	if f == Serve || p.fault == Serve {
		// Another server answers from now on: open connections end, as
		// when a server is replaced, so that clients reconnect to it.
		for c := range p.conns {
			c.Close()
		}
	}
	p.fault, p.delay = f, delay
	if f == Serve {
		p.served = newChanListener(p.Addr())
		go (&http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}).Serve(p.served)
	}
	if f == Reset {
		for c := range p.conns {
			resetConn(c)
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// Open is the number of client connections the proxy holds open now: what a
// client has not closed (a leak shows here).
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Held is the number of chunks Stall holds now: a request that reached the
// proxy and waits there (what a test waits for before it acts mid-poll).
func (p *Proxy) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// hold counts a chunk held by Stall (by n = 1, and -1 when it moves on).
func (p *Proxy) hold(n int) {
	p.mu.Lock()
	p.held += n
	p.mu.Unlock()
}

func (p *Proxy) state() (Fault, time.Duration, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault, p.delay, p.changed
}

// Down closes the listener and every connection: the server looks gone.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// Up listens again on the same port.
func (p *Proxy) Up() error {
	ln, err := net.Listen("tcp", p.Addr())
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.handle(c)
		}
	}()
}

func (p *Proxy) track(c net.Conn, open bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if open {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

// handle carries one client connection according to the fault at its start.
func (p *Proxy) handle(c net.Conn) {
	p.track(c, true)
	p.mu.Lock()
	fault, served, target := p.fault, p.served, p.target
	p.mu.Unlock()
	// The HTTP server owns a served connection and untracks it when it closes.
	if fault == Serve && served.put(&trackedConn{Conn: c, done: func() { p.track(c, false) }}) {
		return
	}
	defer p.track(c, false)
	switch fault {
	case Reset:
		resetConn(c)
		return
	case BlackHole:
		swallow(c)
		return
	}
	s, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		c.Close() // as a dead server looks through a proxy: accepted, then closed
		return
	}
	// Whichever direction ends first closes both connections, which ends the
	// other, and closes done, which releases a direction held by Stall.
	done := make(chan struct{})
	var once sync.Once
	end := func() { once.Do(func() { close(done); c.Close(); s.Close() }) }
	go func() { p.pipe(s, c, done); end() }()
	p.pipe(c, s, done)
	end()
}

// pipe copies from src to dst chunk by chunk, applying the fault in force
// when each chunk arrives, until either side ends.
func (p *Proxy) pipe(dst, src net.Conn, done <-chan struct{}) {
	buf := make([]byte, 32<<10)
	holed := false
	for {
		n, err := src.Read(buf)
		if n > 0 && !holed {
		apply:
			fault, delay, changed := p.state()
			switch fault {
			case Stall:
				p.hold(1)
				select {
				case <-changed:
					p.hold(-1)
					goto apply
				case <-done:
					p.hold(-1)
					return
				}
			case Slow:
				select {
				case <-time.After(delay):
				case <-done:
					return
				}
			case BlackHole:
				holed = true
			case Reset:
				resetConn(src)
				resetConn(dst)
				return
			}
			if !holed {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// resetConn closes c with a TCP reset rather than an orderly FIN.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

// swallow reads and discards until the client closes.
func swallow(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			c.Close()
			return
		}
	}
}

// chanListener hands connections the proxy accepted to an http.Server.
type chanListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newChanListener(addr string) *chanListener {
	a, _ := net.ResolveTCPAddr("tcp", addr)
	return &chanListener{addr: a, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *chanListener) put(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, errors.New("proxy: no longer serving")
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }

// trackedConn tells the proxy when the HTTP server closes a connection.
type trackedConn struct {
	net.Conn
	once sync.Once
	done func()
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.done)
	return err
}
