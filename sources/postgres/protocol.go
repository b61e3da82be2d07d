package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
)

// notPostgresError is a server that answered the client's first message
// with something no PostgreSQL server (nor pgbouncer) sends.
type notPostgresError struct {
	addr     string
	answered []byte
}

func (e *notPostgresError) Error() string {
	return fmt.Sprintf("the server at %s does not speak the PostgreSQL protocol (it answered %s): is something else listening on that port?",
		e.addr, quoteAnswer(e.answered))
}

// quoteAnswer is the start of what a server answered, its first line at
// most, quoted: the bytes that are not printable text escaped.
func quoteAnswer(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i > 0 {
		b = b[:i]
	}
	const most = 60
	if len(b) > most {
		return strconv.Quote(string(b[:most])) + "…"
	}
	return strconv.Quote(string(b))
}

// speaksPostgres wraps dial so that a server whose first answer cannot be
// PostgreSQL's fails the connection at once, saying what it answered,
// rather than as a message the driver could not decode ("invalid body
// length: expected at most 1073741822, but got 1414811691" is an HTTP
// server's "HTTP/").
func speaksPostgres(dial pgconn.DialFunc) pgconn.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &checkedConn{Conn: c, addr: addr}, nil
	}
}

// checkedConn checks the first byte a server sends against what the
// client's first message allows. The driver writes, then reads, one at a
// time: the fields need no lock.
type checkedConn struct {
	net.Conn
	addr    string
	allowed string // the first bytes the server may answer with; "" for any
	wrote   bool
	read    bool
	held    []byte // what the first read took beyond what was asked for
}

func (c *checkedConn) Write(p []byte) (int, error) {
	if !c.wrote && len(p) > 0 {
		c.wrote, c.allowed = true, firstAnswers(p)
	}
	return c.Conn.Write(p)
}

// answerShown is how much of a first answer is read to say what it was.
const answerShown = 64

func (c *checkedConn) Read(p []byte) (int, error) {
	if len(c.held) > 0 {
		n := copy(p, c.held)
		c.held = c.held[n:]
		return n, nil
	}
	if c.read {
		return c.Conn.Read(p)
	}
	// The first answer: enough of it to say what it was (the driver asks
	// for a single byte after a TLS request), the rest handed out after.
	buf := make([]byte, max(len(p), answerShown))
	n, err := c.Conn.Read(buf)
	if n == 0 {
		return 0, err
	}
	c.read = true
	if c.allowed != "" && bytes.IndexByte([]byte(c.allowed), buf[0]) < 0 {
		return 0, &notPostgresError{addr: c.addr, answered: buf[:n]}
	}
	m := copy(p, buf[:n])
	if c.held = buf[m:n]; len(c.held) > 0 {
		return m, nil // the error, if any, comes with the next read
	}
	return m, err
}

// Request codes of the protocol's first messages.
const (
	cancelRequest = 80877102
	sslRequest    = 80877103
	gssRequest    = 80877104
)

// firstAnswers are the bytes a PostgreSQL server's answer to the client's
// first message first may start with: to a request for TLS or GSS
// encryption, 'S' or 'N' ('G' for GSS), or an error; to a startup message,
// an authentication request, an error, a notice or a protocol version
// negotiation; to a TLS hello (direct TLS), a TLS handshake or alert
// record. A cancel request is answered by nothing: anything goes.
func firstAnswers(first []byte) string {
	switch {
	case first[0] == 0x16:
		return "\x16\x15"
	case len(first) < 8:
		return ""
	}
	switch binary.BigEndian.Uint32(first[4:8]) {
	case cancelRequest:
		return ""
	case sslRequest, gssRequest:
		return "SNGE"
	}
	return "REvN"
}
