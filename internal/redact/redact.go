package redact

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Mask replaces a secret wherever opsdeck prints redacted values.
const Mask = "xxxxx"

// sensitiveParam reports whether a query-string key's value may be a
// secret: a name holding any of the words credentials go by (auth_token,
// key, sig, X-Amz-Signature, X-Amz-Credential, client_secret, passwd…).
// Masking a harmless value costs a reader little; showing a secret cannot
// be undone.
func sensitiveParam(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"pass", "token", "key", "secret", "sig", "auth", "cred", "jwt", "session_id", "sessionid"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// dsnPassword matches password=... in a libpq key/value connection string.
var dsnPassword = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// URL returns raw with the userinfo password and sensitive query parameters
// masked. It also understands libpq "key=value" strings. Text that is not a URL
// comes back with only DSN-style passwords masked.
func URL(raw string) string {
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") {
		return dsnPassword.ReplaceAllString(raw, "${1}"+Mask)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable: mask anything between "://user:" and "@" by hand.
		return maskUserinfo(raw)
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Mask)
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if sensitiveParam(k) {
				q.Set(k, Mask)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return strings.Replace(u.String(), url.QueryEscape(Mask), Mask, -1)
}

// Text masks the passwords of URLs and of libpq key=value strings found
// anywhere in free text: for messages that quote what a user wrote.
func Text(s string) string {
	return dsnPassword.ReplaceAllString(maskUserinfo(s), "${1}"+Mask)
}

var userinfo = regexp.MustCompile(`(://[^:/@\s]*:)([^@\s]+)@`)

func maskUserinfo(s string) string {
	return userinfo.ReplaceAllString(s, "${1}"+Mask+"@")
}

// SecretsOf returns the secret parts of a URL or DSN (password, sensitive
// query values) in the forms they may appear in text: raw and escaped.
func SecretsOf(raw string) []string {
	var out []string
	if raw == "" {
		return nil
	}
	if !strings.Contains(raw, "://") {
		for _, m := range dsnPassword.FindAllStringSubmatch(raw, -1) {
			out = append(out, strings.Trim(m[2], "'"))
		}
		return out
	}
	u, err := url.Parse(raw)
	if err != nil {
		if m := userinfo.FindStringSubmatch(raw); m != nil {
			out = append(out, m[2])
		}
		return out
	}
	if p, has := u.User.Password(); has {
		out = append(out, p)
	}
	for k, vs := range u.Query() {
		if sensitiveParam(k) {
			out = append(out, vs...)
		}
	}
	return out
}

// minSecretLen avoids scrubbing one- and two-letter "secrets" out of every word.
const minSecretLen = 3

// Scrubber removes known secrets from arbitrary text. The zero value scrubs nothing.
// It is immutable after construction, so it is safe to share between goroutines.
type Scrubber struct {
	secrets []string // longest first, so a secret containing another is masked whole
}

// NewScrubber builds a scrubber for the given secrets, adding their URL-escaped
// and query-escaped spellings.
func NewScrubber(secrets ...string) *Scrubber {
	seen := map[string]bool{}
	var all []string
	add := func(s string) {
		if len(s) >= minSecretLen && !seen[s] && s != Mask {
			seen[s] = true
			all = append(all, s)
		}
	}
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(url.UserPassword("u", s).String()[2:])
		// A header or a body may carry it base64-encoded; short encodings
		// would match ordinary words.
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if e := enc.EncodeToString([]byte(s)); len(e) >= 8 {
				add(e)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	return &Scrubber{secrets: all}
}

// BasicAuth is the secret an HTTP basic-auth header carries: the base64 of
// user:password, which holds no encoding of the password alone.
func BasicAuth(user, password string) string {
	if password == "" {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// authHeader is a credential as an Authorization header writes it, echoed
// back by a server: masked whoever it belongs to.
var authHeader = regexp.MustCompile(`(?i)\b(basic|bearer)(\s+)[A-Za-z0-9+/._~=-]{8,}`)

// With returns a scrubber that also knows the given secrets.
func (s *Scrubber) With(secrets ...string) *Scrubber {
	if s == nil {
		return NewScrubber(secrets...)
	}
	return NewScrubber(append(append([]string{}, s.secrets...), secrets...)...)
}

// String masks every known secret in text, and any URL password it recognises.
func (s *Scrubber) String(text string) string {
	if s != nil {
		for _, secret := range s.secrets {
			if strings.Contains(text, secret) {
				text = strings.ReplaceAll(text, secret, Mask)
			}
		}
	}
	text = authHeader.ReplaceAllString(text, "${1}${2}"+Mask)
	return maskUserinfo(dsnPassword.ReplaceAllString(text, "${1}"+Mask))
}

// Error scrubs an error's message; nil gives "".
func (s *Scrubber) Error(err error) string {
	if err == nil {
		return ""
	}
	return s.String(err.Error())
}
