package sandbox

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCeleryPoolsDegradeInWords: where python3 cannot import gevent, the
// gevent worker runs on the prefork pool and the demo says why, instead of
// the whole sandbox dying at its Celery step.
func TestCeleryPoolsDegradeInWords(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 to ask")
	}
	shadow := t.TempDir()
	if err := os.WriteFile(filepath.Join(shadow, "gevent.py"), []byte("raise ImportError('no gevent on this machine')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", shadow)
	var log bytes.Buffer
	s := &Sandbox{}
	s.celeryPools(&log)
	if got := s.workers["worker-b"]; got.Pool != "prefork" || got.Queues == nil {
		t.Errorf("worker-b without gevent: %+v", got)
	}
	if got := s.workers["worker-a"]; got.Pool != celeryWorkers["worker-a"].Pool {
		t.Errorf("worker-a changed: %+v", got)
	}
	if !strings.Contains(log.String(), "worker-b runs on the prefork pool: python3 cannot import gevent (install python3-gevent): ImportError: no gevent on this machine") {
		t.Errorf("the demo's words: %q", log.String())
	}
}
