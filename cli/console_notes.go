package cli

import (
	"context"
	"fmt"

	"github.com/opsdeck/opsdeck/actions"
	"github.com/opsdeck/opsdeck/config"
	"github.com/opsdeck/opsdeck/internal/notes"
	"github.com/opsdeck/opsdeck/internal/redact"
	"github.com/opsdeck/opsdeck/sources"
)

// noteKeeper keeps the console's notes and pins beside the audit log,
// each audited first: no record, no note.
type noteKeeper struct {
	store *notes.Store
	audit *actions.Audit
	who   actions.Who
	scrub *redact.Scrubber
}

func newNoteKeeper(cfg *config.Config, audit *actions.Audit, who actions.Who) noteKeeper {
	return noteKeeper{store: notes.Beside(audit.Path), audit: audit, who: who, scrub: redact.NewScrubber(cfg.Secrets()...)}
}

// add keeps e as who wrote it, a secret typed into it masked.
func (k noteKeeper) add(_ context.Context, e notes.Entry) (notes.Entry, error) {
	e.User, e.Host = k.who.User, k.who.Host
	e.Text = k.scrub.String(e.Text)
	e, err := notes.Check(e)
	if err != nil {
		return e, err
	}
	if err := k.audit.Noted(k.who, e.Environment, e.Kind, e.Text, e.Time); err != nil {
		return e, fmt.Errorf("refusing to keep it without an audit trail: %w", err)
	}
	return k.store.Add(e)
}

// marks are env's notes and pins as marks.
func (k noteKeeper) marks(_ context.Context, env string) ([]sources.Mark, error) {
	entries, err := k.store.Read(env)
	return notes.Marks(entries), err
}
