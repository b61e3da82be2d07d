package actions

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
)

// SilencePlan makes one silence: its matchers with the label values as
// Alertmanager holds them, its end, its comment, and the alerts it matched
// when the question was asked (by fingerprint). It is made only while the
// matchers match those same alerts, and reported made only once
// Alertmanager holds it as sent and it silences them.
type SilencePlan struct {
	h       planHead
	am      sources.Alerting
	silence sources.Silence
	matched []sources.Alert
	group   []string // fingerprints of the selected alert's group
	where   string
}

// PlanSilence reads which alerts s's matchers reach now. ack names the
// kind "ack" (a short silence of one alert) rather than "silence".
func PlanSilence(ctx context.Context, env string, protected bool, am sources.Alerting, s sources.Silence, group []string, ack bool) (*SilencePlan, error) {
	if err := checkSilence(s); err != nil {
		return nil, err
	}
	action := "silence"
	if ack {
		action = "ack"
	}
	p := &SilencePlan{h: planHead{action: action, env: env, danger: Silence}, am: am, silence: cloneSilence(s), group: slices.Clone(group), where: env}
	if protected {
		p.where += " (protected)"
	}
	matched, err := am.Matching(ctx, s.Matchers)
	if err != nil {
		return nil, fmt.Errorf("cannot tell which alerts the silence would match now: %w", err)
	}
	p.matched = matched
	return p, nil
}

// checkSilence refuses a silence Alertmanager should not be sent.
func checkSilence(s sources.Silence) error {
	switch {
	case len(s.Matchers) == 0:
		return fmt.Errorf("a silence needs at least one matcher")
	case s.EndsAt.Sub(s.StartsAt) > sources.MaxSilence:
		return fmt.Errorf("a silence may last %s at most: one forgotten for longer hides a real outage", units.Age(sources.MaxSilence))
	}
	return nil
}

func cloneSilence(s sources.Silence) sources.Silence {
	s.Matchers = slices.Clone(s.Matchers)
	return s
}

func (p *SilencePlan) head() planHead { return p.h }

// Question says what the silence is and how many alerts it reaches, in the
// selected alert's group and beyond.
func (p *SilencePlan) Question() Question {
	desc := DescribeSilence(p.silence)
	verb := "Silence alerts"
	if p.h.action == "ack" {
		verb = "Acknowledge (silence)"
	}
	q := Question{Action: p.h.action, Environment: p.h.env, Target: desc + " in " + p.am.String(),
		Head: []string{verb + " in " + p.where + " (" + p.am.String() + "): " + desc, reach(p.matched, p.group)}}
	for _, line := range alertItems(p.matched, p.group) {
		q.Items = append(q.Items, Item{Text: line})
	}
	return q
}

func (p *SilencePlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	if !p.silence.EndsAt.After(time.Now()) {
		return 1, nil, changed("the silence would end at %s, which has passed since you were asked", p.silence.EndsAt.Local().Format("15:04:05"))
	}
	now, err := p.am.Matching(ctx, p.silence.Matchers)
	if err != nil {
		return 1, nil, fmt.Errorf("no silence was made: %w (the alerts it matches could not be read again)", err)
	}
	if why := sameAlerts(p.matched, now); why != "" {
		return 1, nil, changed("%s", why)
	}
	id, err := p.am.CreateSilence(ctx, p.silence)
	if err != nil {
		return 1, nil, fmt.Errorf("no silence was made: %w", err)
	}
	if err := p.madeAsPlanned(ctx, id); err != nil {
		// What Alertmanager made is not what was asked: it must not stay.
		if xerr := p.am.ExpireSilence(context.WithoutCancel(ctx), id); xerr != nil {
			return 1, nil, fmt.Errorf("%v; expiring silence %s failed too: %v", err, id, xerr)
		}
		return 1, nil, fmt.Errorf("%v; silence %s was expired again", err, id)
	}
	return 0, emitLines(emit, fmt.Sprintf("silence %s made: %s; it silences %s", id, DescribeSilence(p.silence), plural(len(p.matched), "alert"))), nil
}

// madeAsPlanned reads silence id back: Alertmanager holds the matchers that
// were sent, and each alert the question showed is silenced by it.
func (p *SilencePlan) madeAsPlanned(ctx context.Context, id string) error {
	got, err := p.am.Silence(ctx, id)
	if err != nil {
		return fmt.Errorf("silence %s was made but cannot be read back: %w", id, err)
	}
	if !sources.SameMatchers(got.Matchers, p.silence.Matchers) {
		return fmt.Errorf("silence %s is held by Alertmanager with other matchers than were sent", id)
	}
	after, err := p.am.Matching(ctx, p.silence.Matchers)
	if err != nil {
		return fmt.Errorf("silence %s was made but which alerts it silences cannot be read: %w", id, err)
	}
	silenced := map[string]bool{}
	for _, a := range after {
		if slices.Contains(a.SilencedBy, id) {
			silenced[a.Fingerprint] = true
		}
	}
	for _, a := range p.matched {
		if !silenced[a.Fingerprint] && stillThere(after, a.Fingerprint) {
			return fmt.Errorf("silence %s was made but does not silence %s", id, a.Name)
		}
	}
	return nil
}

