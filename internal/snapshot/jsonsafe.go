package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Unrepresentable is a figure JSON cannot hold (NaN, ±Inf, a time outside
// the years 0-9999), written as null: where it was and why.
type Unrepresentable struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// encodeSafe is the document's JSON with every unrepresentable figure null
// and listed under "unrepresentable": one odd value a server sent must not
// lose the rest of the document.
func encodeSafe(d *Document) ([]byte, error) {
	var probs []Unrepresentable
	tree := jsonTree(reflect.ValueOf(d).Elem(), "", &probs).(*object)
	if len(probs) > 0 {
		tree.add("unrepresentable", probs)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(tree)
	return buf.Bytes(), err
}

// object is a JSON object that keeps its keys in the order they were added,
// as encoding/json writes a struct's fields.
type object struct {
	keys []string
	vals []any
}

func (o *object) add(k string, v any) { o.keys, o.vals = append(o.keys, k), append(o.vals, v) }

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

var timeType = reflect.TypeOf(time.Time{})

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// jsonTree is v as encoding/json would write it (field names from tags,
// omitempty, embedded structs inlined, map keys sorted), but with
// unrepresentable figures as nil.
func jsonTree(v reflect.Value, path string, probs *[]Unrepresentable) any {
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if y := t.Year(); y < 0 || y > 9999 {
			*probs = append(*probs, Unrepresentable{path, fmt.Sprintf("a time in year %d, which RFC 3339 cannot write", y)})
			return nil
		}
		return t
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return jsonTree(v.Elem(), path, probs)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			*probs = append(*probs, Unrepresentable{path, fmt.Sprintf("%v is not a number JSON can hold", f)})
			return nil
		}
		return f
	case reflect.Struct:
		o := &object{}
		fields(v, path, o, probs)
		return o
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = jsonTree(v.Index(i), fmt.Sprintf("%s[%d]", path, i), probs)
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		o := &object{}
		for _, k := range keys {
			name := fmt.Sprint(k)
			o.add(name, jsonTree(v.MapIndex(k), join(path, name), probs))
		}
		return o
	}
	return v.Interface()
}

func fields(v reflect.Value, path string, o *object, probs *[]Unrepresentable) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if f.Anonymous && name == "" {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				fields(fv, path, o, probs)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(opts, "omitempty") && empty(fv) {
			continue
		}
		o.add(name, jsonTree(fv, join(path, name), probs))
	}
}

// empty is encoding/json's notion of an empty value for omitempty.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}
