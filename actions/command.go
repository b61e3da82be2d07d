package actions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/opsdeck/opsdeck/internal/cmdvars"
)

// CommandSpec is a command an action runs: what the question shows of it
// and what the audit log names.
type CommandSpec struct {
	// Action is the plan's kind ("command", "migration-sql", "schema-dump").
	Action, Environment string
	// Name is the configured name ("tests"), shown in the question.
	Name   string
	Danger Kind
	// AlwaysConfirm asks y/N where the kind would need nothing.
	AlwaysConfirm bool
	// Target is what it acts on, redacted.
	Target string
	// PartOf names the action a step serves.
	PartOf  string
	Command Command
	// Explain puts a failed run's cause in words from its output ("" when
	// it has nothing to add).
	Explain func(output []string) string
	// Values are the selection's variables when the question is asked
	// ($PID, $TRACE_ID…): copied into the plan, read nowhere else.
	Values map[string]string
}

// CommandPlan is a process to start: its argv, directory and the very
// executable file it resolved to, known by its identity on disk. A
// program replaced between the question and the yes is not run.
type CommandPlan struct {
	h       planHead
	target  string
	cmd     Command
	exe     string    // the executable as exec finds it
	real    string    // the file it is, every link followed
	ident   fileIdent // real's
	explain func([]string) string
	vars    []Var // the selection's values the command was planned with
}

// fileIdent is a file as the kernel knows it: replaced or written, it
// differs.
type fileIdent struct {
	dev, ino    uint64
	size        int64
	mtime, ctim int64
	mode        uint32
}

func identOf(path string) (fileIdent, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileIdent{}, err
	}
	return fileIdent{dev: st.Dev, ino: st.Ino, size: st.Size, mtime: st.Mtim.Nano(), ctim: st.Ctim.Nano(), mode: st.Mode}, nil
}

// PlanCommand resolves s's executable and reads its identity. A command
// whose argv would carry a secret is refused: argv is public (ps, /proc).
func PlanCommand(s CommandSpec) (*CommandPlan, error) {
	c := s.Command
	c.Argv, c.Env = slices.Clone(c.Argv), slices.Clone(c.Env)
	vars, err := bindVars(&c, s.Values)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	argv := c.argv()
	if len(argv) == 0 {
		return nil, errors.New("empty command")
	}
	if line := strings.Join(argv, " "); c.Credentials.String(line) != line {
		return nil, fmt.Errorf("%s refused: its command line would carry a secret, visible to every user of the machine (ps): pass it in the command's env instead", s.Name)
	}
	exe, real, err := resolveExecutable(argv[0], c.Dir)
	if err != nil {
		return nil, err
	}
	ident, err := identOf(real)
	if err != nil {
		return nil, fmt.Errorf("command not found: %s", argv[0])
	}
	c.path = exe
	// Values from the selection (what a source sent) are seen in the
	// question before anything runs: such a command is always asked.
	confirm := s.AlwaysConfirm || slices.ContainsFunc(vars, func(v Var) bool { return cmdvars.FromSource(v.Name) })
	return &CommandPlan{h: planHead{action: s.Action, name: s.Name, env: s.Environment, danger: s.Danger, alwaysConfirm: confirm, partOf: s.PartOf},
		target: s.Target, cmd: c, exe: exe, real: real, ident: ident, explain: s.Explain, vars: vars}, nil
}

// resolveExecutable is the path name runs by, as exec would find it (a
// name with a slash is relative to dir), and the file it is once every
// symbolic link is followed. The program is started by the first: a
// wrapper such as Debian's pg_wrapper tells the tools apart by the name
// they were started by.
func resolveExecutable(name, dir string) (exe, real string, err error) {
	p := name
	if strings.Contains(name, "/") {
		if !filepath.IsAbs(p) {
			base := dir
			if base == "" {
				base, _ = os.Getwd()
			} else if !filepath.IsAbs(base) {
				base, _ = filepath.Abs(base)
			}
			p = filepath.Join(base, p)
		}
	} else {
		found, err := exec.LookPath(name)
		if err != nil {
			return "", "", fmt.Errorf("command not found: %s", name)
		}
		p = found
	}
	exe, err = filepath.Abs(p)
	if err != nil {
		return "", "", err
	}
	real, err = filepath.EvalSymlinks(exe)
	if err != nil {
		return "", "", fmt.Errorf("command not found: %s", name)
	}
	return exe, real, nil
}

