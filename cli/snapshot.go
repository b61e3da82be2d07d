package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/internal/snapshot"
)

// reportActions is how many recent actions a report lists.
const reportActions = 10

// takeSnapshot is `opsdeck snapshot`: every source polled once, printed
// in format (json, text or markdown).
func takeSnapshot(a *app, format string) error {
	env, ctx, done, err := a.openEnv()
	if err != nil {
		return err
	}
	defer done()
	doc := snapshot.Take(ctx, env, time.Now())
	switch format {
	case "text":
		_, err = io.WriteString(a.stdout, doc.Text())
		return err
	case "markdown":
		// A report without its actions is still a report: a broken audit log
		// is noted on stderr.
		if err := addActions(doc, &actions.Audit{Path: actions.DefaultAuditPath(a.lookupEnv)}, reportActions); err != nil {
			fmt.Fprintln(a.stderr, "opsdeck:", actions.AuditProblem(err))
		}
		_, err = io.WriteString(a.stdout, doc.Markdown())
		return err
	}
	out, err := doc.JSON()
	if err != nil {
		return err
	}
	_, err = a.stdout.Write(out)
	return err
}
