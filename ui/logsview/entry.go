package logsview

import (
	"maps"
	"slices"
	"strings"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
	"github.com/opsdeck/opsdeck/ui/frame"
)

// What one line may hold once kept. A backend can send a line of megabytes
// (a request body logged whole): only its start is kept, saying how much
// was left out, so that neither memory nor the layout grows with it.
const (
	// MaxMessage bounds a kept message (and its traceback), in bytes.
	MaxMessage = 64 << 10
	// MaxField bounds each kept field's name and value, in bytes.
	MaxField = 2 << 10
	// MaxFields is how many fields of a line are kept (sorted by name).
	MaxFields = 64
	// rowBytes is how much of the message a row of the list is made from:
	// more than the widest row shows.
	rowBytes = 1024
)

// entry is a line as the view keeps it: made safe and cut once, on the
// fetch's goroutine, with its row ready to draw.
type entry struct {
	line sources.LogLine
	// row is the message on one line: line breaks and tabs as spaces.
	row string
	// more counts fields left out (beyond MaxFields).
	more int
	// gap marks lines not read between two reads (more came than one read
	// takes); the entry is that notice, not a line.
	gap bool
	// size is the bytes the entry holds, for the ring's bound.
	size int
}

// entryOf keeps l: every text made safe to draw (controls, bidirectional
// overrides and invalid UTF-8 replaced; the message keeps its line breaks
// and tabs), each cut to its bound before it is looked at further.
func entryOf(l sources.LogLine) entry {
	e := entry{line: sources.LogLine{
		Time:    l.Time,
		Level:   strings.ToLower(safetext.String(frame.Cut(l.Level, 32))),
		Message: safetext.Text(strings.ReplaceAll(frame.Cut(l.Message, MaxMessage), "\r\n", "\n")),
		TraceID: safetext.String(frame.Cut(l.TraceID, 128)),
		SpanID:  safetext.String(frame.Cut(l.SpanID, 128)),
		Stream:  safetext.String(frame.Cut(l.Stream, MaxField)),
	}}
	if len(l.Fields) > 0 {
		keys := slices.Sorted(maps.Keys(l.Fields))
		if len(keys) > MaxFields {
			e.more = len(keys) - MaxFields
			keys = keys[:MaxFields]
		}
		e.line.Fields = make(map[string]string, len(keys))
		for _, k := range keys {
			e.line.Fields[safetext.String(frame.Cut(k, MaxField))] = safetext.Text(frame.Cut(l.Fields[k], MaxField))
		}
	}
	e.row = frame.OneLine(safetext.String(frame.Cut(e.line.Message, rowBytes)))
	e.size = len(e.line.Message) + len(e.row) + len(e.line.Stream) + len(e.line.TraceID) + len(e.line.SpanID) + 64
	for k, v := range e.line.Fields {
		e.size += len(k) + len(v) + 16
	}
	return e
}

// key tells two lines apart when they share an instant: a read that starts
// at the newest line's instant brings that line again.
func (e *entry) key() string {
	return e.line.TraceID + "\x00" + e.line.SpanID + "\x00" + e.line.Level + "\x00" + e.line.Stream + "\x00" + e.line.Message
}
