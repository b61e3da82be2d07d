package faults

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
)

// RESPServer is a hostile or broken "Redis" for fault tests: it speaks the
// protocol and answers each command with what Answer returns (a raw RESP
// reply), so a test can send what no real Redis would.
type RESPServer struct {
	Port int
	ln   net.Listener
}

// Addr is host:port.
func (s *RESPServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// NewRESPServer serves answer on a free loopback port until the test ends.
// Commands answer does not know get +OK (HELLO an error, as from a RESP2 server).
func NewRESPServer(t testing.TB, answer func(cmd []string) string) *RESPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("resp server: %v", err)
	}
	s := &RESPServer{Port: ln.Addr().(*net.TCPAddr).Port, ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveRESP(c, answer)
		}
	}()
	return s
}

func serveRESP(c net.Conn, answer func([]string) string) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		cmd, err := readCommand(r)
		if err != nil {
			return
		}
		reply := answer(cmd)
		if reply == "" && len(cmd) > 0 && strings.EqualFold(cmd[0], "HELLO") {
			reply = "-ERR unknown command 'HELLO'\r\n" // a RESP2 server: clients fall back
		}
		if reply == "" {
			reply = "+OK\r\n"
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil // an inline command
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, n)
	for range n {
		head, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(head[1:]))
		if err != nil {
			return nil, err
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		out = append(out, string(buf[:size]))
	}
	return out, nil
}

// Bulk is a RESP bulk string.
func Bulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

// RedisAnswers answers a poll as a Redis would, but with info as INFO's
// reply (raw RESP): an empty slow log, empty queues, PONG.
func RedisAnswers(info string) func(cmd []string) string {
	return func(cmd []string) string {
		switch strings.ToUpper(cmd[0]) {
		case "INFO":
			return info
		case "SLOWLOG":
			return "*0\r\n"
		case "LLEN":
			return ":0\r\n"
		case "PING":
			return "+PONG\r\n"
		}
		return ""
	}
}
