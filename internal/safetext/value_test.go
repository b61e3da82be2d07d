package safetext

import (
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// TestValueReadsWhatIsSafe: a value already safe, maps of labels included,
// is only read (nothing allocated, so no map rebuilt under a reader on
// another goroutine); one unsafe string anywhere, however it is reached,
// is still made safe.
func TestValueReadsWhatIsSafe(t *testing.T) {
	r := metricReading(50)
	if n := testing.AllocsPerRun(20, func() { Value(&r) }); n != 0 {
		t.Fatalf("a safe reading cost %v allocations", n)
	}

	type labelName string
	type named map[labelName]labelName
	type inner struct {
		Name   string
		Labels named
	}
	type doc struct {
		Any      any
		Readings []sources.Reading
		ByName   map[string]*inner
	}
	dirty := metricReading(3)
	dirty.Exemplars[2].Labels["handler"] = "/x\x1b[2J"
	d := doc{
		Any:      inner{Name: "a\x07"},
		Readings: []sources.Reading{metricReading(2), dirty},
		ByName:   map[string]*inner{"k": {Labels: named{"l\x1b": "v"}}},
	}
	Value(&d)
	if got := d.Any.(inner).Name; got != "a␇" {
		t.Errorf("a struct held by an interface: %q", got)
	}
	if got := d.Readings[1].Exemplars[2].Labels["handler"]; got != "/x␛[2J" {
		t.Errorf("an exemplar's label: %q", got)
	}
	if got := d.ByName["k"].Labels["l␛"]; got != "v" {
		t.Errorf("a named map's key: %v", d.ByName["k"].Labels)
	}
}

// metricReading is a metric pane's answer: its chart and n exemplars,
// each with its series' labels.
func metricReading(n int) sources.Reading {
	r := sources.Reading{Key: "p95", Points: make([]float64, 150), Notes: []string{"max of 2 series"}}
	for i := range n {
		r.Exemplars = append(r.Exemplars, sources.Exemplar{At: time.Unix(int64(i), 0), Value: 0.2, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
			Labels: map[string]string{"handler": "/api/messages", "method": "GET", "status": "2xx", "instance": "127.0.0.1:8000", "job": "fastapi-app"}})
	}
	return r
}

// BenchmarkValueOfAMetricReading: what a metric pane's poll costs to make
// safe when its chart carries the most exemplars it keeps (1,000 dots).
func BenchmarkValueOfAMetricReading(b *testing.B) {
	r := metricReading(1000)
	b.ReportAllocs()
	for b.Loop() {
		c := r
		Value(&c)
	}
}
