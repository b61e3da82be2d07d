package snapshot

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/opsdeck/opsdeck/sources"
)

// SchemaDrift is the live schema against the reference; error alone when
// there is no reference or the comparison failed.
type SchemaDrift struct {
	Reference   string               `json:"reference,omitempty"`
	Differences []sources.Difference `json:"differences,omitempty"`
	Error       string               `json:"error,omitempty"`
	configured  bool
}

func driftSource() Source {
	return Source{Name: "drift", Key: "schema_drift", Gate: GateAlways,
		configured: func(env *sources.Environment) bool { return isSet(env.Drift) },
		read: func(ctx context.Context, r *reading) {
			r.doc.SchemaDrift = compareSchema(ctx, r.env, r.depth == Full)
		},
		section: func(d *Document) Section { return d.SchemaDrift }}
}

// compareSchema compares the live schema with its reference; fresh: now,
// not a comparison of the last minutes.
func compareSchema(ctx context.Context, env *sources.Environment, fresh bool) SchemaDrift {
	if env.Drift.Source == nil {
		return SchemaDrift{Error: notConfigured(cmp.Or(env.Drift.Problem, "no schema reference: set schema_reference to another environment or a file from `opsdeck schema dump`"))}
	}
	d := env.Drift.Source.Compare(ctx, fresh)
	out := SchemaDrift{Reference: d.Reference, Differences: d.Differences, Error: env.Scrubber.String(d.Error), configured: true}
	if out.Error == "" && out.Differences == nil {
		out.Differences = []sources.Difference{}
	}
	return out
}

func (s SchemaDrift) Down() string {
	if s.configured {
		return s.Error
	}
	return ""
}

func (s SchemaDrift) Text(b *strings.Builder) {
	switch {
	case s.Error != "":
		fmt.Fprintf(b, "Schema: not compared (%s)\n", s.Error)
	case len(s.Differences) == 0:
		fmt.Fprintf(b, "Schema: equal to %s\n", s.Reference)
	default:
		fmt.Fprintf(b, "Schema: %d difference(s) from %s\n", len(s.Differences), s.Reference)
		for _, d := range s.Differences {
			fmt.Fprintf(b, "  %s\n", d.Detail)
		}
	}
}

func (s SchemaDrift) Markdown(b *strings.Builder) {
	b.WriteString("## Schema drift\n\n")
	switch {
	case s.Error != "":
		fmt.Fprintf(b, "Not compared: %s\n\n", s.Error)
	case len(s.Differences) == 0:
		fmt.Fprintf(b, "Equal to %s.\n\n", s.Reference)
	default:
		fmt.Fprintf(b, "%d difference(s) from %s:\n\n", len(s.Differences), s.Reference)
		for _, d := range s.Differences {
			mark := ""
			if d.Hazardous {
				mark = " ⚠️ hazardous to mend"
			}
			fmt.Fprintf(b, "- %s%s\n", d.Detail, mark)
		}
		b.WriteString("\n")
	}
}

func (s SchemaDrift) hazardous() int {
	n := 0
	for _, x := range s.Differences {
		if x.Hazardous {
			n++
		}
	}
	return n
}

func (s SchemaDrift) Cells() []Cell {
	switch {
	case !s.configured:
		return []Cell{{Text: "drift –"}}
	case s.Error != "":
		return []Cell{{Text: "drift unknown", Status: sources.StatusError}}
	case s.hazardous() > 0:
		return []Cell{{Text: fmt.Sprintf("%d differences (%d hazardous)", len(s.Differences), s.hazardous()), Status: sources.StatusCrit}}
	case len(s.Differences) > 0:
		return []Cell{{Text: fmt.Sprintf("%d differences", len(s.Differences)), Status: sources.StatusWarn}}
	}
	return []Cell{{Text: "schema equal", Status: sources.StatusOK}}
}

// Findings: every difference, and a comparison that could not be made.
func (s SchemaDrift) Findings() []Finding {
	if !s.configured {
		return nil
	}
	if s.Error != "" {
		return []Finding{{Level: sources.StatusCrit, Text: "the schema could not be compared with " + s.Reference + ": " + s.Error}}
	}
	out := make([]Finding, 0, len(s.Differences))
	for _, x := range s.Differences {
		lvl := sources.StatusWarn
		if x.Hazardous {
			lvl = sources.StatusCrit
		}
		out = append(out, Finding{Level: lvl, Text: "schema: " + x.Detail})
	}
	return out
}
