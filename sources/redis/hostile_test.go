package redis

import (
	"context"
	"strings"
	"testing"

	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/sandbox/sandboxtest"
	"github.com/opsdeck/opsdeck/internal/sandbox/servers"
)

const realInfo = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:10\r\n# Clients\r\nconnected_clients:1\r\n"

// TestHostileRedisAnswers: garbage INFO is not "reachable with zeros", a
// 100 KB error reply is shortened, odd figures do not break the poll.
func TestHostileRedisAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, info, want string
	}{
		{"garbage INFO", faults.Bulk("hello: I am not redis\r\n"), "answered INFO without redis_version: not a Redis server"},
		{"huge error", "-ERR " + strings.Repeat("x", 100_000) + "\r\n", "… (100004 bytes in all)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := faults.NewRESPServer(t, faults.RedisAnswers(c.info))
			_, err := newClient(t, Options{URL: "redis://" + srv.Addr() + "/0"}).Poll(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) || len(err.Error()) > 500 {
				t.Fatalf("poll: %.600v", err)
			}
		})
	}
	t.Run("odd figures", func(t *testing.T) {
		t.Parallel()
		srv := faults.NewRESPServer(t, faults.RedisAnswers(faults.Bulk(realInfo+"mem_fragmentation_ratio:inf\r\ninstantaneous_ops_per_sec:nan\r\nrdb_last_save_time:99999999999999\r\n")))
		st, err := newClient(t, Options{URL: "redis://" + srv.Addr() + "/0"}).Poll(context.Background())
		if err != nil || st.Version != "7.0.15" {
			t.Fatalf("poll: %+v %v", st, err)
		}
	})
}

// TestTLSAgainstAPlainServer: rediss:// to a plain Redis says it is a TLS
// question, not "no answer".
func TestTLSAgainstAPlainServer(t *testing.T) {
	t.Parallel()
	rd := sandboxtest.NewRedis(t, servers.RedisOptions{})
	url := strings.Replace(rd.URL(0), "redis://", "rediss://", 1)
	_, err := newClient(t, Options{URL: url, Timeout: 500 * 1e6}).Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no TLS handshake with") || !strings.Contains(err.Error(), "use redis://") {
		t.Fatalf("poll: %v", err)
	}
}
