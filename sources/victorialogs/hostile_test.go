package victorialogs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// record is one line of VictoriaLogs's answer.
func record(fields map[string]string) string {
	b, _ := json.Marshal(fields)
	return string(b) + "\n"
}

// serve is a client of a server answering every request with h.
func serve(t *testing.T, h http.HandlerFunc, o Options) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	o.API.URL = srv.URL
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// safe reports what in l could reach a terminal raw: a control or bidi
// character anywhere (the message may keep its line breaks and tabs).
func unsafe(l sources.LogLine) string {
	msg := strings.NewReplacer("\n", "", "\t", "").Replace(l.Message)
	for _, s := range []string{msg, l.Level, l.TraceID, l.SpanID, l.Stream} {
		if faults.HasControl(s) {
			return s
		}
	}
	for k, v := range l.Fields {
		if faults.HasControl(k) || faults.HasControl(v) {
			return k + "=" + v
		}
	}
	return ""
}

// TestHostileLines: a 5 MB message is cut to MaxMessage saying how long it
// was, the fields after it still read; a record over maxRecord is left out
// and said so; invalid UTF-8, control and bidi characters in messages,
// field names and values come out as visible stand-ins; a line of many
// fields keeps maxFields of them and counts the rest.
func TestHostileLines(t *testing.T) {
	big := strings.Repeat("x", 5<<20)
	many := map[string]string{"_time": "2026-12-06T08:00:03Z", "_msg": "many"}
	for i := range 500 {
		many[fmt.Sprintf("f%03d", i)] = "v"
	}
	hostile := "\x1b]0;pwned\x07 \u202egnp.exe \xff\xfe \u200b"
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, record(map[string]string{"_time": "2026-12-06T08:00:00Z", "_msg": big, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "severity_text": "ERROR"}))
		fmt.Fprint(w, `{"_time":"2026-12-06T08:00:01Z","_msg":"`+strings.Repeat("y", maxRecord)+`"}`+"\n")
		fmt.Fprint(w, record(map[string]string{"_time": "2026-12-06T08:00:02Z", "_msg": "boom" + hostile + "\nline two", "k" + hostile: "v" + hostile, "_stream": "{a=\"" + hostile + "\"}", "level": "warn\x1b[31m"}))
		fmt.Fprint(w, record(many))
	}, Options{API: httpapi.APIOptions{Timeout: time.Minute}}) // 21 MB to read: no claim on how fast
	lines, err := c.Lines(context.Background(), sources.LogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4", len(lines))
	}
	// The record left out has no time: it comes first.
	skipped, cut, bad, wide := lines[0], lines[1], lines[2], lines[3]
	if !strings.Contains(skipped.Message, "left out") || !strings.Contains(skipped.Message, "16 MiB") {
		t.Errorf("the record over the bound: %q", skipped.Message)
	}
	if len(cut.Message) > MaxMessage+100 || !strings.HasSuffix(cut.Message, fmt.Sprintf("(%d bytes in all; opsdeck keeps the first 64 KiB)", len(big))) ||
		cut.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || cut.Level != "error" {
		t.Errorf("the 5 MB line: %d bytes, trace %q, level %q, ends %q", len(cut.Message), cut.TraceID, cut.Level, cut.Message[len(cut.Message)-40:])
	}
	for _, l := range lines {
		if s := unsafe(l); s != "" {
			t.Errorf("a control character reaches the screen: %q", s)
		}
	}
	if !strings.Contains(bad.Message, "\nline two") || !strings.Contains(bad.Message, "␛") {
		t.Errorf("the hostile message: %q", bad.Message)
	}
	if len(wide.Fields) > maxFields+1 || wide.Fields[DroppedFields] == "" {
		t.Errorf("a line of 500 fields keeps %d, dropped %q", len(wide.Fields), wide.Fields[DroppedFields])
	}
}

// TestBadAnswers: an HTML page, a page of text, a LogsQL error, a 401
// echoing the token, a flood of lines beyond the limit: each an error in
// words, the token masked.
func TestBadAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
		want string
	}{
		{"html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body>Sign in</body></html>")
		}, "HTML page"},
		{"text", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-ndjson")
			fmt.Fprint(w, "<html>\nhello")
		}, "not VictoriaLogs's JSON lines"},
		{"logsql", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "cannot parse `query` arg [foo(]: missing whitespace", http.StatusBadRequest)
		}, "400 Bad Request: cannot parse `query`"},
		{"token", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "denied: "+r.Header.Get("Authorization"), http.StatusUnauthorized)
		}, "401 Unauthorized: denied: Bearer "},
		{"flood", func(w http.ResponseWriter, r *http.Request) {
			for i := 0; r.Context().Err() == nil && i < 1_000_000; i++ {
				fmt.Fprint(w, record(map[string]string{"_time": "2026-12-06T08:00:00Z", "_msg": "again"}))
			}
		}, "more than the 10 lines asked for"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := serve(t, c.h, Options{Limit: 10, API: httpapi.APIOptions{Auth: httpapi.Auth{BearerToken: "t0ken-canary"}}})
			_, err := cl.Lines(context.Background(), sources.LogQuery{})
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "t0ken-canary") {
				t.Errorf("got %v, want it to say %q (and never the token)", err, c.want)
			}
		})
	}
}

