package victorialogs

import (
	"strings"
	"testing"
)

func TestAnd(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, "*"},
		{[]string{"", " ", "*"}, "*"},
		{[]string{`service.name:"origin-api"`}, `service.name:"origin-api"`},
		{[]string{`service.name:"origin-api"`, ""}, `service.name:"origin-api"`},
		{[]string{`service.name:"a" OR service.name:"b"`, `error OR warn`},
			`(service.name:"a" OR service.name:"b") AND (error OR warn)`},
		{[]string{`a`, `b`, `c:~"x"`}, `(a) AND (b) AND (c:~"x")`},
	} {
		if got := And(c.in...); got != c.want {
			t.Errorf("And(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCheckFilter(t *testing.T) {
	for _, ok := range []string{"", "error", `_msg:"a | b"`, `(a OR b) AND c`, `"it's"`, `'say "hi"'`, `"esc \" quote"`, "`raw | pipe`", `"C#"`} {
		if err := CheckFilter(ok); err != nil {
			t.Errorf("CheckFilter(%q): %v", ok, err)
		}
	}
	for f, want := range map[string]string{
		"error | stats count()": "pipe",
		"(a OR b":               "parenthesis open",
		"a) OR (b":              "never opened",
		`"open`:                 "quote open",
		`a OR "b\"`:             "quote open",
		"error # and the rest":  "a # outside quotes",
	} {
		if err := CheckFilter(f); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckFilter(%q) = %v, want it to say %q", f, err, want)
		}
	}
}

func TestLevelFilter(t *testing.T) {
	f, err := LevelFilter("error")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`severity_text:~"(?i)^(err|error|fatal|critical|crit|alert|emerg|emergency|panic)$"`, `level:~`, `severity:~`, `severity_number:range[17, 24]`} {
		if !strings.Contains(f, want) {
			t.Errorf("error filter %q lacks %q", f, want)
		}
	}
	if strings.Contains(f, "warn") {
		t.Errorf("error filter %q takes warnings", f)
	}
	if f, _ := LevelFilter("warn"); !strings.Contains(f, "warning|err") || !strings.Contains(f, "range[13, 24]") {
		t.Errorf("warn filter %q", f)
	}
	if f, err := LevelFilter(""); f != "" || err != nil {
		t.Errorf("no level: %q %v", f, err)
	}
	if _, err := LevelFilter("loud"); err == nil {
		t.Error("an unknown level was taken")
	}
}

func TestLevel(t *testing.T) {
	for _, c := range []struct{ text, number, want string }{
		{"ERROR", "17", "error"},
		{"Warning", "", "warn"},
		{"FATAL", "", "error"},
		{"critical", "", "error"},
		{"INFO", "", "info"},
		{"TRACE", "", "debug"},
		{"", "21", "error"},
		{"", "13", "warn"},
		{"", "9", "info"},
		{"", "5", "debug"},
		{"", "99", ""},
		{"", "", ""},
		{"Custom", "", "custom"},
		{strings.Repeat("x", 40), "", ""},
	} {
		if got := Level(c.text, c.number); got != c.want {
			t.Errorf("Level(%q, %q) = %q, want %q", c.text, c.number, got, c.want)
		}
	}
}

func TestParseTenant(t *testing.T) {
	for in, want := range map[string][2]string{"12": {"12", "0"}, "12:34": {"12", "34"}, " 0:0 ": {"0", "0"}} {
		a, p, err := ParseTenant(in)
		if err != nil || a != want[0] || p != want[1] {
			t.Errorf("ParseTenant(%q) = %q %q %v", in, a, p, err)
		}
	}
	for _, bad := range []string{"", "a", "1:b", "-1", "1:2:3", "99999999999"} {
		if _, _, err := ParseTenant(bad); err == nil {
			t.Errorf("ParseTenant(%q) took it", bad)
		}
	}
}
