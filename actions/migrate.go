package actions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/alembic"
	"github.com/opsdeck/opsdeck/sources/postgres"
	"github.com/opsdeck/opsdeck/sources/preflight"
)

// MigrateSpec is an environment's migration as configured.
type MigrateSpec struct {
	Environment string
	// Dir is the Alembic project; DB the database it migrates (its
	// alembic_version is read there).
	Dir string
	DB  postgres.Options
	// Command is `alembic … upgrade TARGET`: opsdeck runs it with TARGET
	// replaced by the last revision the question listed.
	Command Command
	// Target names the database, redacted, for the question and the audit.
	Target string
	// Preflight judges the SQL of the upgrade from `from` to `to`; nil
	// when there is none.
	Preflight func(ctx context.Context, steps Steps, from []string, to string) preflight.Verdict
	// Explain puts a failed run's cause in words from its output.
	Explain func(output []string) string
	// Note is what the question must say of the run's sessions ("" for
	// nothing): a driver on which its timeouts cannot be set.
	Note string
}

// MigratePlan applies exactly the revisions its question listed, each
// known by its id and its file's digest, by running the upgrade to the
// last of them (one run per branch), never to `head`.
type MigratePlan struct {
	h        planHead
	spec     MigrateSpec
	current  []string
	runs     []migrateRun
	verdicts []preflight.Verdict
	hazard   bool
	// support are the configuration file and env.py by their digests:
	// they decide what a revision's upgrade does too.
	support map[string]string
}

// migrateRun is one `alembic upgrade TARGET` and what it applies.
type migrateRun struct {
	to   string
	revs []sources.Revision
	cmd  *CommandPlan
}

// upgradeTarget is the argument of `upgrade` in argv, and where it is.
func upgradeTarget(argv []string) (int, string, error) {
	i := slices.Index(argv, "upgrade")
	if i < 0 || i+1 >= len(argv) || strings.HasPrefix(argv[i+1], "-") {
		return 0, "", fmt.Errorf("actions.migrate.command %q names no `upgrade TARGET`: opsdeck runs a migration to the revisions its question listed, by their ids, so the command must be Alembic's upgrade",
			strings.Join(argv, " "))
	}
	return i + 1, argv[i+1], nil
}

// targets are the revisions an upgrade to ref ends at.
func targets(g *alembic.Graph, ref string) ([]string, error) {
	switch {
	case ref == "heads":
		return slices.Clone(g.Heads), nil
	case ref == "head":
		if len(g.Heads) > 1 {
			return nil, fmt.Errorf("the project has %d heads (%s): `alembic upgrade head` refuses them; merge them, or configure `upgrade heads`", len(g.Heads), strings.Join(g.Heads, ", "))
		}
		return slices.Clone(g.Heads), nil
	case strings.ContainsAny(ref, "+-@:"):
		return nil, fmt.Errorf("the upgrade target %q is relative: opsdeck names the revisions it applies, so configure head, heads or a revision id", ref)
	}
	id, err := g.Resolve(ref)
	if err != nil {
		return nil, err
	}
	return []string{id}, nil
}

