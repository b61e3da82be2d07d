package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/opsdeck/opsdeck/actions"
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
