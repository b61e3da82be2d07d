package suggest

import "testing"

func TestClosest(t *testing.T) {
	metrics := []string{
		"http_request_duration_seconds_bucket", "http_request_duration_seconds_count", "http_requests_total",
		"origin_memory_usage_bytes", "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes",
		"process_virtual_memory_bytes",
	}
	labels := []string{"__name__", "handler", "instance", "job", "method", "status"}
	cases := []struct {
		in, want   string
		candidates []string
		plausible  bool
	}{
		{"http_requests_duration_seconds_bucket", "http_request_duration_seconds_bucket", metrics, true},
		{"memory_usage_bytes", "origin_memory_usage_bytes", metrics, true},
		{"status_code", "status", labels, true},
		{"jb", "job", labels, true},
		{"completely_unrelated_name_here", "", metrics, false},
	}
	for _, c := range cases {
		got, ok := Closest(c.in, c.candidates)
		if ok != c.plausible || (c.plausible && got != c.want) {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.plausible)
		}
	}
	if _, ok := Closest("x", nil); ok {
		t.Error("no candidates should give no suggestion")
	}
}