// TestTenantAndFilter: the tenant travels in AccountID and ProjectID
// headers, the configured filter is ANDed with the user's and the level's,
// and neither the tenant nor the filter is in the client's name.
func TestTenantAndFilter(t *testing.T) {
	var got *http.Request
	c := serve(t, func(w http.ResponseWriter, r *http.Request) { got = r }, Options{Tenant: "987654:321", Filter: `service.name:"origin-api"`})
	if _, err := c.Lines(context.Background(), sources.LogQuery{Filter: "timeout OR refused", MinLevel: "error", Limit: 5}); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("AccountID") != "987654" || got.Header.Get("ProjectID") != "321" {
		t.Errorf("tenant headers %v", got.Header)
	}
	q := got.URL.Query()
	if !strings.HasPrefix(q.Get("query"), `(service.name:"origin-api") AND (timeout OR refused) AND (severity_text:~`) || q.Get("limit") != "5" {
		t.Errorf("query %q, limit %q", q.Get("query"), q.Get("limit"))
	}
	// Six digits: no loopback port (five at most) holds them by chance.
	if strings.Contains(c.String(), "987654") {
		t.Errorf("the client's name shows the tenant: %s", c)
	}
	if _, err := c.Lines(context.Background(), sources.LogQuery{Filter: "a | stats count()"}); err == nil || !strings.Contains(err.Error(), "pipe") {
		t.Errorf("a pipe in the filter: %v", err)
	}
	if _, err := New(Options{API: httpapi.APIOptions{URL: "http://x"}, Tenant: "acme"}); err == nil || !strings.Contains(err.Error(), "tenant") {
		t.Errorf("a tenant that is not numbers: %v", err)
	}
}

// TestHungServerSaysSoInTime: a server that accepts and never answers, and
// one that answers its headers and then stalls mid-answer, are each said
// in words after the timeout, not much later (measured against a healthy
// answer's time); a password in the URL never shows.
func TestHungServerSaysSoInTime(t *testing.T) {
	const timeout = 300 * time.Millisecond
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("query") == "stall" {
			fmt.Fprint(w, `{"_msg":"half`)
			w.(http.Flusher).Flush()
			select {
			case <-stall:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprint(w, record(map[string]string{"_msg": "ok"}))
	}))
	t.Cleanup(healthy.Close)
	hung := faults.NewProxy(t, "127.0.0.1:1")
	hung.Set(faults.BlackHole)
	scrub := redact.NewScrubber("canary-vl-pw")
	open := func(u string) *Client {
		c, err := New(Options{API: httpapi.APIOptions{URL: u, Timeout: timeout, Scrubber: scrub}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	ok := open(healthy.URL)
	start := time.Now()
	if _, err := ok.Lines(context.Background(), sources.LogQuery{}); err != nil {
		t.Fatal(err)
	}
	base := time.Since(start)
	for name, c := range map[string]struct {
		c      *Client
		filter string
		want   string
	}{
		"hung":  {open("http://ops:canary-vl-pw@" + hung.Addr()), "", "no answer from"},
		"stall": {open(healthy.URL), "stall", "no whole answer from"},
	} {
		start := time.Now()
		_, err := c.c.Lines(context.Background(), sources.LogQuery{Filter: c.filter})
		d := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "canary-vl-pw") {
			t.Errorf("%s: %v", name, err)
		}
		if d < timeout || d > 2*timeout+20*base {
			t.Errorf("%s: said after %v with a timeout of %v (a healthy answer takes %v)", name, d, timeout, base)
		}
	}
}

// TestTailFlood: a tail that sends lines as fast as it can fills the
// channel the caller reads, never more, and ends as soon as its context
// does; a server ending the stream is said.
func TestTailFlood(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("query") == "short" {
			fmt.Fprint(w, record(map[string]string{"_msg": "one"}))
			return
		}
		for r.Context().Err() == nil {
			fmt.Fprint(w, record(map[string]string{"_time": "2026-12-06T08:00:00Z", "_msg": "flood \x1b[2J"}))
		}
	}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	lines := make(chan sources.LogLine, 100)
	done := make(chan error, 1)
	go func() { done <- c.Tail(ctx, "", lines) }()
	for range 1000 {
		l := <-lines
		if s := unsafe(l); s != "" || l.Message == "" {
			t.Fatalf("line %q", l.Message)
		}
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("a cancelled tail says nothing")
	}
	short := make(chan sources.LogLine, 10)
	if err := c.Tail(context.Background(), "short", short); err == nil || !strings.Contains(err.Error(), "ended the tail") || len(short) != 1 {
		t.Errorf("a tail the server ends: %v, %d lines", err, len(short))
	}
}

