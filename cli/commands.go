package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The command line is the standard library's flag package with subcommands as
// data: kong looks methods up by name through reflection, which makes the
// linker keep every exported method of every type (docs/PERFORMANCE.md,
// "Libraries weighed").

// cli holds the global flags; they are accepted before or after the command.
type cli struct {
	ConfigFile string
	Env        string
	Refresh    time.Duration
	Window     time.Duration
	Readonly   bool
	Overview   bool
	Dashboard  string
	Theme      string
}

// command is one subcommand: its words, help, own flags and action.
type command struct {
	path    string // "config print"
	args    string // usage of positional arguments, "" for none
	summary string
	flags   func(fs *flag.FlagSet)
	run     func(a *app, args []string) error
}

const description = `A terminal console for on-call engineers: RPS, error rate, P95 latency, memory and
firing alerts from Prometheus, PostgreSQL and Redis state, and schema drift (Alembic revisions and
the live schema against a reference) on one screen, with guarded runbook actions (migrate, reset,
your own commands) and incident reports in Markdown; the traces behind a slow request (Jaeger),
Alertmanager's alerts and silences, and every environment at a glance (--overview).

Try it with no setup: opsdeck demo`

// commands lists every subcommand; help is generated from it.
func commands() []*command {
	snapFormat, snapAll := "json", false
	var dm demoFlags
	var chk checkFlags
	var rf runFlags
	auditLimit := 20
	return []*command{
		{path: "console", summary: "Open the console (the default command: `opsdeck` alone opens it).",
			run: func(a *app, _ []string) error { return openConsole(a) }},
		{path: "run", args: "ACTION", summary: "Run ACTION headless (migrate, reset, alembic-check, cancel or terminate --pid N, celery-purge --queue Q, celery-revoke --task ID [--terminate], celery-retry --task ID, or a configured command), with the console's guards and audit log.",
			flags: func(fs *flag.FlagSet) {
				fs.BoolVar(&rf.Yes, "yes", false, "answer the y/N confirmation")
				fs.StringVar(&rf.ConfirmEnv, "confirm-env", "", "the environment's `NAME`, as typed to confirm in a protected environment")
				fs.IntVar(&rf.PID, "pid", 0, "the backend `PID` that cancel and terminate act on")
				fs.StringVar(&rf.Queue, "queue", "", "the Celery `QUEUE` celery-purge empties")
				fs.StringVar(&rf.Task, "task", "", "the Celery task `ID` celery-revoke and celery-retry act on")
				fs.BoolVar(&rf.Terminate, "terminate", false, "celery-revoke: also kill the task's process")
				fs.Var(&rf.Vars, "var", "a configured command's selection variable, `NAME=VALUE` (PID, QUERY_ID, TRACE_ID, QUEUE, TASK_ID, ROUTE, INSTANCE, START, END); repeatable")
			},
			run: func(a *app, args []string) error {
				if len(args) == 0 {
					return usageError(errors.New("run needs an ACTION (migrate, reset, alembic-check, cancel, terminate, celery-purge, celery-revoke, celery-retry, or a configured command); the console opens with `opsdeck` alone or `opsdeck console`"))
				}
				if len(args) > 1 {
					return usageError(fmt.Errorf("run takes one action, got %q", args))
				}
				return runAction(a, args[0], rf)
			}},
		{path: "snapshot", summary: "Poll every source once and print what the console would show.",
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&snapFormat, "format", "json", "output format: json, text or markdown (the incident report, with recent actions)")
				fs.StringVar(&snapFormat, "f", "json", "shorthand for --format")
				fs.BoolVar(&snapAll, "all", false, "every configured environment, read at once, in the configuration's order")
			},
			run: func(a *app, _ []string) error {
				if !slices.Contains([]string{"json", "text", "markdown"}, snapFormat) {
					return usageError(fmt.Errorf("--format must be json, text or markdown, not %q", snapFormat))
				}
				if snapAll {
					return takeSnapshots(a, snapFormat)
				}
				return takeSnapshot(a, snapFormat)
			}},
		{path: "check", summary: "Pre-deploy gate: exit 1 (saying why) unless the database is at the Alembic heads, the revision graph is sound and the schema matches its reference; pending revisions are judged by the migration preflight (locks, rewrites, the sessions they would wait behind); with --metrics, also unless error rate and P95 are under their critical thresholds.",
			flags: func(fs *flag.FlagSet) {
				fs.BoolVar(&chk.Metrics, "metrics", false, "also fail when the error rate or P95 latency is at or over its critical threshold (or cannot be read)")
				fs.StringVar(&chk.Format, "format", "text", "output format: text or json")
				fs.StringVar(&chk.Format, "f", "text", "shorthand for --format")
				fs.BoolVar(&chk.All, "all", false, "every configured environment; the exit code is the worst one's")
			},
			run: func(a *app, _ []string) error {
				if chk.Format != "json" && chk.Format != "text" {
					return usageError(fmt.Errorf("--format must be text or json, not %q", chk.Format))
				}
				if chk.All {
					return runChecks(a, chk)
				}
				return runCheck(a, chk)
			}},
		{path: "schema dump", summary: "Print the environment's database schema as JSON: a reference for schema_reference.",
			run: func(a *app, _ []string) error { return schemaDump(a) }},
		{path: "audit", summary: "List recent actions from the audit log ($XDG_STATE_HOME/opsdeck/audit.jsonl).",
			flags: func(fs *flag.FlagSet) { fs.IntVar(&auditLimit, "limit", 20, "how many entries") },
			run:   func(a *app, _ []string) error { return showAudit(a, auditLimit) }},
		{path: "dashboard lint", args: "FILE", summary: "Check a Grafana dashboard's Prometheus queries against the environment: exit 1 when one returns no series, naming the missing metric or label and the closest existing one.",
			run: func(a *app, args []string) error {
				if len(args) != 1 {
					return usageError(errors.New("dashboard lint takes one dashboard JSON file"))
				}
				return lintDashboard(a, args[0])
			}},
		{path: "config print", summary: "Print the merged configuration, secrets redacted.", run: func(a *app, _ []string) error { return printConfig(a) }},
		{path: "demo", summary: "Open the console against a self-contained sandbox (synthetic API, Prometheus, PostgreSQL, pgbouncer, Redis).",
			flags: func(fs *flag.FlagSet) {
				fs.BoolVar(&dm.Serve, "serve", false, "start the sandbox and print its config path instead of opening the console; stop with ctrl+c")
				fs.DurationVar(&dm.IncidentEvery, "incident-every", 5*time.Minute, "length of one incident cycle (an error spike, then a latency spike)")
			},
			run: func(a *app, _ []string) error { return runDemo(a, dm) }},
		{path: "version", summary: "Print the version.", run: func(a *app, _ []string) error { return printVersion(a) }},
		{path: "completion", args: "SHELL", summary: "Print the shell completion script for bash, zsh or fish (bash: source <(opsdeck completion bash)).",
			run: func(a *app, args []string) error {
				if len(args) != 1 {
					return usageError(errors.New("completion takes one shell: bash, zsh or fish"))
				}
				script, err := completionScript(args[0], a.lookupEnv)
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(a.stdout, script)
				return err
			}},
	}
}

