package redact

import (
	"errors"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	cases := map[string]string{
		"postgresql://user:s3cret@pgbouncer:6432/origin_db": "postgresql://user:xxxxx@pgbouncer:6432/origin_db",
		"redis://:hunter2@127.0.0.1:6379/0":                 "redis://:xxxxx@127.0.0.1:6379/0",
		"http://prometheus:9090":                            "http://prometheus:9090",
		"postgres://u@h/db?sslmode=disable&password=pw123":  "postgres://u@h/db?password=xxxxx&sslmode=disable",
		"host=db user=app password='p w' dbname=x":          "host=db user=app password=xxxxx dbname=x",
		"host=db password=abc123 dbname=x":                  "host=db password=xxxxx dbname=x",
		"":                                                  "",
		"postgres://user:p%40ss@h/db":                       "postgres://user:xxxxx@h/db",
		// Credentials by any of their names; other parameters shown.
		"http://vl:9428/?auth_token=LEAK&step=1m":                 "http://vl:9428/?auth_token=xxxxx&step=1m",
		"https://s3/b?X-Amz-Signature=LEAK&X-Amz-Credential=LEAK": "https://s3/b?X-Amz-Credential=xxxxx&X-Amz-Signature=xxxxx",
		"http://proxy/?key=LEAK&sig=LEAK&client_secret=LEAK":      "http://proxy/?client_secret=xxxxx&key=xxxxx&sig=xxxxx",
		"postgres://u@h/db?sslmode=require&application_name=x":    "postgres://u@h/db?sslmode=require&application_name=x",
	}
	for in, want := range cases {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSecretsOfAndScrubber(t *testing.T) {
	dsn := "postgres://app:p@ss/w0rd@db:5432/x?sslpassword=keypass"
	secrets := SecretsOf("postgres://app:p%40ss%2Fw0rd@db:5432/x?sslpassword=keypass")
	if len(secrets) != 2 || secrets[0] != "p@ss/w0rd" {
		t.Fatalf("SecretsOf = %q", secrets)
	}
	s := NewScrubber(secrets...)
	for _, text := range []string{
		"failed to connect: password p@ss/w0rd rejected",
		"dial postgres://app:p%40ss%2Fw0rd@db:5432/x failed",
		"keypass was wrong",
		dsn,
	} {
		got := s.String(text)
		if strings.Contains(got, "w0rd") || strings.Contains(got, "keypass") {
			t.Errorf("secret survived scrubbing: %q -> %q", text, got)
		}
		if !strings.Contains(got, Mask) {
			t.Errorf("nothing masked in %q -> %q", text, got)
		}
	}
	if got := s.Error(errors.New("plain error")); got != "plain error" {
		t.Errorf("unrelated text changed: %q", got)
	}
	var zero *Scrubber
	if got := zero.String("redis://:abc@h:1"); got != "redis://:xxxxx@h:1" {
		t.Errorf("nil scrubber should still mask URL passwords, got %q", got)
	}
	if got := s.With("tok3n").String("Bearer tok3n and p@ss/w0rd"); strings.Contains(got, "tok3n") || strings.Contains(got, "w0rd") {
		t.Errorf("With lost a secret: %q", got)
	}
}

// TestSecretsOfEveryCredentialParam: a credential by a name of its own
// (auth_token) is a secret the scrubber masks in text that quotes it.
func TestSecretsOfEveryCredentialParam(t *testing.T) {
	got := SecretsOf("http://vl:9428/?auth_token=LEAKAUTH&step=1m")
	if len(got) != 1 || got[0] != "LEAKAUTH" {
		t.Fatalf("SecretsOf = %q", got)
	}
	if s := NewScrubber(got...).String("cannot reach http://vl:9428/?auth_token=LEAKAUTH"); strings.Contains(s, "LEAKAUTH") {
		t.Errorf("scrubbed: %q", s)
	}
}