// TestVolume: hits by severity_text and level, summed by level per step,
// oldest first; errors in words.
func TestVolume(t *testing.T) {
	answer := `{"hits":[
	{"fields":{"severity_text":"ERROR","level":"","severity":""},"timestamps":["2026-12-06T08:01:00Z","2026-12-06T08:00:00Z"],"values":[3,1],"total":4},
	{"fields":{"severity_text":"","level":"error","severity":""},"timestamps":["2026-12-06T08:01:00Z"],"values":[2],"total":2},
	{"fields":{"severity_text":"INFO","level":"","severity":""},"timestamps":["2026-12-06T08:00:00Z","2026-12-06T08:01:00Z"],"values":[10,0],"total":10},
	{"fields":{},"timestamps":["2026-12-06T08:00:00Z"],"values":[5],"total":5}]}`
	var got *http.Request
	c := serve(t, func(w http.ResponseWriter, r *http.Request) { got = r; fmt.Fprint(w, answer) }, Options{Filter: "app"})
	start := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	v, err := c.Volume(context.Background(), sources.LogQuery{Start: start, End: start.Add(2 * time.Minute)}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 2 || !v[0].Time.Equal(start) || v[0].ByLevel["error"] != 1 || v[0].ByLevel["info"] != 10 || v[0].ByLevel[""] != 5 ||
		v[1].ByLevel["error"] != 5 || v[1].ByLevel["info"] != 0 {
		t.Errorf("volume %+v", v)
	}
	if q := got.URL.Query(); q.Get("step") != "1m0s" || len(q["field"]) != 3 || q.Get("query") != "app" {
		t.Errorf("asked %v", q)
	}
	// A day in steps of a second is counted in longer steps.
	if _, err := c.Volume(context.Background(), sources.LogQuery{Start: start, End: start.Add(24 * time.Hour)}, time.Second); err != nil {
		t.Fatal(err)
	}
	if d, _ := time.ParseDuration(got.URL.Query().Get("step")); 24*time.Hour/d > maxSteps {
		t.Errorf("a day in steps of %s", d)
	}
	if _, err := volumeOf([]byte("<html>"), 200, "200 OK", "vl"); err == nil || !strings.Contains(err.Error(), "answered an HTML page") {
		t.Errorf("HTML hits: %v", err)
	}
	if _, err := volumeOf([]byte(`{"hits":[{"fields"`), 200, "200 OK", "vl"); err == nil || !strings.Contains(err.Error(), "not VictoriaLogs's hits") {
		t.Errorf("HTML hits: %v", err)
	}
	if _, err := volumeOf([]byte("<html>"), 502, "502 Bad Gateway", "vl"); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("a 502: %v", err)
	}
}

// FuzzLine: whatever a record holds, decoding it neither panics nor lets a
// control character through, and stays within its bounds.
func FuzzLine(f *testing.F) {
	f.Add([]byte(`{"_time":"2026-12-06T08:00:00Z","_msg":"a\u001b[2J\nb","trace_id":"ab","severity_text":"ERROR"}`))
	f.Add([]byte(`{"_msg":{"nested":[1,2]},"x\u202e":"\u0007"}`))
	f.Add([]byte("<html>"))
	f.Add([]byte(`{"_time":"not a time"}`))
	f.Fuzz(func(t *testing.T, rec []byte) {
		l, err := decodeLine(rec, int64(len(rec)))
		if err != nil {
			if faults.HasControl(err.Error()) {
				t.Fatalf("control character in %q", err)
			}
			return
		}
		if l == nil {
			return
		}
		if s := unsafe(*l); s != "" {
			t.Fatalf("control character in %q", s)
		}
		if len(l.Message) > 3*MaxMessage+100 || len(l.Fields) > maxFields+6 {
			t.Fatalf("message of %d bytes, %d fields", len(l.Message), len(l.Fields))
		}
	})
}

// FuzzVolume: whatever hits answers, decoding it neither panics nor lets a
// control character into a level or an error.
func FuzzVolume(f *testing.F) {
	f.Add([]byte(`{"hits":[{"fields":{"severity_text":"ERROR\u001b[2J"},"timestamps":["2026-12-06T08:00:00Z"],"values":[3]}]}`), 200)
	f.Add([]byte(`{"hits":[{"fields":{},"timestamps":["x","y"],"values":[1]}]}`), 200)
	f.Add([]byte("<html>\u202e"), 502)
	f.Fuzz(func(t *testing.T, body []byte, code int) {
		v, err := volumeOf(body, code, "status \x1b", "vl")
		if err != nil {
			if faults.HasControl(err.Error()) {
				t.Fatalf("control character in %q", err)
			}
			return
		}
		for _, s := range v {
			for level := range s.ByLevel {
				if faults.HasControl(level) {
					t.Fatalf("control character in level %q", level)
				}
			}
		}
	})
}