// PlanMigrate reads the database's revision and the project as Alembic
// will (the configuration file the command names), lists what the upgrade
// would apply, and judges it with the preflight (its steps carried out
// through steps). Where the preflight had Alembic render the SQL, the
// revisions Alembic would apply must be the ones listed.
func PlanMigrate(ctx context.Context, s MigrateSpec, steps Steps) (*MigratePlan, error) {
	at, ref, err := upgradeTarget(s.Command.Argv)
	if err != nil {
		return nil, err
	}
	current, err := readRevision(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	g, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	ends, err := targets(g, ref)
	if err != nil {
		return nil, err
	}
	p := &MigratePlan{h: planHead{action: "migrate", env: s.Environment, danger: Dangerous}, spec: s, current: current, support: maps.Clone(g.Support)}
	reached := slices.Clone(current)
	for _, to := range ends {
		revs, err := g.PendingTo(reached, []string{to})
		if err != nil {
			return nil, err
		}
		if len(revs) == 0 {
			continue
		}
		cmd := s.Command
		cmd.Argv = slices.Clone(cmd.Argv)
		cmd.Argv[at] = to
		plan, err := PlanCommand(CommandSpec{Action: "migrate", Environment: s.Environment, Name: "migrate", Command: cmd})
		if err != nil {
			return nil, err
		}
		p.runs = append(p.runs, migrateRun{to: to, revs: revs, cmd: plan})
		from := slices.Clone(reached)
		reached = append(reached, to)
		if s.Preflight == nil {
			continue
		}
		v := s.Preflight(ctx, steps, from, to)
		if err := sameAsAlembic(revs, v); err != nil {
			return nil, err
		}
		p.verdicts = append(p.verdicts, v)
		p.hazard = p.hazard || v.Hazards() > 0
	}
	return p, nil
}

// load reads the project as the command's Alembic will: from the
// configuration file it names (-c, --config, ALEMBIC_CONFIG), else from
// the directory. A project whose graph Alembic would read otherwise (a
// parent no file declares, sourceless revisions) cannot be listed.
func (s MigrateSpec) load(ctx context.Context) (*alembic.Graph, error) {
	from, err := configOf(s.Command)
	if err != nil {
		return nil, err
	}
	g, err := alembic.Load(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("no Alembic project at %s: %w", from, err)
	}
	for _, pr := range g.Problems {
		if pr.Severity == sources.SeverityCritical {
			return nil, fmt.Errorf("opsdeck cannot list what the upgrade would apply: %s", pr.Message)
		}
	}
	return g, nil
}

// configOf is where the command's Alembic reads its configuration: the
// file its -c/--config names, or ALEMBIC_CONFIG in its environment
// (relative to its directory), else its directory's alembic.ini. A
// section other than [alembic] (-n) is refused: opsdeck reads that one.
func configOf(c Command) (string, error) {
	var path string
	for i, a := range c.Argv {
		next := func() string {
			if i+1 < len(c.Argv) {
				return c.Argv[i+1]
			}
			return ""
		}
		switch {
		case a == "-c" || a == "--config":
			path = next()
		case strings.HasPrefix(a, "--config="):
			path = strings.TrimPrefix(a, "--config=")
		case a == "-n" || a == "--name" || strings.HasPrefix(a, "--name="):
			if name := strings.TrimPrefix(a, "--name="); name != "alembic" && next() != "alembic" {
				return "", fmt.Errorf("actions.migrate.command names another section of the configuration (%s): opsdeck reads [alembic] only, so it could not list what the upgrade applies", a)
			}
		}
	}
	if path == "" {
		for _, kv := range c.Env {
			if v, ok := strings.CutPrefix(kv, "ALEMBIC_CONFIG="); ok {
				path = v
			}
		}
	}
	if path == "" {
		if v, ok := os.LookupEnv("ALEMBIC_CONFIG"); ok && v != "" && !slices.ContainsFunc(c.Env, func(kv string) bool { return strings.HasPrefix(kv, "ALEMBIC_CONFIG=") }) {
			path = v
		}
	}
	if path == "" {
		return c.Dir, nil
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.Dir, path)
	}
	return path, nil
}

// sameAsAlembic checks the revisions Alembic rendered the SQL of (its
// "Running upgrade a -> b" lines) against those listed: a revision
// opsdeck's reading of the project missed is not applied unseen.
func sameAsAlembic(listed []sources.Revision, v preflight.Verdict) error {
	if v.RenderErr != "" {
		return nil // said in the verdict: the SQL could not be rendered
	}
	var rendered []string
	for _, st := range v.Statements {
		if st.Revision != "" && !slices.Contains(rendered, st.Revision) {
			rendered = append(rendered, st.Revision)
		}
	}
	var ids []string
	for _, r := range listed {
		ids = append(ids, r.ID)
	}
	if len(rendered) == 0 || slices.Equal(rendered, ids) {
		return nil
	}
	return fmt.Errorf("refused, the question could not show what would run: Alembic would apply %s, and opsdeck's reading of the project lists %s",
		strings.Join(rendered, ", "), strings.Join(ids, ", "))
}

// readRevision is the database's alembic_version, sorted.
func readRevision(ctx context.Context, o postgres.Options) ([]string, error) {
	db, err := postgres.New(o)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	current, _, err := db.AlembicVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading alembic_version: %w", err)
	}
	current = slices.Clone(current)
	slices.Sort(current)
	return current, nil
}

func (p *MigratePlan) head() planHead { return p.h }

// Revisions are the ids the plan applies, in order.
func (p *MigratePlan) Revisions() []string {
	var out []string
	for _, r := range p.runs {
		for _, rev := range r.revs {
			out = append(out, rev.ID)
		}
	}
	return out
}

