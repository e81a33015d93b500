package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/jobnotify/jobnotify/config"
	"github.com/jobnotify/jobnotify/envcollect"
	"github.com/jobnotify/jobnotify/internal/weburl"
	"github.com/jobnotify/jobnotify/redact"
)

func TestGoldenGetQuery(t *testing.T) {
	environ := jenkinsEnv(t)
	toml := "url = \"http://127.0.0.1:9/pipeline/status?a=1\"\nmethod = \"get\"\n" + goldenTOML
	s := resolve(t, toml, config.Overrides{}, envMap(environ))
	r, err := Build(envcollect.Collect(environ, envcollect.Options(s.Env)), s, goldenInput(t), "1.2.3")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if r.Body.Bytes() != nil {
		t.Errorf("Body: got %q, want nil for GET", r.Body)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, "http://127.0.0.1:9/pipeline/status"; got != want {
		t.Errorf("URL: got %s, want %s", got, want)
	}
	if !strings.HasPrefix(u.RawQuery, "a=1&") {
		t.Errorf("query: got %.40s…, want the URL's own a=1 first", u.RawQuery)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		t.Fatalf("the query does not parse: %v", err)
	}
	for k, v := range map[string]string{
		"a":                  "1",
		"level":              "field",
		"team":               "platform",
		"build.number":       "42",
		"build.display_name": "from --body",
		"deploy.replicas":    "3",
		"checks.1":           "test",
		"report.url":         "https://ci.example.com/report?a=1&b=2",
		"change.title":       "Add the <new> & improved deploy",
		"id":                 testID,
	} {
		if got := q[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s: got %q, want [%q]", k, got, v)
		}
	}
	out := []byte(u.RawQuery + "\n")
	golden(t, "get-query.txt", out)
	assertNoCanary(t, "get-query.txt", out)
	if q.Has("env.GITHUB_TOKEN") || q.Has("env.DEPLOY_API_KEY") {
		t.Error("a secret-named variable is in the query")
	}
}

const dryRunTOML = `url = "http://hook-user:${HOOK_PASSWORD}@127.0.0.1:8080/pipeline/status?token=${HOOK_TOKEN}&team=ops"

[headers]
Authorization = "Bearer ${NOTIFY_TOKEN}"
X-Request-Source = "jenkins"
`

func TestGoldenDryRun(t *testing.T) {
	environ := jenkinsEnv(t)
	env := envMap(environ)
	env["NOTIFY_TOKEN"] = "canary-bearer-notify-token"
	env["HOOK_TOKEN"] = "canary-url-query-token"
	env["HOOK_PASSWORD"] = "canary-url-userinfo-password"
	secrets := []string{env["NOTIFY_TOKEN"], env["HOOK_TOKEN"], env["HOOK_PASSWORD"], "hook-user"}

	s := resolve(t, dryRunTOML+goldenTOML, config.Overrides{}, env)
	r, err := Build(envcollect.Collect(environ, envcollect.Options(s.Env)), s, goldenInput(t), "1.2.3")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	// The request itself carries the real values.
	if got, want := r.Header.Get("Authorization"), "Bearer canary-bearer-notify-token"; got != want {
		t.Errorf("Authorization: got %q, want %q", got, want)
	}
	if !strings.Contains(r.URL, "token=canary-url-query-token") {
		t.Errorf("URL: got %s, want the real token in it", weburl.Display(r.URL))
	}

	var buf bytes.Buffer
	if err := r.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	golden(t, "dry-run.txt", out)
	assertNoCanary(t, "dry-run.txt", out, secrets...)
	for _, want := range []string{
		"POST http://127.0.0.1:8080/pipeline/status?token=***&team=***\n",
		"\nAuthorization: ***\n",
		"\nIdempotency-Key: " + testID + "\n",
		"\nUser-Agent: jobnotify/1.2.3\n",
		"\nX-Request-Source: jenkins\n",
		"\n\n{",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("dry run: got\n%s\nwant it to contain %q", out, want)
		}
	}
	// Nothing the redactor knows is left in it.
	if got := redact.New(append(Secrets(EndpointOf(s)), s.Secrets...)...).String(string(out)); got != string(out) {
		t.Errorf("the redactor changes the dry run: got\n%s\nwant\n%s", got, out)
	}
}

