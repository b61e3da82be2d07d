package actions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandRunsByTheNameItWasFoundBy: a program reached through a link
// is started by the link's path, not the file's: a wrapper such as
// Debian's pg_wrapper (behind /usr/bin/pg_dump) tells the tools apart by
// the name it was started by. The identity checked is the file's.
func TestCommandRunsByTheNameItWasFoundBy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "multi.sh"), []byte("#!/bin/sh\nbasename \"$0\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("multi.sh", filepath.Join(dir, "tool")); err != nil {
		t.Fatal(err)
	}
	plan, err := PlanCommand(CommandSpec{Action: "command", Environment: "qa", Name: "tool", Command: Command{Argv: []string{"./tool"}, Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	exit, _, err := plan.execute(context.Background(), func(_ Stream, line string) { out.WriteString(line) })
	if err != nil || exit != 0 || out.String() != "tool" {
		t.Fatalf("ran as %q (exit %d, %v), want as tool", out.String(), exit, err)
	}
	if q := plan.Question(); !strings.Contains(q.Items[0].Text, filepath.Join(dir, "tool")+" ("+filepath.Join(dir, "multi.sh")+")") {
		t.Errorf("the question names %q", q.Items[0].Text)
	}
	// The link turned to another file: refused.
	if err := os.WriteFile(filepath.Join(dir, "other.sh"), []byte("#!/bin/sh\necho other\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "tool")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("other.sh", filepath.Join(dir, "tool")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := plan.execute(context.Background(), func(Stream, string) {}); !IsChanged(err) || !strings.Contains(err.Error(), "now runs") {
		t.Errorf("a link turned elsewhere: %v", err)
	}
}
