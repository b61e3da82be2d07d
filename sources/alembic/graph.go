package alembic

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/opsdeck/opsdeck/internal/safefile"
	"github.com/opsdeck/opsdeck/sources"
)

// Graph is a project's revisions and what is wrong with them.
type Graph struct {
	// Dirs are the version directories read.
	Dirs []string
	// Support are the files beside the revisions that decide what an
	// upgrade runs (the configuration file, env.py), by path, each with
	// its SHA-256 ("" when missing).
	Support map[string]string
	// Order is every revision id in the order Alembic loads them (directory
	// order, as os.listdir gives it): it breaks ties between branches.
	Order     []string
	Revisions map[string]*sources.Revision
	Heads     []string
	Bases     []string
	// BranchPoints have several children; MergePoints several parents.
	BranchPoints, MergePoints []string
	Problems                  []sources.Problem

	children map[string][]string
	labels   map[string]string // branch label -> revision
}

// Bounds on what a project may hold: far above any real one, far below
// what would hang the console or fill its memory.
const (
	maxRevisionFile = 1 << 20
	maxProjectFiles = 20_000
)

// Load reads the project at dir: a directory holding alembic.ini (its
// script_location and version_locations), a script directory (env.py and
// versions/), or a versions directory itself. Sub-folders are walked, each
// directory once however many links lead to it; only regular files are
// read, each up to maxRevisionFile; the rest is reported as problems. ctx
// ends the walk.
func Load(ctx context.Context, dir string) (*Graph, error) {
	l, err := versionDirs(dir)
	if err != nil {
		return nil, err
	}
	g := &Graph{Dirs: l.dirs, Support: map[string]string{}}
	for _, f := range l.support {
		g.Support[f] = digestOf(f)
	}
	if l.sourceless {
		g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityCritical, File: l.ini,
			Message: "sourceless = true: Alembic also loads revisions from .pyc files, which opsdeck cannot read; what an upgrade applies is not known"})
	}
	var revs []sources.Revision
	w := &walker{ctx: ctx, seenDir: map[fileID]bool{}, seenFile: map[fileID]bool{}, recursive: l.recursive}
	w.problem = func(path, msg string) {
		g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityWarning, File: path, Message: msg})
	}
	for _, d := range l.dirs {
		err := w.walk(d, func(path string, src []byte) {
			rev, ok, problems := ParseFile(path, src)
			g.Problems = append(g.Problems, problems...)
			if ok {
				sum := sha256.Sum256(src)
				rev.Digest = hex.EncodeToString(sum[:])
				revs = append(revs, rev)
			} else if len(problems) == 0 {
				g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityWarning, File: path,
					Message: fmt.Sprintf("%s declares no revision: not a migration, or a broken one (Alembic refuses to load it)", path)})
			}
		})
		if err != nil {
			return nil, err
		}
	}
	g.build(revs)
	return g, nil
}

// fileID is a file's identity, whatever path or link led to it.
type fileID struct{ dev, ino uint64 }

func idOf(st os.FileInfo) (fileID, bool) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(sys.Dev), sys.Ino}, true
}

type walker struct {
	ctx               context.Context
	seenDir, seenFile map[fileID]bool
	files             int
	problem           func(path, msg string)
	// recursive: sub-folders are read too (recursive_version_locations).
	recursive bool
}

// walk calls fn for every .py file Alembic loads as a revision in dir, in
// directory order (as Alembic lists them): every name ending in .py but
// __init__ and editor files (.#), hidden ones included; sub-folders after
// the files of their parent, where Alembic reads them.
func (w *walker) walk(dir string, fn func(path string, src []byte)) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if id, ok := idOf(st); ok {
		if w.seenDir[id] {
			return nil // a link back to a directory already walked
		}
		w.seenDir[id] = true
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1) // directory order, like os.listdir
	f.Close()
	if err != nil {
		return err
	}
	var subdirs []string
	for _, n := range names {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, n)
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if st.IsDir() {
			if w.recursive && n != "__pycache__" {
				subdirs = append(subdirs, p)
			}
			continue
		}
		if !strings.HasSuffix(n, ".py") || strings.HasPrefix(n, "__init__") || strings.HasPrefix(n, ".#") {
			continue
		}
		if w.files++; w.files > maxProjectFiles {
			w.problem(p, fmt.Sprintf("more than %d files: the rest is not read", maxProjectFiles))
			return nil
		}
		if id, ok := idOf(st); ok {
			if w.seenFile[id] {
				continue
			}
			w.seenFile[id] = true
		}
		src, err := safefile.Read(p, maxRevisionFile)
		if err != nil {
			w.problem(p, fmt.Sprintf("%s: %v: not read", p, err))
			continue
		}
		fn(p, src)
	}
	for _, s := range subdirs {
		if err := w.walk(s, fn); err != nil {
			return err
		}
	}
	return nil
}

