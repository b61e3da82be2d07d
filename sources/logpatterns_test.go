package sources

import (
	"strings"
	"testing"
	"time"
)

func TestLogPatternOf(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{"pool timeout after 5000ms (pool size 20)", "pool timeout after <n>ms (pool size <n>)"},
		{`user "alice" not found`, `user "…" not found`},
		{`user 'bob' not found`, `user '…' not found`},
		{"GET /api/users/42/facts failed", "GET /api/users/<n>/facts failed"},
		{"request 4bf92f3577b34da6a3ce929d0e0e4736 failed", "request <hex> failed"},
		{"object 0x7f3a2c at fault", "object <hex> at fault"},
		{"task 550e8400-e29b-41d4-a716-446655440000 lost", "task <uuid> lost"},
		{"started at 2026-12-06T08:20:00.123Z, gave up", "started at <time>, gave up"},
		{"psycopg2.OperationalError: deadline exceeded", "psycopg2.OperationalError: deadline exceeded"},
		{"connect 10.0.0.7:5432 refused", "connect <n>:<n> refused"},
		{"Traceback (most recent call last):\n  File \"app.py\", line 42, in chat\n    run()\nTimeoutError: pool 3 exhausted",
			"TimeoutError: pool <n> exhausted"},
		{"first line 7\nsecond line", "first line <n>"},
		{"  spaced\tout   words  ", "spaced out words"},
		{"", ""},
	} {
		if got := LogPatternOf(c.msg); got != c.want {
			t.Errorf("LogPatternOf(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
	if got := LogPatternOf(strings.Repeat("é", 1000)); len(got) > maxPattern+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("a long message's pattern is %d bytes: %q…", len(got), got[:20])
	}
}

func TestLogPatterns(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 12, 6, 8, 0, s, 0, time.UTC) }
	lines := []LogLine{
		{Time: at(1), Message: "pool timeout after 5000ms"},
		{Time: at(2), Message: "user 'a' not found"},
		{Time: at(3), Message: "pool timeout after 3000ms", TraceID: "t3"},
		{Time: at(4), Message: "user 'b' not found"},
		{Time: at(5), Message: "pool timeout after 10ms", TraceID: "t5"},
		{Time: at(0), Message: "pool timeout after 1ms", TraceID: "older, read last"},
		{Time: at(6), Message: "disk full"},
	}
	got := LogPatterns(lines)
	want := []struct {
		pattern string
		count   int
		example string
	}{
		{"pool timeout after <n>ms", 4, "pool timeout after 10ms"},
		{"user '…' not found", 2, "user 'b' not found"},
		{"disk full", 1, "disk full"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d patterns, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Pattern != w.pattern || got[i].Count != w.count || got[i].Example.Message != w.example {
			t.Errorf("pattern %d: %q ×%d, example %q; want %q ×%d, example %q", i, got[i].Pattern, got[i].Count, got[i].Example.Message, w.pattern, w.count, w.example)
		}
	}
	if len(LogPatterns(nil)) != 0 {
		t.Error("patterns of no lines")
	}
}
