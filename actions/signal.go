package actions

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/opsdeck/opsdeck/internal/units"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/postgres"
)

// SignalPlan cancels one backend's query (or, terminate, ends the backend):
// the backend known by its pid, its start, its query's start and digest and
// its state, as the question showed it. The check and the signal are one
// statement on the server.
type SignalPlan struct {
	h         planHead
	db        postgres.Options
	target    string
	id        postgres.SessionIdentity
	session   sources.DBSession
	terminate bool
	own       []int
}

// PlanSignal reads backend pid of db for a cancel (or a terminate) in
// environment env. own are pids never to signal (the console's own
// connections, besides the one the plan reads through).
func PlanSignal(ctx context.Context, env string, db postgres.Options, pid int, terminate bool, own []int) (*SignalPlan, error) {
	c, err := postgres.New(db)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if slices.Contains(own, pid) {
		return nil, fmt.Errorf("pid %d is one of this console's own connections to %s: opsdeck does not signal itself", pid, c.Target())
	}
	s, id, err := c.Session(ctx, pid, own)
	if err != nil {
		return nil, err
	}
	action := "cancel"
	if terminate {
		action = "terminate"
	}
	return &SignalPlan{h: planHead{action: action, env: env, danger: Dangerous}, db: db, target: c.Target(), id: id, session: s,
		terminate: terminate, own: slices.Clone(own)}, nil
}

func (p *SignalPlan) head() planHead { return p.h }

// Question names the session as it was read: pid, user, state, ages, query.
func (p *SignalPlan) Question() Question {
	title := "Cancel the query of"
	if p.terminate {
		title = "Terminate"
	}
	return Question{Action: p.h.action, Environment: p.h.env, Target: fmt.Sprintf("pid %d on %s", p.id.PID, p.target),
		Head: []string{fmt.Sprintf("%s pid %d in %s:", title, p.id.PID, p.h.env), DescribeSession(p.session)}}
}

func (p *SignalPlan) execute(ctx context.Context, emit Emit) (int, []string, error) {
	c, err := postgres.New(p.db)
	if err != nil {
		return 1, nil, err
	}
	defer c.Close()
	r, err := c.SignalIf(ctx, p.id, p.terminate, p.own)
	switch {
	case err != nil:
		return 1, nil, err
	case r.Now != nil:
		return 1, nil, p.whatChanged(*r.Now, *r.NowID)
	case !r.Matched:
		return 1, nil, changed("pid %d is gone since you were asked", p.id.PID)
	case !r.Signalled:
		return 1, nil, fmt.Errorf("the server did not signal pid %d (it ended meanwhile?)", p.id.PID)
	}
	done := "cancelled the query of "
	if p.terminate {
		done = "terminated "
	}
	return 0, emitLines(emit, done+DescribeSession(p.session)), nil
}

// whatChanged says how backend now differs from the one the question showed.
func (p *SignalPlan) whatChanged(now sources.DBSession, id postgres.SessionIdentity) error {
	pid := p.id.PID
	switch {
	case id.BackendStart != p.id.BackendStart:
		return changed("pid %d is another backend since you were asked (%s)", pid, DescribeSession(now))
	case id.QueryStart != p.id.QueryStart || id.QueryMD5 != p.id.QueryMD5:
		return changed("pid %d is running another query since you were asked: %s", pid, oneLine(now.Query))
	case id.State != p.id.State:
		return changed("pid %d is %s now, not %s as when you were asked", pid, orNone(id.State), orNone(p.id.State))
	}
	return changed("pid %d is not the session you were asked about", pid)
}

func orNone(s string) string {
	if s == "" {
		return "in no state"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// DescribeSession is a backend as a signal's question shows it: pid, user,
// application, state, ages and query.
func DescribeSession(s sources.DBSession) string {
	parts := []string{fmt.Sprintf("pid %d", s.PID), "user " + s.User}
	if s.Application != "" {
		parts = append(parts, "application "+s.Application)
	}
	parts = append(parts, "state "+s.State)
	if s.QueryAge > 0 {
		parts = append(parts, "query for "+units.Age(units.FromSeconds(s.QueryAge)))
	}
	if s.XactAge > 0 {
		parts = append(parts, "transaction for "+units.Age(units.FromSeconds(s.XactAge)))
	}
	return strings.Join(parts, " · ") + ": " + oneLine(s.Query)
}