// layout is where a project's revision files are, and what else decides
// what an upgrade runs.
type layout struct {
	dirs       []string
	ini        string
	support    []string // the configuration file, env.py
	recursive  bool     // recursive_version_locations
	sourceless bool
}

// versionDirs finds where the revision files are: dir is a configuration
// file, a directory holding alembic.ini, a script directory (env.py and
// versions/), or a versions directory itself.
func versionDirs(dir string) (layout, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return layout{}, fmt.Errorf("alembic directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		if filepath.Base(dir) == "alembic.ini" || strings.HasSuffix(dir, ".ini") {
			return fromIni(dir)
		}
		return layout{}, fmt.Errorf("alembic directory %s is not a directory", dir)
	}
	if ini := filepath.Join(dir, "alembic.ini"); exists(ini) {
		return fromIni(ini)
	}
	if exists(filepath.Join(dir, "env.py")) && exists(filepath.Join(dir, "versions")) {
		return layout{dirs: []string{filepath.Join(dir, "versions")}, support: []string{filepath.Join(dir, "env.py")}}, nil
	}
	if v := filepath.Join(dir, "alembic", "versions"); exists(v) {
		return layout{dirs: []string{v}, support: []string{filepath.Join(dir, "alembic", "env.py")}}, nil
	}
	return layout{dirs: []string{dir}}, nil // the versions directory itself
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// digestOf is the SHA-256 of the file at path ("" when it cannot be read).
func digestOf(path string) string {
	src, err := safefile.Read(path, maxRevisionFile)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// iniValues are the [alembic] section's settings of the file at path.
func iniValues(path string) (map[string]string, error) {
	data, err := safefile.Read(path, maxRevisionFile)
	if err != nil {
		return nil, err
	}
	vals := map[string]string{}
	section := ""
	var last string
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";"):
			continue
		case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
			section = strings.TrimSpace(t[1 : len(t)-1])
			continue
		}
		if section != "alembic" {
			continue
		}
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && last != "" {
			vals[last] += " " + t // a continuation line
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		last = strings.TrimSpace(k)
		vals[last] = strings.TrimSpace(v)
	}
	return vals, nil
}

// fromIni reads script_location, version_locations and how they are read
// from [alembic].
func fromIni(path string) (layout, error) {
	vals, err := iniValues(path)
	if err != nil {
		return layout{}, err
	}
	here := filepath.Dir(path)
	expand := func(s string) string {
		s = strings.ReplaceAll(s, "%(here)s", here)
		if !filepath.IsAbs(s) {
			s = filepath.Join(here, s)
		}
		return s
	}
	loc := vals["script_location"]
	if loc == "" {
		return layout{}, fmt.Errorf("%s: no script_location in [alembic]", path)
	}
	if strings.Contains(loc, ":") && !strings.Contains(loc, "/") {
		return layout{}, fmt.Errorf("%s: script_location %q is a Python package; set alembic.dir to its directory", path, loc)
	}
	truth := func(k string) bool {
		return slices.Contains([]string{"true", "yes", "on", "1"}, strings.ToLower(vals[k]))
	}
	l := layout{ini: path, support: []string{path, filepath.Join(expand(loc), "env.py")},
		recursive: truth("recursive_version_locations"), sourceless: truth("sourceless")}
	if vl := vals["version_locations"]; vl != "" {
		sep := vals["version_path_separator"]
		var parts []string
		switch sep {
		case "", "space":
			parts = strings.FieldsFunc(vl, func(r rune) bool { return r == ' ' || r == ',' })
		case "os":
			parts = strings.Split(vl, string(os.PathListSeparator))
		case "newline":
			parts = strings.Fields(vl)
		default:
			parts = strings.Split(vl, sep)
		}
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				l.dirs = append(l.dirs, expand(p))
			}
		}
		return l, nil
	}
	l.dirs = []string{filepath.Join(expand(loc), "versions")}
	return l, nil
}