func stillThere(alerts []sources.Alert, fingerprint string) bool {
	return slices.ContainsFunc(alerts, func(a sources.Alert) bool { return a.Fingerprint == fingerprint })
}

// sameAlerts says how the alerts matched now differ from those the
// question showed ("" when they do not).
func sameAlerts(was, now []sources.Alert) string {
	fp := func(as []sources.Alert) map[string]sources.Alert {
		out := make(map[string]sources.Alert, len(as))
		for _, a := range as {
			out[a.Fingerprint] = a
		}
		return out
	}
	before, after := fp(was), fp(now)
	var added, gone []string
	for f, a := range after {
		if _, ok := before[f]; !ok {
			added = append(added, a.Name+" "+labelText(a))
		}
	}
	for f, a := range before {
		if _, ok := after[f]; !ok {
			gone = append(gone, a.Name+" "+labelText(a))
		}
	}
	if len(added) == 0 && len(gone) == 0 {
		return ""
	}
	slices.Sort(added)
	slices.Sort(gone)
	parts := []string{fmt.Sprintf("the silence's matchers match %s now, not the %s you were asked about", plural(len(now), "alert"), plural(len(was), "alert"))}
	if len(added) > 0 {
		parts = append(parts, "new: "+strings.Join(added, "; "))
	}
	if len(gone) > 0 {
		parts = append(parts, "no longer matched (its labels changed, or it resolved): "+strings.Join(gone, "; "))
	}
	return strings.Join(parts, "; ")
}

// ExpirePlan ends one silence: the silence known by its id, its matchers,
// its end and when Alertmanager last changed it.
type ExpirePlan struct {
	h       planHead
	am      sources.Alerting
	silence sources.Silence
	paging  []sources.Alert
	where   string
}

// PlanExpire reads silence s as Alertmanager holds it now, and the alerts
// that would page again.
func PlanExpire(ctx context.Context, env string, protected bool, am sources.Alerting, id string) (*ExpirePlan, error) {
	s, err := am.Silence(ctx, id)
	if err != nil {
		return nil, err
	}
	if s.State == "expired" {
		return nil, fmt.Errorf("silence %s has already expired", id)
	}
	matched, err := am.Matching(ctx, s.Matchers)
	if err != nil {
		return nil, fmt.Errorf("cannot tell which alerts would page again: %w", err)
	}
	p := &ExpirePlan{h: planHead{action: "expire-silence", env: env, danger: Silence}, am: am, silence: cloneSilence(s), paging: matched, where: env}
	if protected {
		p.where += " (protected)"
	}
	return p, nil
}

func (p *ExpirePlan) head() planHead { return p.h }

// Question names the silence and the alerts that would page again.
func (p *ExpirePlan) Question() Question {
	desc := DescribeSilence(p.silence)
	q := Question{Action: p.h.action, Environment: p.h.env, Target: "silence " + p.silence.ID + " (" + desc + ") in " + p.am.String(),
		Head: []string{"Expire silence " + p.silence.ID + " in " + p.where + " (" + p.am.String() + "), made by " + p.silence.CreatedBy + ": " + desc,
			fmt.Sprintf("%s would page again", plural(len(p.paging), "alert"))}}
	for _, line := range alertItems(p.paging, nil) {
		q.Items = append(q.Items, Item{Text: line})
	}
	return q
}

func (p *ExpirePlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	now, err := p.am.Silence(ctx, p.silence.ID)
	if err != nil {
		return 1, nil, fmt.Errorf("the silence was not expired: %w", err)
	}
	switch {
	case now.State == "expired":
		return 1, nil, changed("silence %s has expired since you were asked", p.silence.ID)
	case !now.UpdatedAt.Equal(p.silence.UpdatedAt) || !now.EndsAt.Equal(p.silence.EndsAt) || !sources.SameMatchers(now.Matchers, p.silence.Matchers):
		return 1, nil, changed("silence %s was changed since you were asked: it is now %s", p.silence.ID, DescribeSilence(now))
	}
	if err := p.am.ExpireSilence(ctx, p.silence.ID); err != nil {
		return 1, nil, fmt.Errorf("the silence was not expired: %w", err)
	}
	return 0, emitLines(emit, "silence "+p.silence.ID+" expired: the alerts it matched page again"), nil
}

// DescribeSilence is a silence in one line: matchers, end, creator, comment.
func DescribeSilence(s sources.Silence) string {
	ms := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		ms[i] = m.String()
	}
	return fmt.Sprintf("%s until %s (%s) by %s: %q", strings.Join(ms, ", "), s.EndsAt.Local().Format("2006-01-02 15:04 MST"),
		units.Age(time.Until(s.EndsAt)), s.CreatedBy, s.Comment)
}

// reach says how many alerts a silence's matchers match, in the selected
// alert's group and beyond it: a broad silence shows before it is made.
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
		line := fmt.Sprintf("%s %s (%s)", a.Name, labelText(a), a.State)
		if group != nil && !slices.Contains(group, a.Fingerprint) {
			line += " · another group"
		}
		out = append(out, line)
	}
	return out
}

// labelText is an alert's shown labels but its name, {k=v, …}.
func labelText(a sources.Alert) string {
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if k != "alertname" {
			labels = append(labels, k+"="+a.Labels[k])
		}
	}
	return "{" + strings.Join(labels, ", ") + "}"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
