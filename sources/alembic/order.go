package alembic

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opsdeck/opsdeck/sources"
)

// downOf is a revision's down revisions and the dependencies not already
// reached through them (Alembic's _normalized_down_revisions).
func (g *Graph) downOf(id string) []string {
	r := g.Revisions[id]
	out := make([]string, 0, len(r.Down)+len(r.DependsOn))
	for _, d := range r.Down {
		if _, ok := g.Revisions[d]; ok && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(r.DependsOn) == 0 {
		return out
	}
	through := g.ancestors(out)
	for _, dep := range r.DependsOn {
		if t := g.resolve(dep); t != "" && !through[t] && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// ancestors is every revision reachable down from ids, ids included.
func (g *Graph) ancestors(ids []string) map[string]bool {
	seen := map[string]bool{}
	stack := append([]string(nil), ids...)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] || g.Revisions[id] == nil {
			continue
		}
		seen[id] = true
		stack = append(stack, g.downOf(id)...)
	}
	return seen
}

// topological orders todo newest first, as Alembic's _topological_sort does
// (a port: the same walk, the same tie-breaking by load order).
func (g *Graph) topological(todo map[string]bool, heads []string) []string {
	index := map[string]int{}
	for i, id := range g.Order {
		index[id] = i
	}
	var current []string
	for _, h := range heads {
		if todo[h] && !slices.Contains(current, h) {
			current = append(current, h)
		}
	}
	slices.SortFunc(current, func(a, b string) int { return index[a] - index[b] })
	anc := make([]map[string]bool, len(current))
	for i, h := range current {
		anc[i] = g.ancestors([]string{h})
	}
	left := map[string]bool{}
	for id := range todo {
		left[id] = true
	}
	var out []string
	idx := 0
	for guard := 0; len(current) > 0 && guard < 10*len(g.Order)*len(g.Order)+100; guard++ {
		cand := current[idx]
		moved := false
		for j, a := range anc {
			if j != idx && a[cand] {
				idx, moved = j, true
				break
			}
		}
		if moved {
			continue
		}
		if left[cand] {
			out = append(out, cand)
			delete(left, cand)
		}
		var add []string
		for _, d := range g.downOf(cand) {
			if left[d] && !slices.Contains(current, d) {
				add = append(add, d)
			}
		}
		if len(add) == 0 {
			current = slices.Delete(current, idx, idx+1)
			anc = slices.Delete(anc, idx, idx+1)
			idx = max(idx-1, 0)
			continue
		}
		r := g.Revisions[cand]
		if len(r.DependsOn) == 0 && len(r.Down) == 1 {
			current[idx] = add[0]
			delete(anc[idx], cand)
		} else {
			current[idx] = add[0]
			current = append(current, add[1:]...)
			anc[idx] = g.ancestors([]string{add[0]})
			for _, h := range add[1:] {
				anc = append(anc, g.ancestors([]string{h}))
			}
		}
	}
	return out
}

// History is every revision newest first, as `alembic history` lists them.
func (g *Graph) History() []string {
	all := map[string]bool{}
	for _, id := range g.Order {
		all[id] = true
	}
	return g.topological(all, g.Heads)
}

// Pending is what `alembic upgrade heads` would apply to a database at
// current, in the order it would apply them. An unknown current revision is
// an error (Alembic refuses too).
func (g *Graph) Pending(current []string) ([]sources.Revision, error) {
	for _, c := range current {
		if g.Revisions[c] == nil {
			return nil, fmt.Errorf("the database is at %s, which no migration file declares", c)
		}
	}
	need := g.ancestors(g.Heads)
	for id := range g.ancestors(current) {
		delete(need, id)
	}
	order := g.topological(need, g.Heads)
	slices.Reverse(order)
	out := make([]sources.Revision, 0, len(order))
	for _, id := range order {
		out = append(out, *g.Revisions[id])
	}
	return out, nil
}

// Resolve turns a revision id, a unique prefix of one or a branch label
// into a revision id, as `alembic upgrade REV` reads its argument.
func (g *Graph) Resolve(ref string) (string, error) {
	if id := g.resolve(ref); id != "" {
		return id, nil
	}
	var found []string
	for _, id := range g.Order {
		if len(ref) >= 4 && strings.HasPrefix(id, ref) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("no revision %s in the project", ref)
	}
	return "", fmt.Errorf("%s is a prefix of several revisions (%s)", ref, strings.Join(found, ", "))
}

// PendingTo is what `alembic upgrade TARGET` would apply for each target
// in turn to a database at current, in the order it would apply them:
// the targets and their ancestors the database has not reached.
func (g *Graph) PendingTo(current, targets []string) ([]sources.Revision, error) {
	for _, c := range current {
		if g.Revisions[c] == nil {
			return nil, fmt.Errorf("the database is at %s, which no migration file declares", c)
		}
	}
	for _, t := range targets {
		if g.Revisions[t] == nil {
			return nil, fmt.Errorf("no revision %s in the project", t)
		}
	}
	need := g.ancestors(targets)
	for id := range g.ancestors(current) {
		delete(need, id)
	}
	order := g.topological(need, targets)
	slices.Reverse(order)
	out := make([]sources.Revision, 0, len(order))
	for _, id := range order {
		out = append(out, *g.Revisions[id])
	}
	return out, nil
}
