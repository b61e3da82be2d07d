package deploys

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// gitRepo is a real repository: v1.4.1, then a fix, a migration (by
// another author) and a merge-free history up to v1.4.2.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed (Debian: git)")
	}
	dir := t.TempDir()
	git := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), append([]string{"GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir}, env...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	ana := []string{"GIT_AUTHOR_NAME=Ana", "GIT_AUTHOR_EMAIL=ana@x", "GIT_COMMITTER_NAME=Ana", "GIT_COMMITTER_EMAIL=ana@x"}
	bo := []string{"GIT_AUTHOR_NAME=Bo", "GIT_AUTHOR_EMAIL=bo@x", "GIT_COMMITTER_NAME=Bo", "GIT_COMMITTER_EMAIL=bo@x"}
	git(ana, "init", "-q", "-b", "main")
	write("app/main.py", "v1\n")
	git(ana, "add", ".")
	git(ana, "commit", "-q", "-m", "first release")
	git(ana, "tag", "v1.4.1")
	write("app/main.py", "v2\n")
	git(ana, "commit", "-q", "-am", "fix the login timeout")
	write("alembic/versions/9f1_add_index.py", "revision = '9f1'\n")
	git(bo, "add", ".")
	git(bo, "commit", "-q", "-m", "add an index on messages")
	git(ana, "tag", "v1.4.2")
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// execRun runs argv directly, recording each.
func execRun(calls *[][]string) Run {
	return func(ctx context.Context, argv []string, dir string) (string, error) {
		*calls = append(*calls, argv)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir = dir
		out, err := cmd.Output()
		return string(out), err
	}
}

// TestBetweenTwoVersions: the commits between two tags (a version label
// finds its v-tag), newest first, with authors and files, the migration
// flagged; a version the repository lacks is said so.
func TestBetweenTwoVersions(t *testing.T) {
	var calls [][]string
	r := Reader{Repo: gitRepo(t), Run: execRun(&calls)}
	d, err := r.Between(context.Background(), "1.4.1", "v1.4.2")
	must(t, err)
	if len(d.Commits) != 2 || d.Commits[0].Subject != "add an index on messages" || d.Commits[0].Author != "Bo" || !d.Commits[0].Migration ||
		!slices.Equal(d.Commits[0].Files, []string{"alembic/versions/9f1_add_index.py"}) ||
		d.Commits[1].Subject != "fix the login timeout" || d.Commits[1].Migration || d.Commits[1].Author != "Ana" {
		t.Fatalf("diff %+v", d)
	}
	if d.Summary() != "2 commits, 1 with a migration" {
		t.Errorf("summary %q", d.Summary())
	}
	d, err = r.Between(context.Background(), "v1.4.2", "1.9.9")
	if err != nil || !slices.Equal(d.Missing, []string{"1.9.9"}) || d.Summary() != "1.9.9 not in the repository" || len(d.Commits) != 0 {
		t.Errorf("a version the repository lacks: %+v %v", d, err)
	}
	for _, c := range calls {
		if slices.Equal(c[len(c)-2:], []string{"rev-parse", "--git-dir"}) {
			continue // names no revision
		}
		if i, j := slices.Index(c, "--end-of-options"), len(c); i < 0 || i > j-2 {
			t.Errorf("git ran without --end-of-options before its revisions: %q", c)
		}
	}
}

// TestHostileVersionsNeverReachGit: a version shaped like an option, a
// range or a path is refused before git runs.
func TestHostileVersionsNeverReachGit(t *testing.T) {
	dir := gitRepo(t)
	var calls [][]string
	r := Reader{Repo: dir, Run: execRun(&calls)}
	for _, v := range []string{"--upload-pack=touch pwned", "-c", "v1..v2", "HEAD@{1}", "v1:secret", "a b", "v1\n--all", "", "x/"} {
		if _, err := r.Between(context.Background(), v, "v1.4.2"); err == nil || !strings.Contains(err.Error(), "is not a version") {
			t.Errorf("%q: %v", v, err)
		}
	}
	// A label of any length is named in a line, not repeated whole.
	if _, err := r.Between(context.Background(), strings.Repeat("-x", 50000), "v1.4.2"); err == nil || len(err.Error()) > 300 {
		t.Errorf("a 100 kB version: %d bytes of error", len(err.Error()))
	}
	if len(calls) != 0 {
		t.Errorf("git ran: %q", calls)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("an option ran")
	}
}

// TestCachedAsksOnce: a pair read well is not asked again; a failure is
// not asked again at once either (a broken repository is not audited at
// every refresh).
func TestCachedAsksOnce(t *testing.T) {
	var calls [][]string
	r := Reader{Repo: gitRepo(t), Run: execRun(&calls)}.Cached()
	for range 3 {
		if d, err := r.Between(context.Background(), "v1.4.1", "v1.4.2"); err != nil || len(d.Commits) != 2 {
			t.Fatalf("%+v %v", d, err)
		}
	}
	n := len(calls)
	broken := Reader{Repo: t.TempDir(), Run: execRun(&calls)}.Cached()
	for range 3 {
		if _, err := broken.Between(context.Background(), "v1", "v2"); err == nil {
			t.Fatal("a directory that is no repository answered")
		}
	}
	if n != 5 || len(calls) != n+1 {
		t.Errorf("git ran %d times for the good pair, %d for the broken one", n, len(calls)-n)
	}
}

// hostileConfig makes dir's repository run marker-writing programs
// wherever its own configuration can name one: a signature check
// (log.showSignature with gpg.program), a file system monitor, an
// external diff, a textconv driver, a pager and hooks. It also adds a
// signed commit on top of v1.4.2, tagged v1.4.3, so that a signature
// check has something to check. It returns the directory the markers
// would appear in.
func hostileConfig(t *testing.T, dir string) string {
	t.Helper()
	marks := t.TempDir()
	evil := filepath.Join(marks, "evil.sh")
	must(t, os.WriteFile(evil, []byte("#!/bin/sh\ntouch \""+marks+"/ran-$$\"\nexit 1\n"), 0o755))
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	tree, parent := git("rev-parse", "v1.4.2^{tree}"), git("rev-parse", "v1.4.2^{commit}")
	obj := "tree " + tree + "\nparent " + parent + "\nauthor Eve <eve@x> 1700000000 +0000\ncommitter Eve <eve@x> 1700000000 +0000\n" +
		"gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsigned, they say\n"
	must(t, os.WriteFile(filepath.Join(marks, "commit"), []byte(obj), 0o644))
	git("tag", "v1.4.3", git("hash-object", "-t", "commit", "-w", filepath.Join(marks, "commit")))
	must(t, os.WriteFile(filepath.Join(dir, ".gitattributes"), []byte("* diff=evil\n"), 0o644))
	for _, kv := range [][2]string{{"log.showSignature", "true"}, {"gpg.program", evil}, {"gpg.ssh.program", evil}, {"core.fsmonitor", evil},
		{"diff.external", evil}, {"diff.evil.textconv", evil}, {"core.pager", evil}, {"pager.log", evil}, {"core.hooksPath", marks}} {
		git("config", kv[0], kv[1])
	}
	return marks
}

// TestRepositoryConfigRunsNothing: a checkout's own configuration cannot
// make the read run a program (a signed commit between the versions
// and log.showSignature with gpg.program set ran it), and the read
// writes nothing in the repository.
func TestRepositoryConfigRunsNothing(t *testing.T) {
	dir := gitRepo(t)
	marks := hostileConfig(t, dir)
	before := tree(t, dir)
	var calls [][]string
	r := Reader{Repo: dir, Run: envRun(&calls, GitEnv())}
	d, err := r.Between(context.Background(), "v1.4.1", "v1.4.3")
	must(t, err)
	if len(d.Commits) != 3 || d.Commits[0].Subject != "signed, they say" || d.Commits[0].Author != "Eve" {
		t.Errorf("diff %+v", d)
	}
	ran, _ := filepath.Glob(filepath.Join(marks, "ran-*"))
	if len(ran) > 0 {
		t.Errorf("the repository's configuration ran a program %d times, through %q", len(ran), calls)
	}
	if after := tree(t, dir); !slices.Equal(before, after) {
		t.Errorf("the read wrote in the repository:\nbefore %q\nafter  %q", before, after)
	}
}

// envRun runs argv with env added, as the console's runner does.
func envRun(calls *[][]string, env []string) Run {
	return func(ctx context.Context, argv []string, dir string) (string, error) {
		*calls = append(*calls, argv)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		out, err := cmd.Output()
		return string(out), err
	}
}

// tree is every file under dir with its size and modification time.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	must(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		out = append(out, p+" "+fi.Mode().String()+" "+strconv.FormatInt(fi.Size(), 10)+" "+fi.ModTime().String())
		return nil
	}))
	return out
}

