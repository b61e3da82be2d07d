package config

import (
	"bytes"
	"errors"
	"github.com/opsdeck/opsdeck/ui"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/redact"
)

// FuzzParse: any file either loads into a valid configuration or fails with
// errors that each name the file, and (when the text has lines) a line within
// it; never a panic or a hang, and never a URL's password in an error.
func FuzzParse(f *testing.F) {
	// The committed corpus (testdata/fuzz/FuzzParse) holds the example and
	// test configurations; these add the shapes errors take.
	f.Add([]byte("environments:\n  qa:\n    prometheus: {url: \"http://u:fuzz-secret@prom:9090\", timout: 5s}\n"))
	f.Add([]byte("refresh: 1ns\nenvironments: {a: {postgres: {url: \"postgresql://u:fuzz-secret@db/x\"}}}\n"))
	f.Add([]byte("environments:\n  a: &x {redis: {url: \"redis://:fuzz-secret@r:6379/0\"}}\n  b: {<<: *x, protected: yes}\n"))
	f.Add([]byte("keys: {quit: [q, q]}\nenvironments: {a: {}}\n"))
	f.Add([]byte("environments:\n  a:\n    actions: {commands: [{name: x, argv: [\"${PASSWORD}\"]}]}\n"))
	// Findings of the hostile review: a merge-key bomb, text that reads like
	// the loader's placeholders, a guard flag from an unset variable, a
	// variable's value where a mapping belongs.
	f.Add([]byte(mergeBomb(9, 9)))
	f.Add([]byte("environments:\n  OPSDECKREF7Z:\n    prometheus: {selector: 'job=\"OPSDECKREF99Z\"'}\n"))
	f.Add([]byte("environments:\n  prod:\n    protected: ${PROD_PROTECTED}\n"))
	f.Add([]byte("environments:\n  a:\n    prometheus: ${PASSWORD}\n    refresh: ${PASSWORD}\n"))
	// Guard flags left empty, and two environments naming one database.
	f.Add([]byte("environments:\n  a: {protected: ~, confirm: \"\"}\n  b: &b {readonly: , allow_reset: null}\n  c: {<<: *b}\n"))
	f.Add([]byte("environments:\n  qa: {postgres: {url: 'host=localhost dbname=x'}}\n  prod: {postgres: {url: 'postgresql://u:fuzz-secret@127.0.0.1/x'}, protected: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			lookup := func(k string) (string, bool) { return "fuzz-secret", k == "PASSWORD" }
			cfg, err := Parse("fuzz.yaml", data, lookup, ui.Specs())
			if err == nil {
				if cfg == nil || len(cfg.Environments) == 0 {
					t.Errorf("loaded without environments: %+v", cfg)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Errorf("not a list of field errors: %T %v", err, err)
				return
			}
			lines := yamlLines(data)
			for _, e := range errs {
				if e.File != "fuzz.yaml" || !strings.HasPrefix(e.Error(), "fuzz.yaml") {
					t.Errorf("error does not name the file: %q", e.Error())
				}
				if e.Line < 0 || e.Line > lines {
					t.Errorf("line %d of a %d-line file: %q", e.Line, lines, e.Error())
				}
				if redact.Text(e.Error()) != e.Error() {
					t.Errorf("a URL's password in an error: %q", e.Error())
				}
				if !bytes.Contains(data, []byte("fuzz-secret")) && strings.Contains(e.Error(), "fuzz-secret") {
					t.Errorf("a variable's value quoted in an error: %q", e.Error())
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Parse hangs")
		}
	})
}

// yamlLines counts lines as YAML does: CR, LF, CRLF, NEL and the Unicode
// line and paragraph separators each end one.
func yamlLines(data []byte) int {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	n := 1
	for _, r := range text {
		switch r {
		case '\n', '\r', '\u0085', '\u2028', '\u2029':
			n++
		}
	}
	return n
}
