package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/notes"
	"github.com/opsdeck/opsdeck/internal/snapshot"
	"github.com/opsdeck/opsdeck/internal/units"
)

// showAudit is `opsdeck audit`: recent entries, oldest first.
func showAudit(a *app, limit int) error {
	audit := &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}
	a.reportAbandoned(audit)
	recs, err := audit.Recent(limit)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		fmt.Fprintf(a.stdout, "no actions recorded in %s\n", audit.Path)
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tPHASE\tENV\tACTION\tUSER\tEXIT\tTOOK\tCOMMAND")
	for _, r := range recs {
		exit, took := "", ""
		if r.ExitCode != nil {
			exit = fmt.Sprint(*r.ExitCode)
			took = (time.Duration(r.DurationMS) * time.Millisecond).String()
		}
		action := r.Action
		if r.PartOf != "" {
			action += " (" + r.PartOf + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05"), r.Phase, r.Environment, action, r.User, exit, took, r.Command)
	}
	return tw.Flush()
}

// reportAbandoned says, once, which runs an earlier opsdeck left without an
// end (it was killed mid-run).
func (a *app) reportAbandoned(audit *actions.Audit) {
	for _, w := range actions.AbandonedWarnings(audit, hostname()) {
		fmt.Fprintln(a.stderr, "opsdeck: warning:", w)
	}
}

// addActions puts env's last n finished actions from the audit log in doc,
// newest first, and their runs among its changes. A missing log is an
// empty list.
func addActions(doc *snapshot.Document, audit *actions.Audit, n int) error {
	// One read serves the actions and the marks: started and finished
	// records, other environments' too.
	recs, err := audit.Recent(max(50*n, actions.MarksRead))
	list := []snapshot.Action{}
	for i := len(recs) - 1; i >= 0 && len(list) < n; i-- {
		r := recs[i]
		if r.Phase != "finished" || r.Environment != doc.Environment || r.PartOf != "" { // a preflight's steps are not actions
			continue
		}
		a := snapshot.Action{Time: r.Time.UTC().Format("2006-01-02 15:04:05Z"), Environment: r.Environment, Action: r.Action,
			User: r.User, Command: r.Command, Outcome: r.Error}
		if r.ExitCode != nil {
			a.Outcome = strings.TrimSuffix(fmt.Sprintf("exit %d: %s", *r.ExitCode, r.Error), ": ")
		}
		if r.DurationMS > 0 {
			a.Duration = units.Span(time.Duration(r.DurationMS) * time.Millisecond)
		}
		list = append(list, a)
	}
	// The responders' notes and pins are rows of the same timeline.
	entries, nerr := notes.Beside(audit.Path).Read(doc.Environment)
	doc.AddActions(list, append(actions.MarksOf(recs, doc.Environment), notes.Marks(entries)...))
	return errors.Join(err, nerr)
}
