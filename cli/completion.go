package cli

import (
	"flag"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/opsdeck/opsdeck/config"
)

// completionScript is a shell's completion for opsdeck, generated from the
// command table and the flag sets that --help reads, so that the three
// cannot disagree.
func completionScript(shell string, lookupEnv func(string) (string, bool)) (string, error) {
	// Each command path ("" for the top level) and the words that may follow it.
	next := map[string][]string{}
	flags := map[string][]string{} // by command path: its flags, global ones included
	var valued []string            // flags that take a value (the next word is not a command)
	summary := map[string]string{}
	for _, c := range commands() {
		words := strings.Fields(c.path)
		for i := range words {
			parent := strings.Join(words[:i], " ")
			if !slices.Contains(next[parent], words[i]) {
				next[parent] = append(next[parent], words[i])
			}
		}
		summary[c.path] = c.summary
		flagSet(c, &cli{}, lookupEnv).VisitAll(func(f *flag.Flag) {
			name := "--" + f.Name
			if len(f.Name) == 1 {
				name = "-" + f.Name
			}
			flags[c.path] = append(flags[c.path], name)
			if !isBool(f) && !slices.Contains(valued, name) {
				valued = append(valued, name)
			}
		})
	}
	// Arguments known without a configuration: the shells, and the built-in
	// actions (a configuration's own commands are its to know).
	next["completion"] = []string{"bash", "zsh", "fish"}
	next["run"] = slices.Clone(config.BuiltinActions)
	flagSet(&command{}, &cli{}, lookupEnv).VisitAll(func(f *flag.Flag) {
		if len(f.Name) > 1 {
			flags[""] = append(flags[""], "--"+f.Name)
		}
	})
	paths := make([]string, 0, len(next)+len(flags))
	for p := range flags {
		paths = append(paths, p)
	}
	for p := range next {
		if _, ok := flags[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	sort.Strings(valued)
	switch shell {
	case "bash", "zsh":
		var b strings.Builder
		if shell == "zsh" {
			b.WriteString("#compdef opsdeck\n# zsh completion for opsdeck: the bash one, through bashcompinit.\nautoload -U +X bashcompinit && bashcompinit\n")
		} else {
			b.WriteString("# bash completion for opsdeck: source <(opsdeck completion bash)\n")
		}
		b.WriteString("_opsdeck() {\n  local cur=\"${COMP_WORDS[COMP_CWORD]}\" cmd=\"\" i skip=\"\"\n")
		b.WriteString("  for ((i = 1; i < COMP_CWORD; i++)); do\n    local w=\"${COMP_WORDS[i]}\"\n")
		b.WriteString("    if [[ -n $skip ]]; then skip=\"\"; continue; fi\n    case \"$w\" in\n")
		fmt.Fprintf(&b, "      %s) skip=1 ;;\n", strings.Join(valued, "|"))
		b.WriteString("      -*) ;;\n      *) cmd=\"${cmd:+$cmd }$w\" ;;\n    esac\n  done\n  local opts=\"\"\n  case \"$cmd\" in\n")
		for _, p := range paths {
			fmt.Fprintf(&b, "    %q) opts=%q ;;\n", p, strings.Join(append(slices.Clone(next[p]), flags[p]...), " "))
		}
		b.WriteString("  esac\n  COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n}\ncomplete -F _opsdeck opsdeck\n")
		return b.String(), nil
	case "fish":
		var b strings.Builder
		b.WriteString("# fish completion for opsdeck: opsdeck completion fish > ~/.config/fish/completions/opsdeck.fish\ncomplete -c opsdeck -f\n")
		for _, p := range paths {
			cond := "__fish_use_subcommand"
			if p != "" {
				cond = "__fish_seen_subcommand_from " + strings.Fields(p)[len(strings.Fields(p))-1]
			}
			for _, w := range next[p] {
				desc := summary[strings.TrimSpace(p+" "+w)]
				if i := strings.IndexAny(desc, ".:;("); i > 0 {
					desc = strings.TrimSpace(desc[:i])
				}
				fmt.Fprintf(&b, "complete -c opsdeck -n %q -a %q -d %q\n", cond, w, desc)
			}
			for _, f := range flags[p] {
				if strings.HasPrefix(f, "--") {
					req := ""
					if slices.Contains(valued, f) {
						req = " -r"
					}
					fmt.Fprintf(&b, "complete -c opsdeck -n %q -l %s%s\n", cond, strings.TrimPrefix(f, "--"), req)
				}
			}
		}
		return b.String(), nil
	}
	return "", usageError(fmt.Errorf("completion for %q: the shells are bash, zsh and fish", shell))
}