func TestBuildHeaders(t *testing.T) {
	const u = "http://127.0.0.1:9/hook"
	tests := []struct {
		name       string
		toml       string   // after the url line
		headers    []string // --header values
		method     string
		wantHeader http.Header
		wantHost   string
		wantBody   bool
	}{
		{
			name:     "POST defaults",
			method:   "POST",
			wantBody: true,
			wantHeader: http.Header{
				"User-Agent": {"jobnotify/1.2.3"}, "Idempotency-Key": {testID}, "Content-Type": {"application/json"},
			},
		},
		{name: "PUT has a content type", method: "put", wantBody: true, wantHeader: http.Header{
			"User-Agent": {"jobnotify/1.2.3"}, "Idempotency-Key": {testID}, "Content-Type": {"application/json"},
		}},
		{name: "PATCH has a content type", method: "PATCH", wantBody: true, wantHeader: http.Header{
			"User-Agent": {"jobnotify/1.2.3"}, "Idempotency-Key": {testID}, "Content-Type": {"application/json"},
		}},
		{name: "DELETE has a content type", method: "DELETE", wantBody: true, wantHeader: http.Header{
			"User-Agent": {"jobnotify/1.2.3"}, "Idempotency-Key": {testID}, "Content-Type": {"application/json"},
		}},
		{name: "GET has no content type", method: "GET", wantHeader: http.Header{
			"User-Agent": {"jobnotify/1.2.3"}, "Idempotency-Key": {testID},
		}},
		{
			name:   "config headers replace defaults whatever their case",
			method: "POST",
			toml: `[headers]
user-agent = "custom/1"
CONTENT-TYPE = "application/vnd.example+json"
x-team = "platform"`,
			wantBody: true,
			wantHeader: http.Header{
				"User-Agent": {"custom/1"}, "Idempotency-Key": {testID},
				"Content-Type": {"application/vnd.example+json"}, "X-Team": {"platform"},
			},
		},
		{
			name:     "--header replaces a config header",
			method:   "POST",
			toml:     "[headers]\nX-Team = \"from config\"",
			headers:  []string{"x-team: from flag"},
			wantBody: true,
			wantHeader: http.Header{
				"User-Agent": {"jobnotify/1.2.3"}, "Idempotency-Key": {testID},
				"Content-Type": {"application/json"}, "X-Team": {"from flag"},
			},
		},
		{
			name:     "an empty value removes the header",
			method:   "POST",
			toml:     "[headers]\nUser-Agent = \"\"",
			headers:  []string{"idempotency-key:"},
			wantBody: true,
			wantHeader: http.Header{
				"Content-Type": {"application/json"},
			},
		},
		{
			name:     "Host sets the request's host",
			method:   "POST",
			headers:  []string{"host: hooks.example.com"},
			wantBody: true,
			wantHost: "hooks.example.com",
			wantHeader: http.Header{
				"User-Agent": {"jobnotify/1.2.3"}, "Idempotency-Key": {testID}, "Content-Type": {"application/json"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ov config.Overrides
			if err := ov.Set("method", tt.method, "--method"); err != nil {
				t.Fatal(err)
			}
			for _, h := range tt.headers {
				hd, err := config.NewHeader(h, "--header")
				if err != nil {
					t.Fatal(err)
				}
				ov.Headers = append(ov.Headers, hd)
			}
			s := resolve(t, "url = \""+u+"\"\n"+tt.toml, ov, nil)
			r, err := Build(testContext(), s, Input{ID: testID, Time: testTime}, "1.2.3")
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if !reflect.DeepEqual(r.Header, tt.wantHeader) {
				t.Errorf("Header: got %v, want %v", r.Header, tt.wantHeader)
			}
			if r.Host != tt.wantHost {
				t.Errorf("Host: got %q, want %q", r.Host, tt.wantHost)
			}
			if got := r.Body.Bytes() != nil; got != tt.wantBody {
				t.Errorf("has a body: got %v, want %v", got, tt.wantBody)
			}
			if r.ID != testID {
				t.Errorf("ID: got %q, want %q", r.ID, testID)
			}
			if want := strings.ToUpper(tt.method); r.Method != want {
				t.Errorf("Method: got %q, want %q", r.Method, want)
			}
			if tt.wantBody {
				var p map[string]any
				if err := json.Unmarshal(r.Body.Bytes(), &p); err != nil || p["id"] != testID {
					t.Errorf("Body: got %s (%v), want the JSON payload", r.Body, err)
				}
				if r.URL != u {
					t.Errorf("URL: got %s, want %s", r.URL, u)
				}
			} else if !strings.HasPrefix(r.URL, u+"?") || !strings.Contains(r.URL, "id="+testID) {
				t.Errorf("URL: got %s, want the payload in its query", r.URL)
			}
		})
	}
}

func TestBuildBadID(t *testing.T) {
	s := resolve(t, "", urlOverride("http://127.0.0.1:9/"), nil)
	tests := []struct {
		name string
		id   string
	}{
		{name: "empty", id: ""},
		{name: "CR LF", id: "abc\r\nX-Injected: 1"},
		{name: "LF", id: "abc\ndef"},
		{name: "NUL", id: "abc\x00"},
		{name: "too long", id: strings.Repeat("a", 201)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Build(testContext(), s, Input{ID: tt.id, Time: testTime}, "1")
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, %v, want an *InputError", r, err)
			}
			if ie.Where != "--id" {
				t.Errorf("Where: got %q, want --id", ie.Where)
			}
			if tt.id != "" && strings.Contains(err.Error(), tt.id) {
				t.Errorf("the error %q echoes the id", err)
			}
		})
	}
	if _, err := Build(testContext(), s, Input{ID: strings.Repeat("a", 200), Time: testTime}, "1"); err != nil {
		t.Errorf("a 200-character id: got %v, want no error", err)
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		name string
		p    map[string]any
		want string
	}{
		{name: "empty", p: map[string]any{}, want: ""},
		{
			name: "nested keys dotted and sorted",
			p:    map[string]any{"job": map[string]any{"name": "app", "base_name": "b"}, "build": map[string]any{"number": int64(42)}, "a": "1"},
			want: "a=1&build.number=42&job.base_name=b&job.name=app",
		},
		{
			name: "arrays indexed",
			p:    map[string]any{"tags": []any{"x", map[string]any{"k": "v"}, []any{"deep"}}},
			want: "tags.0=x&tags.1.k=v&tags.2.0=deep",
		},
		{
			name: "arrays of tables from TOML",
			p:    map[string]any{"links": []map[string]any{{"n": "a"}, {"n": "b"}}},
			want: "links.0.n=a&links.1.n=b",
		},
		{
			name: "numbers, bools and null",
			p: map[string]any{"big": json.Number("12345678901234567890"), "f": 1.5, "i": int64(-3), "n": 7,
				"t": true, "no": false, "null": nil},
			want: "big=12345678901234567890&f=1.5&i=-3&n=7&no=false&null=&t=true",
		},
		{
			name: "escaping",
			p:    map[string]any{"msg": "a b&c=d+e/f?g#h%", "k&=y z": "v", "ünï": "çödé"},
			want: "k%26%3Dy+z=v&msg=a+b%26c%3Dd%2Be%2Ff%3Fg%23h%25&%C3%BCn%C3%AF=%C3%A7%C3%B6d%C3%A9",
		},
		{
			name: "dotted key sorts by its full name",
			p:    map[string]any{"a": map[string]any{"b": "1"}, "a-": "2", "a.c": "3"},
			want: "a-=2&a.b=1&a.c=3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Query(tt.p); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQueryRoundTrips(t *testing.T) {
	p := map[string]any{}
	want := url.Values{}
	weird := []string{"plain", "with space", "a&b", "c=d", "e+f", "100%", "ü", "line\nbreak", "#frag", "?q", "semi;colon", ""}
	for i := 0; i < 500; i++ {
		k := fmt.Sprintf("key%03d %s", i, weird[i%len(weird)])
		v := fmt.Sprintf("%s value %d", weird[(i+5)%len(weird)], i)
		p[k] = v
		want.Set(k, v)
	}
	q := Query(p)
	got, err := url.ParseQuery(q)
	if err != nil {
		t.Fatalf("ParseQuery: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d keys, want %d; got %v, want %v", len(got), len(want), got, want)
	}
	// Sorted, as the keys sort.
	var keys []string
	for _, kv := range strings.Split(q, "&") {
		k, _, _ := strings.Cut(kv, "=")
		uk, err := url.QueryUnescape(k)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, uk)
	}
	if !sort.StringsAreSorted(keys) {
		t.Errorf("keys are not sorted: %q…", keys[:5])
	}
}

