package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestBaseURLPathAndQueryOnEveryRequest: a base URL behind a proxy, with a
// path and a token in its query string, keeps both on every request, Do's
// and Open's, beside the request's own path and query; an escaped slash in
// a request's path stays escaped.
func TestBaseURLPathAndQueryOnEveryRequest(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	for _, base := range []string{srv.URL + "/vlogs/?token=x", srv.URL + "/vlogs?token=x"} {
		got = nil
		a, err := NewAPI(APIOptions{Name: "test", URL: base})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := a.Do(context.Background(), http.MethodGet, "/select/logsql/hits?query=a%26b&step=1m", nil, ""); err != nil {
			t.Fatal(err)
		}
		resp, err := a.Open(context.Background(), "/api/traces/a%2Fb", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		a.Close()
		want := []string{"/vlogs/select/logsql/hits?token=x&query=a%26b&step=1m", "/vlogs/api/traces/a%2Fb?token=x"}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("base %s: the server was asked %q, want %q", base, got, want)
		}
	}
}
