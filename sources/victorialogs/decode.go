package victorialogs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opsdeck/opsdeck/internal/safetext"
	"github.com/opsdeck/opsdeck/sources"
)

// Fields opsdeck adds to a line's own.
const (
	// DroppedFields counts the fields left out beyond the bound.
	DroppedFields = "opsdeck.dropped_fields"
	// InvalidTime holds a _time that is not a time.
	InvalidTime = "opsdeck.invalid_time"
)

// decodeLine turns one record of VictoriaLogs's JSON lines (n bytes long;
// nil when it was too long to read) into a line, every text safe to show
// and bounded; nil for a blank line.
func decodeLine(rec []byte, n int64) (*sources.LogLine, error) {
	if rec == nil && n > maxRecord {
		return &sources.LogLine{Level: "", Message: fmt.Sprintf("(a record of %d bytes was left out: opsdeck reads records of up to %d MiB)", n, maxRecord>>20),
			Fields: map[string]string{}}, nil
	}
	rec = bytes.TrimSpace(rec)
	if len(rec) == 0 {
		return nil, nil
	}
	raw, dropped, err := fieldsOf(rec)
	if err != nil {
		return nil, err
	}
	l := &sources.LogLine{Fields: map[string]string{}}
	for k, v := range raw {
		switch {
		case k == "_msg":
			l.Message = safetext.Text(cutMessage(v))
		case k == "_time":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				l.Fields[InvalidTime] = value(v)
			}
			l.Time = t
		case k == "_stream":
			l.Stream = value(v)
		case k == "_stream_id":
		// An id is kept as the line's own only whole: a cut one would be
		// searched for and found nowhere. Longer, it is a field to read.
		case k == "trace_id" && len(v) <= maxID:
			l.TraceID = safetext.String(v)
		case k == "span_id" && len(v) <= maxID:
			l.SpanID = safetext.String(v)
		default:
			l.Fields[safetext.String(safetext.Shorten(k, 200))] = value(v)
		}
	}
	l.Level = safetext.String(Level(levelText(raw), raw["severity_number"]))
	if dropped > 0 {
		l.Fields[DroppedFields] = fmt.Sprint(dropped)
	}
	return l, nil
}

// cutMessage is msg, or its first MaxMessage bytes (on a character
// boundary) saying how long it was and what is kept.
func cutMessage(msg string) string {
	if len(msg) <= MaxMessage {
		return msg
	}
	cut := MaxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + fmt.Sprintf("… (%d bytes in all; opsdeck keeps the first %d KiB)", len(msg), MaxMessage>>10)
}

// levelText is the first level field the record has.
func levelText(raw map[string]string) string {
	for _, f := range levelFields() {
		if v := raw[f]; v != "" {
			return v
		}
	}
	return ""
}

// value is a field's value as shown: safe, one line, bounded.
// maxID is the longest trace or span id kept as one: W3C's are 32 and 16
// hex digits, other tracers' fit well within.
const maxID = 64

func value(v string) string { return safetext.String(safetext.Shorten(v, maxValue)) }

// fieldsOf reads a record's fields (VictoriaLogs writes every value as a
// string; another value is kept as its JSON), at most maxFields of them
// beside the ones opsdeck reads itself, and how many more were left out.
func fieldsOf(rec []byte) (map[string]string, int, error) {
	dec := json.NewDecoder(bytes.NewReader(rec))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, 0, errors.New("a line is not a JSON object: " + safetext.Shorten(safetext.String(string(rec)), 80))
	}
	out := map[string]string{}
	dropped := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, 0, shortErr(err)
		}
		key, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, 0, shortErr(err)
		}
		if len(out) >= maxFields && !strings.HasPrefix(key, "_") && key != "trace_id" && key != "span_id" && !isLevelField(key) {
			dropped++
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		out[key] = s
	}
	if _, err := dec.Token(); err != nil {
		return nil, 0, shortErr(err)
	}
	return out, dropped, nil
}

func isLevelField(k string) bool {
	for _, f := range levelFields() {
		if k == f {
			return true
		}
	}
	return k == "severity_number"
}

func shortErr(err error) error {
	return errors.New(safetext.Shorten(safetext.String(err.Error()), 200))
}
