package cli

import (
	"context"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// consoleCelery is a Celery action from the console's keys: guarded as any
// change, its question saying what it reaches as read now, audited. The
// run carries out the very spec the question was read from: a purge
// removes the messages it counted.
func consoleCelery(cfg *config.Config, name string, readonly bool, audit *actions.Audit, who actions.Who, kind, arg string) actionpane.Action {
	env, spec, err := wire.Celery(cfg, name, kind, arg)
	if err != nil {
		return actionpane.Action{Name: "celery " + kind, Guard: actionpane.Refused, Reason: err.Error()}
	}
	d := spec.Guard(env, readonly)
	return actionpane.Action{Name: spec.Name, Guard: paneGuard(d.Guard), Reason: d.Reason, Refreshes: true,
		Preview: func(ctx context.Context) (actionpane.Preview, error) {
			shown, err := spec.Shows(ctx)
			if err != nil {
				return actionpane.Preview{}, err
			}
			return actionpane.Preview{Head: append([]string{spec.Name + " in " + name + ":"}, shown...),
				Run: runner(spec, actions.Plan{}, name, audit, who)}, nil
		}}
}
