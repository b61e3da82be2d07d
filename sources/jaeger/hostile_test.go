package jaeger

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/internal/testenv/faults"
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
	})
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
