package actions

import (
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	prod := Environment{Name: "production", Protected: true}
	qa := Environment{Name: "qa"}
	sandbox := Environment{Name: "demo", Disposable: true, NoConfirm: true}
	cases := []struct {
		name     string
		env      Environment
		kind     Kind
		readonly bool
		want     Guard
		reason   string
	}{
		{"readonly flag beats everything", sandbox, Safe, true, Refused, "--readonly"},
		{"readonly environment", Environment{Name: "audit", Readonly: true}, Safe, false, Refused, "read-only"},
		{"production reset refused", prod, Reset, false, Refused, "allow_reset"},
		{"production reset allowed needs the name", Environment{Name: "production", Protected: true, AllowReset: true}, Reset, false, TypeName, ""},
		{"production migration needs the name", prod, Dangerous, false, TypeName, ""},
		{"production check runs", prod, Safe, false, None, ""},
		{"qa reset asks", qa, Reset, false, Confirm, ""},
		{"qa migration asks", qa, Dangerous, false, Confirm, ""},
		{"confirm none ignored outside disposable", Environment{Name: "qa", NoConfirm: true}, Reset, false, Confirm, ""},
		{"sandbox one-keystroke reset", sandbox, Reset, false, None, ""},
		{"a silence in production asks y/N", prod, Silence, false, Confirm, ""},
		{"a silence in a sandbox still asks", sandbox, Silence, false, Confirm, ""},
		{"no silence in a read-only environment", Environment{Name: "audit", Readonly: true}, Silence, false, Refused, "read-only"},
		{"no silence with --readonly", qa, Silence, true, Refused, "--readonly"},
		{"protected beats disposable", Environment{Name: "x", Protected: true, Disposable: true, NoConfirm: true, AllowReset: true}, Reset, false, TypeName, ""},
	}
	for _, c := range cases {
		d := Decide(c.env, c.kind, c.readonly)
		if d.Guard != c.want || !strings.Contains(d.Reason, c.reason) {
			t.Errorf("%s: got %v (%q), want %v (%q)", c.name, d.Guard, d.Reason, c.want, c.reason)
		}
	}
	if Refused.String() != "refused" || TypeName.String() == "" {
		t.Error("guard names")
	}
}

// TestEscalate: a preflight's hazard asks for the name where the
// environment is protected and for a y/N where one keystroke would run;
// it never lifts a refusal, and without a hazard nothing changes.
func TestEscalate(t *testing.T) {
	prod := Environment{Name: "production", Protected: true}
	sandbox := Environment{Name: "demo", Disposable: true, NoConfirm: true}
	qa := Environment{Name: "qa"}
	ro := Environment{Name: "audit", Readonly: true}
	cases := []struct {
		env    Environment
		hazard bool
		want   Guard
	}{
		{prod, true, TypeName}, {sandbox, true, Confirm}, {sandbox, false, None}, {qa, true, Confirm}, {ro, true, Refused},
	}
	for _, c := range cases {
		if got := Escalate(Decide(c.env, Dangerous, false), c.env, c.hazard).Guard; got != c.want {
			t.Errorf("%s hazard %v: %v, want %v", c.env.Name, c.hazard, got, c.want)
		}
	}
	// A protected environment that would ask y/N (a silence-like kind) asks
	// for the name once a hazard is found.
	if got := Escalate(Decision{Guard: Confirm}, prod, true).Guard; got != TypeName {
		t.Errorf("protected y/N with a hazard: %v", got)
	}
}