func (p *CommandPlan) head() planHead { return p.h }

// Question shows the command line, where it runs and what it acts on.
func (p *CommandPlan) Question() Question {
	line := p.cmd.String()
	head := fmt.Sprintf("%s in %s: run `%s`", p.h.named(), p.h.env, line)
	if p.target != "" {
		head += " against " + p.target
	}
	program := p.exe
	if p.real != p.exe {
		program += " (" + p.real + ")"
	}
	items := append(varItems(p.vars, p.cmd), Item{Text: "program: " + program, Level: Quiet})
	if p.cmd.Dir != "" {
		items = append(items, Item{Text: "in directory: " + p.cmd.Dir, Level: Quiet})
	}
	if p.cmd.Timeout > 0 {
		items = append(items, Item{Text: "stopped after " + p.cmd.Timeout.String(), Level: Quiet})
	}
	vars := make([]Var, len(p.vars))
	for i, v := range p.vars {
		vars[i] = Var{Name: v.Name, Value: p.cmd.Scrub.String(v.Value)}
	}
	return Question{Action: p.h.action, Environment: p.h.env, Target: p.target, Command: line, Head: []string{head}, Items: items, Vars: vars}
}

// verify checks that the program is still the file the question named.
func (p *CommandPlan) verify() error {
	exe, real, err := resolveExecutable(p.cmd.argv()[0], p.cmd.Dir)
	if err != nil {
		return changed("%s is gone since you were asked", p.exe)
	}
	if exe != p.exe || real != p.real {
		return changed("%s now runs %s, not %s as you were asked", p.cmd.argv()[0], real, p.real)
	}
	if now, err := identOf(real); err != nil || now != p.ident {
		return changed("%s was replaced or written since you were asked", real)
	}
	return nil
}

func (p *CommandPlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	if err := p.verify(); err != nil {
		return -1, nil, err
	}
	exit, tail, err := runCommand(ctx, p.h.named(), p.cmd, emit)
	if exit != 0 && p.explain != nil {
		if why := p.explain(tail); why != "" {
			emit(Stderr, why)
			tail = append(tail, why)
			if err == nil {
				err = errors.New(why)
			}
		}
	}
	return exit, tail, err
}

// runCommand starts c and streams its output until it ends.
func runCommand(ctx context.Context, name string, c Command, emit Emit) (int, []string, error) {
	r, err := Start(ctx, c)
	if err != nil {
		return 127, nil, err
	}
	for ev := range r.Events {
		if ev.Done {
			if ev.Err != nil {
				return ev.Exit, r.Tail(), fmt.Errorf("%s: %w", name, ev.Err)
			}
			return ev.Exit, r.Tail(), nil
		}
		emit(ev.Stream, ev.Line)
	}
	return 1, r.Tail(), errors.New("the run ended without a status")
}

// StepPlan is a step done in process that reads what it is shown and
// writes only where its plan says (the preflight's rehearsal, in a scratch
// database of its own).
type StepPlan struct {
	h      planHead
	target string
	lines  []string
	run    func(ctx context.Context) ([]string, error)
}

// PlanStep is a step of action partOf in env: head is what it does, run
// does it and returns its output lines.
func PlanStep(action, env, partOf, target string, head []string, run func(ctx context.Context) ([]string, error)) *StepPlan {
	return &StepPlan{h: planHead{action: action, env: env, danger: Safe, partOf: partOf}, target: target, lines: slices.Clone(head), run: run}
}

func (p *StepPlan) head() planHead { return p.h }

// Question is what the step does.
func (p *StepPlan) Question() Question {
	return Question{Action: p.h.action, Environment: p.h.env, Target: p.target, Head: slices.Clone(p.lines)}
}

func (p *StepPlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	lines, err := p.run(ctx)
	emitLines(emit, lines...)
	if err != nil {
		return 1, lines, err
	}
	return 0, lines, nil
}