// globalFlags defines the flags every command takes.
func globalFlags(fs *flag.FlagSet, c *cli, lookupEnv func(string) (string, bool)) {
	def := func(name string) string { v, _ := lookupEnv(name); return v }
	fs.StringVar(&c.ConfigFile, "config", def("OPSDECK_CONFIG"), "configuration `FILE` ($OPSDECK_CONFIG). Default: ./opsdeck.yaml, then $XDG_CONFIG_HOME/opsdeck/config.yaml;\nwith neither, one environment \"default\" is built from PROMETHEUS_URL (or METRICS_URL: direct /metrics mode), DATABASE_URL, REDIS_URL, ALEMBIC_DIR,\nALERTMANAGER_URL, JAEGER_URL and OTEL_SERVICE_NAME")
	fs.StringVar(&c.ConfigFile, "c", def("OPSDECK_CONFIG"), "shorthand for --config")
	fs.StringVar(&c.Env, "env", def("OPSDECK_ENV"), "environment `NAME` to open ($OPSDECK_ENV; default: the file's default_environment)")
	fs.StringVar(&c.Env, "e", def("OPSDECK_ENV"), "shorthand for --env")
	fs.DurationVar(&c.Refresh, "refresh", 0, "poll interval, e.g. 2s (overrides the file's refresh)")
	fs.DurationVar(&c.Window, "window", 0, "chart time window, e.g. 15m (overrides the file's window)")
	fs.BoolVar(&c.Readonly, "readonly", false, "disable every action (migrations, resets, runbook commands)")
	fs.BoolVar(&c.Overview, "overview", false, "open the console on the overview of every environment (o there)")
	fs.StringVar(&c.Dashboard, "grafana-dashboard", def("OPSDECK_GRAFANA_DASHBOARD"), "Grafana dashboard JSON `FILE` whose Prometheus panels become extra panes ($OPSDECK_GRAFANA_DASHBOARD; overrides the file's grafana_dashboard)")
	fs.StringVar(&c.Theme, "theme", "", "colour `THEME`: dark or light (overrides the file's theme; NO_COLOR drops colour)")
}

