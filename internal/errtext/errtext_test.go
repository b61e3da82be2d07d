package errtext

import "testing"

func TestCause(t *testing.T) {
	for in, want := range map[string]string{
		"failed to connect to `host=db user=u`: dial error: connection refused": "connection refused",
		"no colon here": "no colon here",
		"ends with: ":   "ends with: ",
	} {
		if got := Cause(in); got != want {
			t.Errorf("Cause(%q) = %q, want %q", in, got, want)
		}
	}
}
