package actionpane

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/internal/cmdvars"
)

// TestSelectionCapturedAtThePress: a command using $PID is refused while
// no session is selected, saying what selects one (in the flash, in the
// action list, in Unavailable); pressed with one selected, its preview is
// planned on the value of that moment, whatever is selected by the time
// the preview runs.
func TestSelectionCapturedAtThePress(t *testing.T) {
	sel := map[string]string{"ENV": "qa"}
	var planned []string
	m := New("qa", context.Background(), time.Now, []Action{{
		Name: "inspect", Key: "i", Guard: Confirm, Vars: []string{"PID"},
		With: func(values map[string]string) func(context.Context) (Preview, error) {
			return func(context.Context) (Preview, error) {
				planned = append(planned, values["PID"])
				return Preview{Head: []string{"inspect " + values["PID"]}}, nil
			}
		},
	}}, testKeys())
	m.SetSelection(func() map[string]string {
		out := map[string]string{}
		for k, v := range sel {
			out[k] = v
		}
		return out
	}, cmdvars.Missing)
	if _, ok := m.Press("i"); !ok || !strings.Contains(m.Flash(), "inspect: $PID needs a Postgres session") || m.Active() {
		t.Fatalf("pressed without a session: %q (active %v)", m.Flash(), m.Active())
	}
	if a := m.Actions()[0]; a.Guard != Refused || !strings.Contains(a.Reason, "$PID needs a Postgres session") {
		t.Errorf("the list shows %v %q", a.Guard, a.Reason)
	}
	if why := m.Unavailable("inspect"); !strings.Contains(why, "$PID needs") {
		t.Errorf("unavailable: %q", why)
	}
	sel["PID"] = "4242"
	if a := m.Actions()[0]; a.Guard != Confirm {
		t.Errorf("with a session selected, the list shows %v %q", a.Guard, a.Reason)
	}
	cmd, _ := m.Press("i")
	if cmd == nil {
		t.Fatalf("not started: %q", m.Flash())
	}
	sel["PID"] = "1" // the cursor moves before the preview is read
	m.Update(cmd())
	if len(planned) != 1 || planned[0] != "4242" || !strings.Contains(strings.Join(m.preview.Head, ""), "inspect 4242") {
		t.Errorf("planned on %v, previewing %q", planned, m.preview.Head)
	}
}
