package actions

import (
	"context"
	"errors"
	"fmt"
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

// PlanMigrate reads the database's revision and the project, lists what
// the upgrade would apply, and judges it with the preflight (its steps
// carried out through steps).
func PlanMigrate(ctx context.Context, s MigrateSpec, steps Steps) (*MigratePlan, error) {
	at, ref, err := upgradeTarget(s.Command.Argv)
	if err != nil {
		return nil, err
	}
	current, err := readRevision(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	g, err := alembic.Load(ctx, s.Dir)
	if err != nil {
		return nil, fmt.Errorf("no Alembic project at %s: %w", s.Dir, err)
	}
	ends, err := targets(g, ref)
	if err != nil {
		return nil, err
	}
	p := &MigratePlan{h: planHead{action: "migrate", env: s.Environment, danger: Dangerous}, spec: s, current: current}
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
		if s.Preflight != nil {
			v := s.Preflight(ctx, steps, from, to)
			p.verdicts = append(p.verdicts, v)
			p.hazard = p.hazard || v.Hazards() > 0
		}
	}
	return p, nil
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

// verify checks that the database and the project are as the question
// saw them: the same revision, and the same revisions to apply, by id and
// by file content.
func (p *MigratePlan) verify(ctx context.Context) error {
	now, err := readRevision(ctx, p.spec.DB)
	if err != nil {
		return err
	}
	if !slices.Equal(now, p.current) {
		return changed("the database moved since you were asked: it is at %s, not %s", orBase(now), orBase(p.current))
	}
	g, err := alembic.Load(ctx, p.spec.Dir)
	if err != nil {
		return changed("the Alembic project cannot be read any more: %v", err)
	}
	reached := slices.Clone(now)
	for _, r := range p.runs {
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
	if err := p.verify(ctx); err != nil {
		return -1, nil, err
	}
	var tail []string
	for _, r := range p.runs {
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
