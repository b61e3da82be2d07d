package victorialogs

import (
	"strings"
	"testing"
)

// TestACutTraceIDIsNotTheLinesOwn: a trace id too long to keep whole is not
// made the line's trace id (cut, it would be searched for and found nowhere,
// and the view would say no lines match); it stays a field to read. A W3C id
// is kept whole.
func TestACutTraceIDIsNotTheLinesOwn(t *testing.T) {
	long := strings.Repeat("a", 10240)
	l, err := decodeLine([]byte(record(map[string]string{"_msg": "x", "trace_id": long, "span_id": long})), 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.TraceID != "" || l.SpanID != "" {
		t.Errorf("a cut id became the line's: trace %q, span %q", l.TraceID, l.SpanID)
	}
	if f := l.Fields["trace_id"]; !strings.HasPrefix(f, "aaaa") || len(f) >= len(long) {
		t.Errorf("the long id is not kept, cut, as a field: %d bytes", len(f))
	}
	const w3c = "4bf92f3577b34da6a3ce929d0e0e4736"
	l, err = decodeLine([]byte(record(map[string]string{"_msg": "x", "trace_id": w3c, "span_id": "00f067aa0ba902b7"})), 0)
	if err != nil || l.TraceID != w3c || l.SpanID != "00f067aa0ba902b7" {
		t.Errorf("a W3C id: %q %q (%v)", l.TraceID, l.SpanID, err)
	}
}
