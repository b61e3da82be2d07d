package cli

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/internal/wire"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui"
	"github.com/opsdeck/opsdeck/ui/actionpane"
)

// consoleSilences are environment name's silence actions: making and
// expiring silences, guarded (asked y/N everywhere, production included;
// refused where nothing may change) and audited as the action keys are.
func consoleSilences(cfg *config.Config, name string, readonly bool, audit *actions.Audit, who actions.Who) ui.SilenceActions {
	env, _, err := wire.Actions(cfg, name)
	if err != nil {
		return ui.SilenceActions{}
	}
	d := actions.Decide(env, actions.Silence, readonly)
	where := name
	if env.Protected {
		where += " (protected)"
	}
	action := func(what string, spec actions.Spec, preview func(ctx context.Context) (head, items []string)) actionpane.Action {
		return actionpane.Action{Name: what, Guard: paneGuard(d.Guard), Reason: d.Reason, Refreshes: true,
			Preview: func(ctx context.Context) (actionpane.Preview, error) {
				head, items := preview(ctx)
				return actionpane.Preview{Head: head, Items: items, Run: runner(spec, actions.Plan{}, name, audit, who)}, nil
			}}
	}
	refused := ""
	if d.Guard == actions.Refused {
		refused = d.Reason
	}
	return ui.SilenceActions{
		Who:     who.User + "@" + who.Host,
		Refused: refused,
		Make: func(am sources.Alerting, s sources.Silence, group []string) actionpane.Action {
			desc := describeSilence(s)
			spec := actions.Spec{Name: "silence", Kind: actions.Silence, Target: desc + " in " + am.String(),
				Call: func(ctx context.Context) ([]string, error) {
					id, err := am.CreateSilence(ctx, s)
					if err != nil {
						return nil, fmt.Errorf("no silence was made: %w", err)
					}
					return []string{"silence " + id + " made: " + desc}, nil
				}}
			return action("silence", spec, func(ctx context.Context) ([]string, []string) {
				head := []string{"Silence alerts in " + where + " (" + am.String() + "): " + desc}
				matched, err := am.Matching(ctx, s.Matchers)
				if err != nil {
					return append(head, "⚠ cannot tell which alerts it matches now: "+err.Error()), nil
				}
				return append(head, reach(matched, group)), alertItems(matched, group)
			})
		},
		Expire: func(am sources.Alerting, s sources.Silence) actionpane.Action {
			desc := describeSilence(s)
			spec := actions.Spec{Name: "expire-silence", Kind: actions.Silence, Target: "silence " + s.ID + " (" + desc + ") in " + am.String(),
				Call: func(ctx context.Context) ([]string, error) {
					if err := am.ExpireSilence(ctx, s.ID); err != nil {
						return nil, fmt.Errorf("the silence was not expired: %w", err)
					}
					return []string{"silence " + s.ID + " expired: the alerts it matched page again"}, nil
				}}
			return action("expire-silence", spec, func(ctx context.Context) ([]string, []string) {
				head := []string{"Expire silence " + s.ID + " in " + where + " (" + am.String() + "), made by " + s.CreatedBy + ": " + desc}
				matched, err := am.Matching(ctx, s.Matchers)
				if err != nil {
					return append(head, "⚠ cannot tell which alerts it matches now: "+err.Error()), nil
				}
				return append(head, fmt.Sprintf("%s would page again", plural(len(matched), "alert"))), alertItems(matched, nil)
			})
		},
	}
}

// paneGuard is the console's form of a guard.
func paneGuard(g actions.Guard) actionpane.Guard {
	switch g {
	case actions.Refused:
		return actionpane.Refused
	case actions.TypeName:
		return actionpane.TypeName
	case actions.Confirm:
		return actionpane.Confirm
	}
	return actionpane.None
}

// describeSilence is a silence in one line: matchers, end, creator, comment.
func describeSilence(s sources.Silence) string {
	ms := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		ms[i] = m.String()
	}
	return fmt.Sprintf("%s until %s (%s) by %s: %q", strings.Join(ms, ", "), s.EndsAt.Local().Format("2006-01-02 15:04 MST"),
		units.Age(time.Until(s.EndsAt)), s.CreatedBy, s.Comment)
}

// reach says how many alerts a silence's matchers match now, in the
// selected alert's group and beyond it: a broad silence shows before it is
// made.
func reach(matched []sources.Alert, group []string) string {
	if len(matched) == 0 {
		return "it matches no alert now (alerts it matches that fire before it ends will not page)"
	}
	in := 0
	for _, a := range matched {
		if slices.Contains(group, a.Fingerprint) {
			in++
		}
	}
	s := fmt.Sprintf("it matches %s now: %d in this alert's group, %d in other groups", plural(len(matched), "alert"), in, len(matched)-in)
	if len(matched)-in > 0 {
		s = "⚠ " + s
	}
	return s
}

// alertItems are the matched alerts, one line each, the other groups'
// marked.
func alertItems(matched []sources.Alert, group []string) []string {
	out := make([]string, 0, len(matched))
	for _, a := range matched {
		var labels []string
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			if k != "alertname" {
				labels = append(labels, k+"="+a.Labels[k])
			}
		}
		line := fmt.Sprintf("%s {%s} (%s)", a.Name, strings.Join(labels, ", "), a.State)
		if group != nil && !slices.Contains(group, a.Fingerprint) {
			line += " · another group"
		}
		out = append(out, line)
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
