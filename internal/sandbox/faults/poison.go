package faults

import (
	"reflect"
	"unicode"
)

// Poison appends s to every string reachable from ptr (fields, slices,
// pointers, map values): every field a source fills is a field a hostile
// server can fill.
func Poison(ptr any, s string) {
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			if v.CanSet() {
				v.SetString(v.String() + s)
			}
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i))
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			if v.Type().Elem().Kind() == reflect.String && !v.IsNil() {
				for _, k := range v.MapKeys() {
					v.SetMapIndex(k, reflect.ValueOf(v.MapIndex(k).String()+s).Convert(v.Type().Elem()))
				}
			}
		}
	}
	walk(reflect.ValueOf(ptr).Elem())
}

// HasControl reports a C0 or C1 control character, DEL, or a format
// character that reorders or hides text (bidi controls and marks,
// zero-width and tag characters, U+FEFF; the joiners aside) in s: what
// must never reach the terminal raw from a source.
func HasControl(s string) bool {
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return true
		case r == 0x200c || r == 0x200d:
		case unicode.Is(unicode.Cf, r), r == 0x2028, r == 0x2029:
			return true
		}
	}
	return false
}
