package drift

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/opsdeck/opsdeck/sources"
)

// Kinds of difference, as the snapshot spells them. "missing" means the
// reference has it and the live database does not; "extra" the reverse.
const (
	TableMissing      = "table_missing"
	TableExtra        = "table_extra"
	ColumnMissing     = "column_missing"
	ColumnExtra       = "column_extra"
	ColumnType        = "column_type"
	ColumnNullability = "column_nullability"
	ColumnDefault     = "column_default"
	IndexMissing      = "index_missing"
	IndexExtra        = "index_extra"
	IndexChanged      = "index_changed"
	ConstraintMissing = "constraint_missing"
	ConstraintExtra   = "constraint_extra"
	ConstraintChanged = "constraint_changed"
	ExtensionMissing  = "extension_missing"
	ExtensionExtra    = "extension_extra"
	ExtensionVersion  = "extension_version"
	SequenceMissing   = "sequence_missing"
	SequenceExtra     = "sequence_extra"
)

// Diff lists how live differs from ref in an order its SQL can run in:
// extensions first (a missing pgvector explains every vector column after
// it), then new sequences, then tables in name order, then extra sequences.
func Diff(live, ref sources.Schema) []sources.Difference {
	var out []sources.Difference
	add := func(kind, object, detail, sql string, hazardous bool) {
		out = append(out, sources.Difference{Kind: kind, Object: object, Detail: detail, SQL: sql, Hazardous: hazardous})
	}

	liveExt := map[string]string{}
	for _, e := range live.Extensions {
		liveExt[e.Name] = e.Version
	}
	refExt := map[string]string{}
	for _, e := range ref.Extensions {
		refExt[e.Name] = e.Version
		v, ok := liveExt[e.Name]
		switch {
		case !ok:
			add(ExtensionMissing, e.Name, "extension "+e.Name+" "+e.Version+" is not installed", "CREATE EXTENSION IF NOT EXISTS "+ident(e.Name)+";", false)
		case v != e.Version:
			add(ExtensionVersion, e.Name, fmt.Sprintf("extension %s is %s, the reference has %s", e.Name, v, e.Version),
				fmt.Sprintf("ALTER EXTENSION %s UPDATE TO %s;", ident(e.Name), literal(e.Version)), false)
		}
	}
	for _, e := range live.Extensions {
		if _, ok := refExt[e.Name]; !ok {
			add(ExtensionExtra, e.Name, "extension "+e.Name+" is not in the reference", "DROP EXTENSION "+ident(e.Name)+";", true)
		}
	}

	// Sequences before tables (a missing table's serial column needs its
	// sequence); extra ones are dropped after the tables that use them.
	liveSeq := map[string]bool{}
	for _, s := range live.Sequences {
		liveSeq[s] = true
	}
	refSeq := map[string]bool{}
	for _, s := range ref.Sequences {
		refSeq[s] = true
		if !liveSeq[s] {
			add(SequenceMissing, s, "sequence "+s+" does not exist", "CREATE SEQUENCE "+qualified(s)+";", false)
		}
	}

	liveTables := map[string]*sources.Table{}
	for i := range live.Tables {
		liveTables[live.Tables[i].Name] = &live.Tables[i]
	}
	refTables := map[string]bool{}
	for i := range ref.Tables {
		rt := &ref.Tables[i]
		refTables[rt.Name] = true
		lt, ok := liveTables[rt.Name]
		if !ok {
			add(TableMissing, rt.Name, fmt.Sprintf("table %s (%d columns) does not exist", rt.Name, len(rt.Columns)), createTable(rt), false)
			continue
		}
		out = append(out, diffTable(lt, rt)...)
	}
	for _, t := range live.Tables {
		if !refTables[t.Name] {
			add(TableExtra, t.Name, "table "+t.Name+" is not in the reference", "DROP TABLE "+qualified(t.Name)+";", true)
		}
	}
	for _, s := range live.Sequences {
		if !refSeq[s] {
			add(SequenceExtra, s, "sequence "+s+" is not in the reference", "DROP SEQUENCE "+qualified(s)+";", true)
		}
	}

	return out
}

