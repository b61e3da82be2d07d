package jaeger

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/sandbox/faults"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
)

// FuzzTrace: whatever a backend answers, decoding neither panics nor lets a
// control character through and spans stay bounded, whatever the
// references (cycles included).
func FuzzTrace(f *testing.F) {
	f.Add([]byte(`{"data":[{"traceID":"ab","spans":[{"spanID":"1","operationName":"GET \u001b[2J","startTime":1,"duration":5,"processID":"p","tags":[{"key":"error","value":true}]},{"spanID":"2","references":[{"refType":"CHILD_OF","spanID":"1"}],"startTime":2,"duration":1,"processID":"p"}],"processes":{"p":{"serviceName":"api\u0007"}}}]}`), 200)
	f.Add([]byte(`{"data":[{"spans":[{"spanID":"1","references":[{"spanID":"2"}]},{"spanID":"2","references":[{"spanID":"1"}]}]}]}`), 200)
	f.Add([]byte(`{"errors":[{"code":500,"msg":"boom\u001b]0;x\u0007"}]}`), 500)
	f.Add([]byte(`<html>login</html>`), 200)
	f.Add([]byte(`{"data":[{"traceID":"ab","spans":[{"spanID":"1","startTime":-9223372036854775808,"duration":5,"processID":"p"},{"spanID":"2","startTime":1796523179017361,"duration":1000000,"processID":"p"}]}]}`), 200)
	f.Add([]byte(`{"data":[{"traceID":"ab","spans":[{"spanID":"1","startTime":9223372036854775807,"duration":9223372036854775807},{"spanID":"2","startTime":0,"duration":-9223372036854775808}]}]}`), 200)
	f.Fuzz(func(t *testing.T, body []byte, code int) {
		tr, err := decode(body, code, "status", "ab")
		if err != nil {
			if faults.HasControl(err.Error()) {
				t.Fatalf("control character in %q", err.Error())
			}
			return
		}
		for _, s := range tr.Spans {
			for _, x := range []string{s.ID, s.Parent, s.Service, s.Operation} {
				if faults.HasControl(x) {
					t.Fatalf("control character in %q", x)
				}
			}
			for k, v := range s.Attributes {
				if faults.HasControl(k) || faults.HasControl(v) {
					t.Fatalf("control character in %q=%q", k, v)
				}
			}
			if s.Duration < 0 {
				t.Fatalf("negative duration %v", s.Duration)
			}
		}
		if len(tr.Spans) > 5000 {
			t.Fatalf("%d spans", len(tr.Spans))
		}
		if length, exact := traceLength(tr.Spans); length < 0 || !exact || strings.HasPrefix(units.Format(length.Seconds(), units.Seconds), "-") {
			t.Fatalf("the trace is %v long (exact: %v), shown as %s", length, exact, units.Format(length.Seconds(), units.Seconds))
		}
	})
}

// traceLength is the time from the first span's start to the last one's
// end, and whether it is exact (time.Time.Sub saturates).
func traceLength(spans []sources.Span) (time.Duration, bool) {
	var start, end time.Time
	for i, s := range spans {
		if i == 0 || s.Start.Before(start) {
			start = s.Start
		}
		if e := s.Start.Add(s.Duration); i == 0 || e.After(end) {
			end = e
		}
	}
	d := end.Sub(start)
	return d, start.Add(d).Equal(end)
}

// TestAbsurdSpanTimes: a span stamped at the smallest or largest int64
// microsecond, or with a negative or endless duration, beside a real one:
// no length is negative, the trace's length is exact and shown as such,
// the absurd span says its time is not valid, and the real one is as
// Jaeger sent it.
func TestAbsurdSpanTimes(t *testing.T) {
	real := time.Date(2026, 12, 6, 2, 12, 59, 17361000, time.UTC)
	for _, c := range []struct{ start, duration string }{
		{"-9223372036854775808", "5"},
		{"9223372036854775807", "9223372036854775807"},
		{"-1", "1000"},
		{"1796523179017361", "-9223372036854775808"},
		{"1796523179017361", "9223372036854775807"},
	} {
		body := fmt.Sprintf(`{"data":[{"traceID":"ab","spans":[{"spanID":"1","startTime":%s,"duration":%s,"processID":"p"},`+
			`{"spanID":"2","startTime":%d,"duration":1000000,"processID":"p"}]}]}`, c.start, c.duration, real.UnixMicro())
		tr, err := decode([]byte(body), 200, "200 OK", "ab")
		if err != nil {
			t.Fatal(err)
		}
		length, exact := traceLength(tr.Spans)
		shown := units.Format(length.Seconds(), units.Seconds)
		if length < 0 || !exact || strings.HasPrefix(shown, "-") {
			t.Errorf("start %s, duration %s: the trace is %v long (exact: %v), shown as %s", c.start, c.duration, length, exact, shown)
		}
		for _, s := range tr.Spans {
			switch {
			case s.Duration < 0:
				t.Errorf("start %s, duration %s: span %s lasts %v", c.start, c.duration, s.ID, s.Duration)
			case s.ID == "1" && !strings.Contains(s.Attributes[InvalidTime], "is not valid"):
				t.Errorf("start %s, duration %s: the absurd span says nothing of it: %v", c.start, c.duration, s.Attributes)
			case s.ID == "2" && (!s.Start.Equal(real) || s.Duration != time.Second || s.Attributes[InvalidTime] != ""):
				t.Errorf("start %s, duration %s: the real span became %+v", c.start, c.duration, s)
			}
		}
	}
}

// TestHungJaegerSaysSoInTime: a Jaeger that accepts and never answers is
// reported within the timeout, in words; a password in its URL is never
// in the error.
func TestHungJaegerSaysSoInTime(t *testing.T) {
	hung := faults.NewProxy(t, "127.0.0.1:1")
	hung.Set(faults.BlackHole) // accepts, never answers
	u := "http://ops:canary-jaeger-pw@" + hung.Addr()
	c, err := New(httpapi.APIOptions{URL: u, Timeout: 300 * time.Millisecond, Scrubber: redact.NewScrubber(redact.SecretsOf(u)...)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Trace(context.Background(), "4bf92f3577b34da6a3ce929d0e0e4736")
	if err == nil || !strings.Contains(err.Error(), "no answer from") || strings.Contains(err.Error(), "canary-jaeger-pw") {
		t.Errorf("hung Jaeger: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 300ms timeout", d)
	}
	if _, err := c.Trace(context.Background(), "../../admin"); err == nil || !strings.Contains(err.Error(), "is not a trace id") {
		t.Errorf("a path for a trace id: %v", err)
	}
}