// Question is the preflight's verdict above the revisions, in the order
// they are applied, and the command each run is.
func (p *MigratePlan) Question() Question {
	q := Question{Action: p.h.action, Environment: p.h.env, Target: p.spec.Target, Hazard: p.hazard}
	var cmds []string
	for _, r := range p.runs {
		cmds = append(cmds, "`"+r.cmd.cmd.String()+"`")
	}
	at := "the database is at " + orBase(p.current)
	if len(p.runs) == 0 {
		q.Head = []string{fmt.Sprintf("migrate in %s: nothing pending (%s, the project's upgrade target reached); nothing would run", p.h.env, at)}
		q.Command = p.spec.Command.String()
		return q
	}
	q.Command = strings.Join(cmds, " then ")
	q.Head = []string{fmt.Sprintf("migrate in %s: run %s against %s (%s)", p.h.env, q.Command, p.spec.Target, at)}
	if p.spec.Note != "" {
		q.Head = append(q.Head, "⚠ "+p.spec.Note)
	}
	for i, v := range p.verdicts {
		lines := v.Lines()
		if len(p.verdicts) > 1 {
			q.Items = append(q.Items, Item{Text: "up to " + p.runs[i].to + ":"})
		}
		q.Head = append(q.Head, lines[0].Text)
		for _, l := range lines[1:] {
			q.Items = append(q.Items, Item{Text: l.Text, Level: severityLevel(l.Severity)})
		}
		q.Items = append(q.Items, Item{})
	}
	ids := p.Revisions()
	q.Items = append(q.Items, Item{Text: fmt.Sprintf("%d pending, applied in this order, and no other:", len(ids))})
	for _, r := range p.runs {
		for _, rev := range r.revs {
			q.Items = append(q.Items, Item{Text: rev.ID + " " + rev.Message})
		}
	}
	q.Target = p.spec.Target + ": " + strings.Join(ids, ", ")
	return q
}

func severityLevel(s preflight.Severity) Level {
	switch s {
	case preflight.Hazard:
		return Danger
	case preflight.Caution:
		return Caution
	}
	return Quiet
}

func orBase(revs []string) string {
	if len(revs) == 0 {
		return "no revision"
	}
	return strings.Join(revs, ", ")
}

// verify checks, before run i, that the database and the project are as
// the question saw them: the database at want (the question's revision,
// or where the run before left it), the same revisions left to apply, by
// id and by file content, with the same configuration file and env.py.
func (p *MigratePlan) verify(ctx context.Context, i int, want []string) error {
	now, err := readRevision(ctx, p.spec.DB)
	if err != nil {
		return err
	}
	if !slices.Equal(now, want) {
		return changed("the database moved since you were asked: it is at %s, not %s", orBase(now), orBase(want))
	}
	g, err := p.spec.load(ctx)
	if err != nil {
		return changed("%v", err)
	}
	for path, digest := range p.support {
		if g.Support[path] != digest {
			return changed("%s was edited since the question", path)
		}
	}
	reached := slices.Clone(now)
	for _, r := range p.runs[i:] {
		revs, err := g.PendingTo(reached, []string{r.to})
		if err != nil {
			return changed("%v", err)
		}
		if why := sameRevisions(r.revs, revs); why != "" {
			return changed("%s", why)
		}
		reached = append(reached, r.to)
	}
	return nil
}

// sameRevisions says how got differs from the planned revisions ("" when
// it does not).
func sameRevisions(planned, got []sources.Revision) string {
	byID := map[string]sources.Revision{}
	for _, r := range planned {
		byID[r.ID] = r
	}
	for _, r := range got {
		was, ok := byID[r.ID]
		switch {
		case !ok:
			return fmt.Sprintf("a revision was added since the question: %s %s (%s)", r.ID, r.Message, filepath.Base(r.File))
		case was.Digest != r.Digest:
			return fmt.Sprintf("revision %s's file %s was edited since the question", r.ID, r.File)
		}
		delete(byID, r.ID)
	}
	for id := range byID {
		return fmt.Sprintf("revision %s is no longer pending, or its file is gone, since the question", id)
	}
	if !slices.EqualFunc(planned, got, func(a, b sources.Revision) bool { return a.ID == b.ID }) {
		return "the revisions would now apply in another order than the question listed"
	}
	return ""
}

func (p *MigratePlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	if len(p.runs) == 0 {
		return 0, emitLines(emit, "nothing pending: nothing was run"), nil
	}
	var tail []string
	at := p.current
	for i, r := range p.runs {
		if err := p.verify(ctx, i, at); err != nil {
			var c *ChangedError
			if i > 0 && errors.As(err, &c) {
				c.Done = "the upgrade to " + p.runs[i-1].to + " ran (the database is at " + orBase(at) + ")"
			}
			return -1, tail, err
		}
		exit, out, err := r.cmd.execute(ctx, emit)
		tail = append(tail, out...)
		if exit != 0 || err != nil {
			if exit == 0 {
				exit = 1
			}
			if why := p.explain(out); why != "" && err == nil {
				emit(Stderr, why)
				tail, err = append(tail, why), errors.New(why)
			}
			return exit, tail, err
		}
		now, err := readRevision(ctx, p.spec.DB)
		if err != nil {
			return 1, tail, fmt.Errorf("the upgrade to %s ended, but the database's revision cannot be read: %w", r.to, err)
		}
		if !slices.Contains(now, r.to) {
			return 1, tail, fmt.Errorf("the upgrade to %s ended with the database at %s", r.to, orBase(now))
		}
		at = now
		tail = append(tail, emitLines(emit, "the database is now at "+orBase(now))...)
	}
	return 0, tail, nil
}

func (p *MigratePlan) explain(out []string) string {
	if p.spec.Explain == nil {
		return ""
	}
	return p.spec.Explain(out)
}
