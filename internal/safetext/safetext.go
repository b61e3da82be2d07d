package safetext

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// String returns s with every C0 control, DEL and C1 control replaced by a
// visible stand-in (ESC becomes ␛), tabs and line breaks (the Unicode line
// and paragraph separators too) by a space, the format characters that
// reorder or hide text (bidirectional embeddings, overrides, isolates and
// marks, zero-width and tag characters) by U+FFFD, as C1 controls are, and
// bytes that are not UTF-8 by U+FFFD. Text without any is returned as is,
// without allocating.
func String(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
			continue
		}
		stand, _ := standIn(r)
		b.WriteRune(stand)
	}
	return b.String()
}

// standIn is what r is shown as, and whether that is r itself.
func standIn(r rune) (rune, bool) {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
		return ' ', false
	case r < 0x20:
		return 0x2400 + r, false // the Control Pictures block: ␛ for ESC
	case r == 0x7f:
		return '␡', false
	case r < 0x80:
		return r, true
	case r <= 0x9f:
		return utf8.RuneError, false
	case r == '\u200c' || r == '\u200d':
		// The joiners hide nothing: emoji sequences and scripts need them.
		return r, true
	case unicode.Is(unicode.Cf, r):
		// A right-to-left override shows "exe.gnp" as "png.exe"; an isolate
		// or a zero-width character makes two texts look alike.
		return utf8.RuneError, false
	}
	return r, true
}

// Text is String for text of several lines: line breaks and tabs stay,
// a carriage return (which would overwrite the line) does not.
func Text(s string) string {
	if !strings.ContainsAny(s, "\n\t") {
		return String(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = String(p)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}

// Writer passes what is written through Text: the headless commands'
// output, which prints what sources said, reaches the terminal safe.
type Writer struct{ W io.Writer }

func (w Writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.W, Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// clean reports whether s needs no change.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			if _, same := standIn(r); !same {
				return false
			}
			i += size - 1
		}
	}
	return true
}

// MaxError bounds an error's message as shown: a server answering 100 KB of
// error says nothing more for it, and costs every frame that draws it.
const MaxError = 1000

// Error is err with a safe message of at most MaxError bytes; errors.Is and
// errors.As still see the original.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean(msg) && len(msg) <= MaxError {
		return err
	}
	return &safeError{msg: Shorten(String(msg), MaxError), err: err}
}

// Shorten cuts s to at most n bytes on a character boundary, saying how
// long it was.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d bytes in all)", len(s))
}

type safeError struct {
	msg string
	err error
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.err }

// Value makes every string reachable from ptr safe, in place: struct fields,
// slices, arrays, maps (keys too) and pointers. Types that hold no string
// are skipped without being walked. What is already safe, as nearly every
// poll's answer is, is only read: no map is rebuilt, nothing is allocated,
// and a map shared with a value another goroutine reads is left alone.
func Value(ptr any) {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.IsNil() || isClean(v.Elem()) {
		return
	}
	walk(v.Elem())
}

// isClean reports whether every string walk would reach in v is safe
// already, reading only.
func isClean(v reflect.Value) bool {
	if v.Kind() == reflect.String {
		return clean(v.String())
	}
	if !holdsStrings(v.Type()) {
		return true
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || isClean(v.Elem())
	case reflect.Struct:
		// Exported fields, as walk takes: read through an interface they
		// are not settable here, yet walk cleans its copy of them.
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if t.Field(i).IsExported() && !isClean(v.Field(i)) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		if !holdsStrings(v.Type().Elem()) {
			return true
		}
		for i := 0; i < v.Len(); i++ {
			if !isClean(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		return v.IsNil() || mapIsClean(v)
	}
	return true
}

// mapIsClean is isClean for a map: labels (map[string]string) are read as
// they are, any other map through two values reused for every entry.
func mapIsClean(v reflect.Value) bool {
	if m, ok := v.Interface().(map[string]string); ok { // exported fields only lead here
		for k, e := range m {
			if !clean(k) || !clean(e) {
				return false
			}
		}
		return true
	}
	// Entries copied into settable values, so that the strings in them are
	// looked at as walk would (it only cleans what it can set).
	k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
	for it := v.MapRange(); it.Next(); {
		k.SetIterKey(it)
		e.SetIterValue(it)
		if !isClean(k) || !isClean(e) {
			return false
		}
	}
	return true
}

func walk(v reflect.Value) {
	if !holdsStrings(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if s := v.String(); !clean(s) {
				v.SetString(String(s))
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			e := v.Elem()
			if v.Kind() == reflect.Interface {
				// What an interface holds cannot be set in place: copy, clean, put back.
				if !holdsStrings(e.Type()) || !v.CanSet() {
					return
				}
				c := reflect.New(e.Type()).Elem()
				c.Set(e)
				walk(c)
				v.Set(c)
				return
			}
			walk(e)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				walk(f)
			}
		}
	case reflect.Slice, reflect.Array:
		if !holdsStrings(v.Type().Elem()) {
			return // points of a chart: nothing to look at
		}
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		kt, vt := v.Type().Key(), v.Type().Elem()
		if !holdsStrings(kt) && !holdsStrings(vt) {
			return
		}
		it := v.MapRange()
		type kv struct{ k, v reflect.Value }
		var pairs []kv
		for it.Next() {
			k, e := reflect.New(kt).Elem(), reflect.New(vt).Elem()
			k.Set(it.Key())
			e.Set(it.Value())
			walk(k)
			walk(e)
			pairs = append(pairs, kv{k, e})
		}
		v.Clear()
		for _, p := range pairs {
			v.SetMapIndex(p.k, p.v)
		}
	}
}

var stringTypes sync.Map // reflect.Type -> bool

// holdsStrings reports whether a value of t can hold a string somewhere.
func holdsStrings(t reflect.Type) bool {
	if v, ok := stringTypes.Load(t); ok {
		return v.(bool)
	}
	stringTypes.Store(t, true) // a recursive type is assumed to, while it is looked at
	has := false
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		has = true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		has = holdsStrings(t.Elem())
	case reflect.Map:
		has = holdsStrings(t.Key()) || holdsStrings(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField() && !has; i++ {
			has = t.Field(i).IsExported() && holdsStrings(t.Field(i).Type)
		}
	}
	stringTypes.Store(t, has)
	return has
}
