package cli

import (
	"context"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// silences are environment name's silence actions: making, acknowledging
// and expiring silences, guarded (asked y/N everywhere, production
// included; refused where nothing may change) and audited as the action
// keys are, each planned on what Alertmanager holds when asked.
func (ac actor) silences(name string) ui.SilenceActions {
	env, err := wire.GuardOver(ac.cfg, name, config.ReachAlertmanager)
	if err != nil {
		return ui.SilenceActions{}
	}
	d := actions.Decide(env, actions.Silence, ac.readonly)
	refusedWhy := ""
	if d.Guard == actions.Refused {
		refusedWhy = d.Reason
	}
	make := func(ack bool) func(am sources.Alerting, s sources.Silence, group []string) actionpane.Action {
		name := "silence"
		if ack {
			name = "ack"
		}
		return func(am sources.Alerting, s sources.Silence, group []string) actionpane.Action {
			return ac.paneAction(actions.Spec{Name: name, Kind: actions.Silence, Target: am.String(), Env: env,
				Plan: func(ctx context.Context, _ actions.Steps) (actions.Plan, error) {
					return actions.PlanSilence(ctx, env.Name, env.Protected, am, s, group, ack)
				}})
		}
	}
	return ui.SilenceActions{
		Who:     ac.who.User + "@" + ac.who.Host,
		Refused: refusedWhy,
		Make:    make(false),
		Ack:     make(true),
		Expire: func(am sources.Alerting, s sources.Silence) actionpane.Action {
			return ac.paneAction(actions.Spec{Name: "expire-silence", Kind: actions.Silence, Target: "silence " + s.ID + " in " + am.String(), Env: env,
				Plan: func(ctx context.Context, _ actions.Steps) (actions.Plan, error) {
					return actions.PlanExpire(ctx, env.Name, env.Protected, am, s.ID)
				}})
		},
	}
}
