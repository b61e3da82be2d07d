// Package deploys reads what a deploy brought from a local git checkout:
// the commits between the version that ran and the one deployed (`git log
// old..new`), their subjects, authors and files, the migrations among them
// flagged. git runs through a runner the caller gives (the console's
// guarded, audited path for commands that only read), argv only.
package deploys

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// Run runs argv in dir and returns its standard output.
type Run func(ctx context.Context, argv []string, dir string) (string, error)

// ref is what a version must look like to be asked of git: a tag, a branch
// or a hash. A leading dash (an option: --upload-pack=…), "..", "@{", a
// colon, a space or a control character is refused before git sees it.
var ref = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./+-]{0,199}$`)

// ValidRef says why v cannot be a revision (nil when it can).
func ValidRef(v string) error {
	if !ref.MatchString(v) || strings.Contains(v, "..") || strings.HasSuffix(v, ".lock") || strings.HasSuffix(v, "/") {
		shown := v
		if len(shown) > 64 {
			shown = shown[:64] + "…"
		}
		return fmt.Errorf("%q is not a version opsdeck asks git about (letters, digits, . _ / + -, not starting with - or holding ..)", shown)
	}
	return nil
}

// Reader asks one checkout.
type Reader struct {
	Repo string
	// Versions is the Alembic versions directory relative to the
	// repository ("alembic/versions"); "" flags any */versions/*.py under
	// a directory named alembic or migrations.
	Versions string
	Run      Run
}

// resolve is v as a commit of the repository, trying v then "v"+v (a
// tag of a version label); "" when the repository has neither.
func (r Reader) resolve(ctx context.Context, v string) (string, error) {
	for _, name := range []string{v, "v" + v} {
		out, err := r.Run(ctx, git("rev-parse", "--verify", "--quiet", "--end-of-options", name+"^{commit}"), r.Repo)
		if err == nil {
			return strings.TrimSpace(out), nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
	}
	return "", nil
}

// Between is what the deploy from → to brought.
func (r Reader) Between(ctx context.Context, from, to string) (sources.DeployDiff, error) {
	d := sources.DeployDiff{From: from, To: to}
	for _, v := range []string{from, to} {
		if err := ValidRef(v); err != nil {
			return d, err
		}
	}
	// The repository answers first: a failure past this point is a
	// version it does not know, never git or the guard refusing.
	if _, err := r.Run(ctx, git("rev-parse", "--git-dir"), r.Repo); err != nil {
		return d, err
	}
	old, err := r.resolve(ctx, from)
	if err != nil {
		return d, err
	}
	now, err := r.resolve(ctx, to)
	if err != nil {
		return d, err
	}
	if old == "" {
		d.Missing = append(d.Missing, from)
	}
	if now == "" {
		d.Missing = append(d.Missing, to)
	}
	if len(d.Missing) > 0 {
		return d, nil
	}
	if d.Commits, d.More, err = r.log(ctx, old, now); err != nil {
		return d, err
	}
	// What the version that ran had and the new one lacks: a rollback's
	// commits, which "0 commits" would hide.
	d.Undone, d.UndoneMore, err = r.log(ctx, now, old)
	return d, err
}

// MaxCommits bounds each log: the commits listed, newest first; more is
// said, not listed.
const MaxCommits = 200

// log is the commits reachable from hash to and not from hash from.
// Resolved hashes only after --end-of-options, and -- before any path:
// nothing the version said can be an option or a path.
func (r Reader) log(ctx context.Context, from, to string) (cs []sources.DeployCommit, more bool, err error) {
	if from == to {
		return nil, false, nil
	}
	out, err := r.Run(ctx, git("log", "--no-color", "--no-merges", fmt.Sprintf("--max-count=%d", MaxCommits+1), "--name-only",
		"--no-show-signature", "--no-ext-diff", "--no-textconv", "--no-notes",
		"--format="+marker+"%H%n%an%n%s", "--end-of-options", from+".."+to, "--"), r.Repo)
	if err != nil {
		return nil, false, err
	}
	cs = parse(out, r.Versions)
	if len(cs) > MaxCommits {
		return cs[:MaxCommits], true, nil
	}
	return cs, false, nil
}

// marker opens each commit's record in git log's output: the record is
// the marker and hash, the author, the subject (one line each), then the
// files. The runner's output is text (control characters replaced), so
// the separators are printable.
const marker = "@@opsdeck-commit@@ "

// parse reads git log's records.
func parse(out, versions string) []sources.DeployCommit {
	var cs []sources.DeployCommit
	field := 0 // lines read of the current record
	for _, l := range strings.Split(out, "\n") {
		if h, ok := strings.CutPrefix(l, marker); ok {
			cs, field = append(cs, sources.DeployCommit{Hash: strings.TrimSpace(h)}), 1
			continue
		}
		if len(cs) == 0 {
			continue
		}
		c := &cs[len(cs)-1]
		switch field {
		case 1:
			c.Author, field = l, 2
		case 2:
			c.Subject, field = l, 3
		default:
			if l = strings.TrimSpace(l); l != "" {
				c.Files = append(c.Files, l)
				c.Migration = c.Migration || isMigration(l, versions)
			}
		}
	}
	return cs
}

// isMigration reports whether file is a revision under the versions dir.
func isMigration(file, versions string) bool {
	if versions != "" {
		return strings.HasPrefix(file, strings.TrimSuffix(versions, "/")+"/") && strings.HasSuffix(file, ".py")
	}
	dir := path.Dir(file)
	return path.Base(dir) == "versions" && (strings.Contains(dir, "alembic") || strings.Contains(dir, "migrations")) && strings.HasSuffix(file, ".py")
}

// Cached is r remembering each pair it read: a deploy's commits do not
// change, and the console asks at every refresh. A failure is kept for
// retryAfter, so that a broken repository is not asked (and audited)
// at every refresh either.
func (r Reader) Cached() sources.Deploys {
	return &cached{r: r, seen: map[[2]string]sources.DeployDiff{}, failed: map[[2]string]failure{}}
}

const retryAfter = time.Minute

type failure struct {
	err error
	at  time.Time
}

type cached struct {
	r      Reader
	mu     sync.Mutex
	seen   map[[2]string]sources.DeployDiff
	failed map[[2]string]failure
}

func (c *cached) Between(ctx context.Context, from, to string) (sources.DeployDiff, error) {
	k := [2]string{from, to}
	c.mu.Lock()
	d, ok := c.seen[k]
	f, failed := c.failed[k]
	c.mu.Unlock()
	switch {
	case ok:
		return d, nil
	case failed && time.Since(f.at) < retryAfter:
		return sources.DeployDiff{From: from, To: to}, f.err
	}
	d, err := c.r.Between(ctx, from, to)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil && len(c.seen) < 500:
		c.seen[k] = d
		delete(c.failed, k)
	case err != nil && ctx.Err() == nil && len(c.failed) < 500:
		c.failed[k] = failure{err: err, at: time.Now()}
	}
	return d, err
}

// git is the argv of git subcommand sub with the least power a read
// needs. A checkout's own configuration may name programs for git to
// run (gpg.program with log.showSignature ran on every signed commit of
// a log; core.fsmonitor, a pager, hooks): each is turned off here, where
// the command line outranks the repository's file. Replacement objects
// could make the log tell another history.
func git(sub string, args ...string) []string {
	return append([]string{"git", "--no-pager", "--no-replace-objects", "--literal-pathspecs",
		"-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "-c", "log.showSignature=false",
		"-c", "core.quotePath=false", sub}, args...)
}

// GitEnv is what git's environment adds for a read: never prompting,
// never taking an optional lock (a read writes nothing), no system-wide
// configuration, and no transport at all (GIT_ALLOW_PROTOCOL empty: a
// partial clone cannot fetch what it lacks, nor run core.sshCommand).
func GitEnv() []string {
	return []string{"GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "GIT_PAGER=cat", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_ALLOW_PROTOCOL=", "GIT_NO_LAZY_FETCH=1", "GIT_NO_REPLACE_OBJECTS=1"}
}
