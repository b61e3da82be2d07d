package sources

import "testing"

func TestStatementRates(t *testing.T) {
	prev := []StatementCounters{
		{QueryID: 1, User: "app", Calls: 100, TotalMS: 1000, Rows: 100},
		{QueryID: 2, User: "app", Calls: 10, TotalMS: 50, Rows: 0},
		{QueryID: 3, User: "app", Calls: 500, TotalMS: 9000, Rows: 500}, // reset before cur
		{QueryID: 1, User: "batch", Calls: 7, TotalMS: 70, Rows: 7},     // same query id, another role
	}
	cur := []StatementCounters{
		{QueryID: 1, User: "app", Calls: 120, TotalMS: 1100, Rows: 140, Query: "SELECT $1"},
		{QueryID: 2, User: "app", Calls: 10, TotalMS: 50, Rows: 0}, // no call in the interval
		{QueryID: 3, User: "app", Calls: 5, TotalMS: 90, Rows: 5},
		{QueryID: 1, User: "batch", Calls: 8, TotalMS: 270, Rows: 8},
		{QueryID: 4, User: "app", Calls: 2, TotalMS: 30, Rows: 2}, // new
	}
	got := StatementRates(prev, cur, true, 10, 50)
	if len(got) != 3 {
		t.Fatalf("want batch 1, app 1, app 4: %+v", got)
	}
	if got[0].User != "batch" || got[0].TotalMS != 200 || got[0].Calls != 1 || got[0].MeanMS != 200 {
		t.Errorf("busiest first: %+v", got[0])
	}
	a := got[1]
	if a.QueryID != 1 || a.Calls != 20 || a.TotalMS != 100 || a.CallsPerSec != 2 || a.LoadMSPerSec != 10 || a.MeanMS != 5 || a.RowsPerCall != 2 || a.Query != "SELECT $1" {
		t.Errorf("differences over the interval: %+v", a)
	}
	if got[2].QueryID != 4 || got[2].Calls != 2 {
		t.Errorf("a new entry counts whole when the last read was complete: %+v", got[2])
	}
	if cut := StatementRates(prev, cur, false, 10, 50); len(cut) != 2 {
		t.Errorf("after a cut read a new entry's history is unknown: %+v", cut)
	}
	if top := StatementRates(prev, cur, true, 10, 1); len(top) != 1 || top[0].User != "batch" {
		t.Errorf("top 1: %+v", top)
	}
	if StatementRates(prev, cur, true, 0, 50) != nil {
		t.Error("no interval, no rates")
	}
}
