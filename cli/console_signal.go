package cli

import (
	"context"
	"fmt"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// consoleSignal is the console's cancel (or terminate) of backend pid in
// environment name: guarded as any change, its confirmation naming the
// session as it is now, audited; the connection it uses lives for the
// preview and for the run alone.
func consoleSignal(cfg *config.Config, name string, readonly bool, audit *actions.Audit, who actions.Who, pid int, terminate bool) actionpane.Action {
	verb, title := "cancel", "Cancel the query of"
	if terminate {
		verb, title = "terminate", "Terminate"
	}
	env, _, err := wire.Actions(cfg, name)
	if err != nil {
		return actionpane.Action{Name: verb, Guard: actionpane.Refused, Reason: err.Error()}
	}
	d := actions.Decide(env, actions.Dangerous, readonly)
	return actionpane.Action{Name: verb, Guard: paneGuard(d.Guard), Reason: d.Reason, Refreshes: true,
		Preview: func(ctx context.Context) (actionpane.Preview, error) {
			_, spec, release, err := wire.Signal(cfg, name, pid, terminate)
			if err != nil {
				return actionpane.Preview{}, err
			}
			shown, err := spec.Shows(ctx)
			release()
			if err != nil {
				return actionpane.Preview{}, err
			}
			head := append([]string{fmt.Sprintf("%s pid %d in %s:", title, pid, name)}, shown...)
			return actionpane.Preview{Head: head, Run: func(base context.Context, confirmation string) (<-chan actionpane.Line, func(), error) {
				_, spec, release, err := wire.Signal(cfg, name, pid, terminate)
				if err != nil {
					return nil, nil, err
				}
				lines, cancel, err := runner(spec, actions.Plan{}, name, audit, who)(base, confirmation)
				if err != nil {
					release()
					return nil, nil, err
				}
				out := make(chan actionpane.Line, 64)
				go func() {
					defer close(out)
					defer release()
					for l := range lines {
						out <- l
					}
				}()
				return out, cancel, nil
			}}, nil
		}}
}