// build links revisions and records the graph's problems.
func (g *Graph) build(revs []sources.Revision) {
	g.Revisions = map[string]*sources.Revision{}
	g.children = map[string][]string{}
	g.labels = map[string]string{}
	for i := range revs {
		r := &revs[i]
		if prev, dup := g.Revisions[r.ID]; dup {
			g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityCritical, File: r.File,
				Message: fmt.Sprintf("revision %s is declared twice (%s and %s): Alembic refuses to load the project; renumber one", r.ID, filepath.Base(prev.File), filepath.Base(r.File))})
			continue
		}
		g.Revisions[r.ID] = r
		g.Order = append(g.Order, r.ID)
		for _, l := range r.BranchLabels {
			g.labels[l] = r.ID
		}
	}
	referenced := map[string]bool{}
	for _, id := range g.Order {
		r := g.Revisions[id]
		for _, d := range r.Down {
			if _, ok := g.Revisions[d]; !ok {
				g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityCritical, File: r.File,
					Message: fmt.Sprintf("revision %s has down_revision %s, which no file declares: a migration file is missing or was renamed", id, d)})
				continue
			}
			g.children[d] = append(g.children[d], id)
			referenced[d] = true
		}
		for _, dep := range r.DependsOn {
			if t := g.resolve(dep); t != "" {
				referenced[t] = true
			} else {
				g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityCritical, File: r.File,
					Message: fmt.Sprintf("revision %s depends on %s, which is not a known revision or branch label", id, dep)})
			}
		}
	}
	for _, id := range g.Order {
		r := g.Revisions[id]
		if !referenced[id] {
			g.Heads = append(g.Heads, id)
		}
		if len(r.Down) == 0 {
			g.Bases = append(g.Bases, id)
		}
		if len(g.children[id]) > 1 {
			g.BranchPoints = append(g.BranchPoints, id)
		}
		if len(r.Down) > 1 {
			g.MergePoints = append(g.MergePoints, id)
		}
	}
	if cycle := g.cycle(); cycle != nil {
		g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityCritical,
			Message: "revisions form a cycle: " + strings.Join(cycle, " -> ") + "; Alembic cannot order them"})
	}
	if len(g.Heads) > 1 {
		g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityWarning,
			Message: fmt.Sprintf("%d heads (%s): `alembic upgrade head` will fail; merge them with `alembic merge heads -m \"merge\"`, or deploy with `alembic upgrade heads`", len(g.Heads), strings.Join(g.Heads, ", "))})
	}
	if len(g.Revisions) > 0 && len(g.Heads) == 0 {
		g.Problems = append(g.Problems, sources.Problem{Severity: sources.SeverityCritical, Message: "no head revision: the graph is circular"})
	}
}

// resolve turns a revision id or branch label into a revision id.
func (g *Graph) resolve(ref string) string {
	if _, ok := g.Revisions[ref]; ok {
		return ref
	}
	if id, ok := g.labels[ref]; ok {
		return id
	}
	return ""
}

// cycle returns one cycle through down revisions, or nil.
func (g *Graph) cycle() []string {
	state := map[string]int{} // 1 visiting, 2 done
	var stack []string
	var found []string
	var visit func(id string) bool
	visit = func(id string) bool {
		switch state[id] {
		case 1:
			i := slices.Index(stack, id)
			found = append(append([]string(nil), stack[i:]...), id)
			return true
		case 2:
			return false
		}
		state[id] = 1
		stack = append(stack, id)
		for _, d := range g.Revisions[id].Down {
			if _, ok := g.Revisions[d]; ok && visit(d) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = 2
		return false
	}
	ids := append([]string(nil), g.Order...)
	sort.Strings(ids)
	for _, id := range ids {
		if visit(id) {
			return found
		}
	}
	return nil
}