func diffTable(live, ref *sources.Table) []sources.Difference {
	var out []sources.Difference
	t := qualified(ref.Name)
	add := func(kind, object, detail, sql string, hazardous bool) {
		out = append(out, sources.Difference{Kind: kind, Object: object, Detail: detail, SQL: sql, Hazardous: hazardous})
	}
	liveCols := map[string]sources.Column{}
	for _, c := range live.Columns {
		liveCols[c.Name] = c
	}
	refCols := map[string]bool{}
	for _, rc := range ref.Columns {
		refCols[rc.Name] = true
		obj := ref.Name + "." + rc.Name
		lc, ok := liveCols[rc.Name]
		if !ok {
			add(ColumnMissing, obj, "column "+obj+" "+rc.Type+" does not exist", "ALTER TABLE "+t+" ADD COLUMN "+columnDef(rc)+";", false)
			continue
		}
		if lc.Type != rc.Type {
			add(ColumnType, obj, fmt.Sprintf("column %s is %s, the reference has %s", obj, lc.Type, rc.Type),
				fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s;", t, ident(rc.Name), rc.Type, ident(rc.Name), rc.Type), true)
		}
		if lc.NotNull != rc.NotNull {
			if rc.NotNull {
				add(ColumnNullability, obj, "column "+obj+" allows NULL, the reference has NOT NULL",
					fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;", t, ident(rc.Name)), false)
			} else {
				add(ColumnNullability, obj, "column "+obj+" is NOT NULL, the reference allows NULL",
					fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL;", t, ident(rc.Name)), false)
			}
		}
		if lc.Default != rc.Default {
			detail := fmt.Sprintf("column %s defaults to %s, the reference to %s", obj, orNone(lc.Default), orNone(rc.Default))
			if rc.Default == "" {
				add(ColumnDefault, obj, detail, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;", t, ident(rc.Name)), false)
			} else {
				add(ColumnDefault, obj, detail, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;", t, ident(rc.Name), rc.Default), false)
			}
		}
	}
	for _, lc := range live.Columns {
		if !refCols[lc.Name] {
			obj := ref.Name + "." + lc.Name
			add(ColumnExtra, obj, "column "+obj+" is not in the reference", "ALTER TABLE "+t+" DROP COLUMN "+ident(lc.Name)+";", true)
		}
	}

	// Indexes by name; the definition names the index, which both sides share.
	liveIdx := map[string]sources.Index{}
	for _, i := range live.Indexes {
		liveIdx[i.Name] = i
	}
	refIdx := map[string]bool{}
	for _, ri := range ref.Indexes {
		refIdx[ri.Name] = true
		li, ok := liveIdx[ri.Name]
		switch {
		case !ok:
			add(IndexMissing, ri.Name, "index "+ri.Name+" on "+ref.Name+" does not exist: "+ri.Definition, ri.Definition+";", false)
		case li.Definition != ri.Definition:
			add(IndexChanged, ri.Name, fmt.Sprintf("index %s is %q, the reference has %q", ri.Name, li.Definition, ri.Definition),
				"DROP INDEX "+qualifiedIn(ref.Name, ri.Name)+";\n"+ri.Definition+";", true)
		}
	}
	for _, li := range live.Indexes {
		if !refIdx[li.Name] {
			add(IndexExtra, li.Name, "index "+li.Name+" on "+ref.Name+" is not in the reference", "DROP INDEX "+qualifiedIn(ref.Name, li.Name)+";", true)
		}
	}

	// Constraints by name, then unmatched ones by definition (names generated
	// by different tools differ while the constraint is the same).
	liveCon := map[string]sources.Constraint{}
	for _, c := range live.Constraints {
		liveCon[c.Name] = c
	}
	matched := map[string]bool{}
	var missing []sources.Constraint
	for _, rc := range ref.Constraints {
		if lc, ok := liveCon[rc.Name]; ok {
			matched[rc.Name] = true
			if lc.Definition != rc.Definition {
				add(ConstraintChanged, ref.Name+"."+rc.Name, fmt.Sprintf("%s constraint %s is %q, the reference has %q", rc.Kind, rc.Name, lc.Definition, rc.Definition),
					fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;\nALTER TABLE %s ADD CONSTRAINT %s %s;", t, ident(rc.Name), t, ident(rc.Name), rc.Definition), true)
			}
			continue
		}
		missing = append(missing, rc)
	}
	for _, rc := range missing {
		found := false
		for _, lc := range live.Constraints {
			if !matched[lc.Name] && lc.Definition == rc.Definition {
				matched[lc.Name], found = true, true
				break
			}
		}
		if !found {
			add(ConstraintMissing, ref.Name+"."+rc.Name, fmt.Sprintf("%s constraint %s does not exist: %s", rc.Kind, rc.Name, rc.Definition),
				fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s;", t, ident(rc.Name), rc.Definition), false)
		}
	}
	for _, lc := range live.Constraints {
		if !matched[lc.Name] {
			add(ConstraintExtra, ref.Name+"."+lc.Name, fmt.Sprintf("%s constraint %s is not in the reference: %s", lc.Kind, lc.Name, lc.Definition),
				fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;", t, ident(lc.Name)), true)
		}
	}
	return out
}

// createTable writes the reference table's CREATE TABLE with its constraints
// and indexes.
func createTable(t *sources.Table) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (\n", qualified(t.Name))
	parts := make([]string, 0, len(t.Columns)+len(t.Constraints))
	for _, c := range t.Columns {
		parts = append(parts, "    "+columnDef(c))
	}
	cons := append([]sources.Constraint(nil), t.Constraints...)
	sort.SliceStable(cons, func(i, j int) bool { return cons[i].Kind == "primary key" && cons[j].Kind != "primary key" })
	for _, c := range cons {
		parts = append(parts, "    CONSTRAINT "+ident(c.Name)+" "+c.Definition)
	}
	b.WriteString(strings.Join(parts, ",\n") + "\n);")
	for _, i := range t.Indexes {
		b.WriteString("\n" + i.Definition + ";")
	}
	return b.String()
}

func columnDef(c sources.Column) string {
	s := ident(c.Name) + " " + c.Type
	if c.Default != "" {
		s += " DEFAULT " + c.Default
	}
	if c.NotNull {
		s += " NOT NULL"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ident quotes an identifier when PostgreSQL needs it quoted.
func ident(s string) string {
	if plainIdent.MatchString(s) && !reserved[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reserved are the keywords that names in Origin-like schemas collide with.
var reserved = map[string]bool{"user": true, "order": true, "group": true, "table": true, "select": true, "from": true,
	"where": true, "default": true, "check": true, "primary": true, "references": true, "limit": true, "offset": true,
	"column": true, "constraint": true, "index": true, "to": true, "end": true}

// qualified quotes a possibly schema-qualified name ("audit.log").
func qualified(name string) string {
	if schema, rel, ok := strings.Cut(name, "."); ok {
		return ident(schema) + "." + ident(rel)
	}
	return ident(name)
}

// qualifiedIn names an index in its table's schema.
func qualifiedIn(table, index string) string {
	if schema, _, ok := strings.Cut(table, "."); ok {
		return ident(schema) + "." + ident(index)
	}
	return ident(index)
}

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
