package slo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/sources/httpapi"
	"github.com/opsdeck/opsdeck/sources/prometheus"
)

// Querier evaluates an instant query: the environment's Prometheus client.
type Querier interface {
	Instant(ctx context.Context, query string, at time.Time) ([]prometheus.Sample, []string, error)
}

// Options say where the objectives come from.
type Options struct {
	// Prometheus answers the objectives' queries.
	Prometheus Querier
	// Rules reads /api/v1/rules of the same server (nil: the declared
	// objectives alone).
	Rules *httpapi.API
	// Declared are the configuration's objectives.
	Declared []Declared
	// Rediscover is how long the rules found stand before they are read
	// again (default 5 minutes: rules change with a deploy, not a refresh).
	Rediscover time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Source reads an environment's objectives: each in one query a refresh.
type Source struct {
	o   Options
	api *httpapi.API

	mu      sync.Mutex
	found   []objective
	foundAt time.Time
}

// New builds a source; it does no I/O.
func New(o Options) *Source {
	if o.Rediscover <= 0 {
		o.Rediscover = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Source{o: o, api: o.Rules}
}

// String is the server the objectives are read from.
func (s *Source) String() string {
	if s.api != nil {
		return s.api.String()
	}
	return fmt.Sprint(s.o.Prometheus)
}

// discovered is the objectives found in the rules, read again when they
// are older than Rediscover.
func (s *Source) discovered(ctx context.Context, now time.Time) ([]objective, error) {
	if s.api == nil {
		return nil, nil
	}
	s.mu.Lock()
	found, at := s.found, s.foundAt
	s.mu.Unlock()
	if !at.IsZero() && now.Sub(at) < s.o.Rediscover {
		return found, nil
	}
	rules, err := s.recordingRules(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.foundAt.IsZero() {
			return nil, err
		}
		// What was found stands; the rules are asked again next refresh.
		return s.found, nil
	}
	s.found, s.foundAt = fromRules(rules), now
	return s.found, nil
}

// Objectives reads every objective at one instant, one query each.
func (s *Source) Objectives(ctx context.Context) ([]sources.SLO, error) {
	now := s.o.Now().Truncate(time.Second)
	found, err := s.discovered(ctx, now)
	if err != nil && len(s.o.Declared) == 0 {
		return nil, err
	}
	objs := slices.Clone(found)
	for _, d := range s.o.Declared {
		objs = append(objs, declared(d))
	}
	out := make([]sources.SLO, len(objs))
	var wg sync.WaitGroup
	for i, o := range objs {
		wg.Go(func() { out[i] = s.read(ctx, o, now) })
	}
	wg.Wait()
	if len(out) > 0 && !slices.ContainsFunc(out, func(o sources.SLO) bool { return o.Problem == "" }) {
		// Not one read: the server's trouble, not an objective's; the
		// pane keeps what it showed last and says why.
		if err != nil {
			return nil, err
		}
		return nil, errors.New(out[0].Problem)
	}
	if err != nil {
		// The declared objectives stand; the rules' are said missing.
		out = append(out, sources.SLO{Name: "recording rules", Origin: "sloth/pyrra", At: now,
			Problem: "not read: " + err.Error()})
	}
	return out, nil
}

// read evaluates o's one query at now.
func (s *Source) read(ctx context.Context, o objective, now time.Time) sources.SLO {
	out := sources.SLO{Name: o.name, Origin: o.origin, Objective: o.objective, Window: o.window, At: now,
		ErrorRatios: map[time.Duration]float64{}}
	samples, _, err := s.o.Prometheus.Instant(ctx, o.query, now)
	if err != nil {
		out.Problem = err.Error()
		return out
	}
	for _, smp := range samples {
		secs, err := strconv.Atoi(smp.Labels[windowLabel])
		if err != nil {
			continue
		}
		out.ErrorRatios[time.Duration(secs)*time.Second] = smp.Value
	}
	return out
}
