package safetext

import (
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// BenchmarkValueOfAPoll: what making one poll's results safe costs, at the
// size of a busy Postgres pane (50 sessions) and a metric pane's chart.
func BenchmarkValueOfAPoll(b *testing.B) {
	s := sources.DBSession{PID: 1, User: "origin", Application: "fastapi", State: "active", Query: "SELECT * FROM messages WHERE id = $1", BlockedBy: []int{2}}
	st := sources.DBState{Version: "15", Role: "primary", Database: "origin_db", User: "origin", LongestQuery: &s, LongestTransaction: &s}
	for range 50 {
		st.Sessions = append(st.Sessions, s)
	}
	for range 10 {
		st.Tables = append(st.Tables, sources.DBTable{Name: "public.messages", LastAutovacuum: &time.Time{}})
	}
	r := sources.Reading{Points: make([]float64, 600), Diagnosis: "", Value: 1}
	b.ReportAllocs()
	for b.Loop() {
		c := st
		Value(&c)
		rr := r
		Value(&rr)
	}
}