// TestRollbackSaysWhatWasUndone: a deploy back to an older version
// brought no commit, and took some away: "0 commits" told a tired reader
// nothing had changed. It says the commits undone (a migration among
// them: the database may be ahead of the code), and a deploy to a
// diverged branch says both sides.
func TestRollbackSaysWhatWasUndone(t *testing.T) {
	var calls [][]string
	r := Reader{Repo: gitRepo(t), Run: execRun(&calls)}
	d, err := r.Between(context.Background(), "v1.4.2", "v1.4.1")
	must(t, err)
	if got := d.Summary(); got != "rollback: 2 commits undone, 1 with a migration" {
		t.Errorf("a rollback reads %q (%+v)", got, d)
	}
	d, err = r.Between(context.Background(), "v1.4.2", "v1.4.2")
	must(t, err)
	if got := d.Summary(); got != "0 commits" {
		t.Errorf("the same version reads %q", got)
	}
}

// TestMoreThanTheLogShows: a deploy of more commits than a log lists
// (200) says "more than 200", not "200 commits".
func TestMoreThanTheLogShows(t *testing.T) {
	dir := gitRepo(t)
	var script strings.Builder
	script.WriteString("set -e\nfor i in $(seq 1 205); do git -c user.name=Ana -c user.email=a@x commit -q --allow-empty -m \"c$i\"; done\ngit tag v2\n")
	cmd := exec.Command("sh", "-c", script.String())
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var calls [][]string
	r := Reader{Repo: dir, Run: execRun(&calls)}
	d, err := r.Between(context.Background(), "v1.4.2", "v2")
	must(t, err)
	if len(d.Commits) != MaxCommits || d.Summary() != "more than 200 commits" {
		t.Errorf("%d commits listed, summary %q", len(d.Commits), d.Summary())
	}
	d, err = r.Between(context.Background(), "v2", "v1.4.2")
	must(t, err)
	if len(d.Undone) != MaxCommits || d.Summary() != "rollback: more than 200 commits undone" {
		t.Errorf("%d undone listed, summary %q", len(d.Undone), d.Summary())
	}
}