func TestDump(t *testing.T) {
	r := &Request{
		Method: "PUT",
		Host:   "hooks.example.com",
		Header: http.Header{
			"Authorization": {"Bearer s3cret-value"},
			"Cookie":        {"session=abc123456"},
			"X-Api-Key":     {"k3y-value"},
			"Content-Type":  {"application/json"},
			"B-Multi":       {"one", "two"},
		},
		Body:    NewPieces(`{"a":1}`),
		display: "http://127.0.0.1/x?t=***",
	}
	var buf bytes.Buffer
	if err := r.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	want := `PUT http://127.0.0.1/x?t=***
Host: hooks.example.com
Authorization: ***
B-Multi: one
B-Multi: two
Content-Type: application/json
Cookie: ***
X-Api-Key: ***

{"a":1}
`
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	r.Body, r.Host = Pieces{}, ""
	buf.Reset()
	if err := r.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); !strings.HasSuffix(got, "X-Api-Key: ***\n\n") {
		t.Errorf("without a body: got %q, want it to end after the headers and a blank line", got)
	}
}

// TestRequestWhere: the request as result and failure lines name it, with
// neither the URL's userinfo nor its query (the configured one or GET's
// payload), and the target when there is one.
func TestRequestWhere(t *testing.T) {
	tests := []struct {
		name, method, url, query, target, want string
	}{
		{name: "top level", method: "POST", url: "https://api.example.com/hook", want: "POST https://api.example.com/hook"},
		{name: "target", method: "PUT", url: "https://api.example.com/hook", target: "chat", want: "PUT https://api.example.com/hook (target chat)"},
		{name: "userinfo and query", method: "POST", url: "https://u:pw@api.example.com:8443/a/b?token=t0k", target: "api", want: "POST https://api.example.com:8443/a/b (target api)"},
		{name: "GET payload", method: "GET", url: "http://127.0.0.1:9/s?k=v", query: "status=SUCCESS", want: "GET http://127.0.0.1:9/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRequest(Endpoint{URL: tt.url, Target: tt.target}, tt.method, "id", Pieces{}, tt.query, "test")
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Where(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestShowJSON: the JSON form of a dry run masks what Dump masks by
// itself, with no redactor behind it: sensitive headers and the signature
// header of any name. A JSON body stays JSON, unescaped; another body is a
// string; no body is left out.
func TestShowJSON(t *testing.T) {
	r := &Request{
		Method: "PUT",
		Host:   "hooks.example.com",
		Header: http.Header{
			"Authorization": {"Bearer s3cret-value"},
			"X-Sig":         {"sha256=abc"},
			"Content-Type":  {"application/json"},
			"B-Multi":       {"one", "two"},
		},
		Signing: config.Signing{Header: "x-sig"},
		Body:    NewPieces("{\n  \"a\": \"<b> & c\"\n}"),
		display: "http://127.0.0.1/x?t=***",
	}
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"JSON body", r.Body.Bytes(), `{"method":"PUT","url":"http://127.0.0.1/x?t=***","headers":{"Authorization":"***","B-Multi":"one, two","Content-Type":"application/json","Host":"hooks.example.com","X-Sig":"***"},"body":{"a":"<b> & c"}}`},
		{"text body", []byte("done <ok>\n"), `{"method":"PUT","url":"http://127.0.0.1/x?t=***","headers":{"Authorization":"***","B-Multi":"one, two","Content-Type":"application/json","Host":"hooks.example.com","X-Sig":"***"},"body":"done <ok>\n"}`},
		{"no body", nil, `{"method":"PUT","url":"http://127.0.0.1/x?t=***","headers":{"Authorization":"***","B-Multi":"one, two","Content-Type":"application/json","Host":"hooks.example.com","X-Sig":"***"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.Body = PiecesOf(tt.body)
			// What an encoder without HTML escaping, as send's, writes.
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(Result{Request: r.Show()}); err != nil {
				t.Fatal(err)
			}
			var res struct{ Request json.RawMessage }
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if got := string(res.Request); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	if got := r.Header.Get("Authorization"); got != "Bearer s3cret-value" {
		t.Errorf("Show changed the request's own header: got %q", got)
	}
}