// parsed is a command line taken apart.
type parsed struct {
	cmd   *command
	named bool     // the command was typed (not the default)
	rest  []string // positional arguments after the command's words
	help  bool     // --help or -h
}

// parse finds the command and its flags in args.
func parse(args []string, c *cli, lookupEnv func(string) (string, bool)) (p parsed, err error) {
	cmds := commands()
	// Throwaway flag sets tell flags that take a value from boolean ones, so
	// that positional words can be told from flag values.
	takesValue := map[string]bool{}
	for _, cm := range cmds {
		flagSet(cm, &cli{}, lookupEnv).VisitAll(func(f *flag.Flag) { takesValue[f.Name] = !isBool(f) })
	}
	var flags, words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			words = append(words, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			words = append(words, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if name == "h" || name == "help" {
			p.help = true
			flags = flags[:len(flags)-1]
			continue
		}
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	// The longest run of leading words that names a command.
	p.cmd = cmds[0]
	taken := 0
	for _, cm := range cmds {
		w := strings.Fields(cm.path)
		if len(w) <= len(words) && slices.Equal(w, words[:len(w)]) && len(w) > taken {
			p.cmd, taken = cm, len(w)
		}
	}
	p.named, p.rest = taken > 0, words[taken:]
	if taken == 0 && len(words) > 0 {
		if words[0] == "config" {
			return p, errors.New("config needs a subcommand: config print")
		}
		if words[0] == "schema" {
			return p, errors.New("schema needs a subcommand: schema dump")
		}
		if words[0] == "dashboard" {
			return p, errors.New("dashboard needs a subcommand: dashboard lint FILE")
		}
		return p, fmt.Errorf("unknown command %q", words[0])
	}
	if len(p.rest) > 0 && p.cmd.args == "" {
		return p, fmt.Errorf("%s: unexpected argument %q", p.cmd.path, p.rest[0])
	}
	if err := flagSet(p.cmd, c, lookupEnv).Parse(flags); err != nil {
		// flag says "-name"; users type "--name".
		return p, errors.New(strings.Replace(err.Error(), " -", " --", 1))
	}
	return p, nil
}

func flagSet(cmd *command, c *cli, lookupEnv func(string) (string, bool)) *flag.FlagSet {
	fs := flag.NewFlagSet("opsdeck "+cmd.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	globalFlags(fs, c, lookupEnv)
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	return fs
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// usage is --help: for the whole program, or for one command.
func usage(w io.Writer, cmd *command, explicit bool, lookupEnv func(string) (string, bool)) {
	if !explicit {
		fmt.Fprintf(w, "Usage: opsdeck [flags] [command]\n\n%s\n\nCommands:\n", description)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range commands() {
			fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(c.path+" "+c.args), c.summary)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nFlags (every command):\n")
		printFlags(w, flagSet(&command{}, &cli{}, lookupEnv))
		fmt.Fprintf(w, "\nRun 'opsdeck COMMAND --help' for a command's own flags.\n")
		return
	}
	fmt.Fprintf(w, "Usage: opsdeck %s [flags]\n\n%s\n\nFlags:\n", strings.TrimSpace(cmd.path+" "+cmd.args), cmd.summary)
	printFlags(w, flagSet(cmd, &cli{}, lookupEnv))
}

// printFlags lists flags as --name, with one-letter aliases folded in.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	short := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			short[strings.TrimPrefix(f.Usage, "shorthand for --")] = f.Name
		}
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			return
		}
		kind, text := flag.UnquoteUsage(f)
		name := "--" + f.Name
		if s, ok := short[f.Name]; ok {
			name = "-" + s + ", " + name
		}
		if kind != "" {
			name += " " + kind
		}
		text = strings.ReplaceAll(text, "\n", "\n\t  ")
		if f.DefValue != "" && f.DefValue != "0s" && f.DefValue != "false" {
			text += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, text)
	})
	tw.Flush()
}
