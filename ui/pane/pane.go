package pane

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/opsdeck/opsdeck/ui/poll"
	"github.com/opsdeck/opsdeck/ui/theme"
)

// Context is shared state panes read but never change: styles, the clock
// (injected so that tests render deterministically), the refresh interval,
// the timeline (chart window, pause, cursor: changed by the root model on
// keys), and the context that ends when the environment is left or the app quits.
type Context struct {
	Styles  *theme.Styles
	Now     func() time.Time
	Refresh time.Duration
	Time    *Timeline
	Base    context.Context
	// After delivers msg after d: tea.Tick in the program, a recorder in tests.
	After func(d time.Duration, msg tea.Msg) tea.Cmd
	// Epoch counts environment switches; pane IDs carry it so that results
	// fetched for an environment we left are never taken for the new one.
	Epoch int
	// Away, when set and true, says the panes are not on screen (the
	// overview is): their polling ticks are dropped, and the root refreshes
	// them when they are back.
	Away func() bool
	// Celery, when set, is the Celery pane's answer in one line ("" until
	// it has one): a metric pane asking for a celery_* metric no exporter
	// provides says it beside its diagnosis.
	Celery func() string
}

// away reports whether the panes are off screen.
func (c *Context) away() bool { return c.Away != nil && c.Away() }

// Scheduler is the polling schedule of this context.
func (c *Context) Scheduler() poll.Scheduler {
	return poll.Scheduler{Now: c.Now, Refresh: c.Refresh, After: c.After}
}

// ID makes a pane ID unique to this environment visit.
func (c *Context) ID(name string) string { return fmt.Sprintf("%d/%s", c.Epoch, name) }

// Pane is one box of the console.
type Pane interface {
	// ID routes messages tagged with it (see poll.Result) to this pane alone.
	ID() string
	Title() string
	// Start begins polling; it is called once the pane has a size.
	Start() tea.Cmd
	Update(msg tea.Msg) tea.Cmd
	// SetSize sets the outer size; a pane may answer with a fetch (a chart
	// that grew wants more points).
	SetSize(w, h int) tea.Cmd
	// View renders exactly the size set, as lines.
	View(focused bool) []string
	// Failing reports whether the pane's source is failing (for the header).
	Failing() bool
	// Loaded reports whether the pane has shown its first data or error.
	Loaded() bool
	// Ticking reports whether the pane shows something that changes every
	// second (the age of late data), so the clock must redraw it.
	Ticking() bool
}

// Routed is a message meant for one pane.
type Routed interface{ PaneID() string }

// FetchGuard bounds a whole fetch. Sources time out each request themselves
// (5 s by default); this only catches a source that forgets to.
const FetchGuard = 30 * time.Second

// Schedule is the After of a real program.
func Schedule(d time.Duration, msg tea.Msg) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return msg })
}

// RunAction asks the root to start the named action of the environment, as
// its key would: through the guard, the confirmation and the audit log.
type RunAction struct{ Name string }
