package contract

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestParsePostgresDSN(t *testing.T) {
	cases := []struct {
		in         string
		ok         bool
		shape      string
		host, port string
		instance   string
		params     map[string]string
	}{
		{in: "postgresql://app:pw@10.0.0.3:5432/app?connection_limit=10", ok: true, shape: "url", host: "10.0.0.3", port: "5432",
			params: map[string]string{"connection_limit": "10"}},
		{in: "postgres://app@db.internal/app?sslmode=require&pool_max_conns=8", ok: true, shape: "url", host: "db.internal",
			params: map[string]string{"sslmode": "require", "pool_max_conns": "8"}},
		{in: "postgresql+psycopg2://app:p@ss:w/rd@10.0.0.3/app", ok: true, shape: "url", host: "10.0.0.3"},
		{in: "postgresql://app:pw@/app?host=/cloudsql/proj:us-central1:db", ok: true, shape: "url", instance: "proj:us-central1:db"},
		{in: "postgresql://app@%2Fcloudsql%2Fproj%3Aus-central1%3Adb/app", ok: true, shape: "url", instance: "proj:us-central1:db"},
		{in: "postgresql://app@[fd00::3]:5433/app", ok: true, shape: "url", host: "fd00::3", port: "5433"},
		{in: "postgresql://h1:5432,h2:5432/app", ok: true, shape: "url", host: "h1", port: "5432"},
		{in: "jdbc:postgresql://10.0.0.3:5432/app?user=app&password=pw", ok: true, shape: "jdbc", host: "10.0.0.3", port: "5432",
			params: map[string]string{"user": "app"}},
		{in: "jdbc:postgresql:///app?cloudSqlInstance=proj:us-central1:db&socketFactory=com.google.cloud.sql.postgres.SocketFactory",
			ok: true, shape: "jdbc", instance: "proj:us-central1:db"},
		{in: "host=10.0.0.3 port=5432 dbname=app user=app password='a b'", ok: true, shape: "dsn", host: "10.0.0.3", port: "5432",
			params: map[string]string{"dbname": "app", "user": "app"}},
		{in: "host = /cloudsql/proj:us-central1:db dbname=app", ok: true, shape: "dsn", instance: "proj:us-central1:db"},
		{in: "mysql://app@10.0.0.3/app"},
		{in: "https://example.com/?q=1"},
		{in: "just some text"},
		{in: "a=b c=d"},
		{in: ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			ep, ok := ParsePostgresDSN(c.in)
			assert.Equal(t, c.ok, ok)
			if !c.ok {
				return
			}
			assert.Equal(t, c.shape, ep.Shape)
			assert.Equal(t, c.host, ep.Host)
			assert.Equal(t, c.instance, ep.CloudSQLInstance)
			if c.port != "" {
				assert.Equal(t, c.port, ep.Port)
			}
			for k, v := range c.params {
				assert.Equal(t, v, ep.Params[k], k)
			}
			for k := range ep.Params {
				assert.NotContains(t, k, "password", "a password is never kept")
			}
		})
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"env DATABASE_URL=postgresql://app:hunter22@10.0.0.3:5432/app?connection_limit=10",
			"env DATABASE_URL=postgresql://app:***@10.0.0.3:5432/app?connection_limit=10"},
		{"jdbc:postgresql://10.0.0.3/app?user=app&password=hunter22&ssl=true", "jdbc:postgresql://10.0.0.3/app?user=app&password=***&ssl=true"},
		{"host=10.0.0.3 password='hunter 22' dbname=app", "host=10.0.0.3 password=*** dbname=app"},
		{`{"db_password": "hunter22"}`, `{"db_password": ***}`},
		{"https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/x", "https://***@github.com/x"},
		{"token: eyJhbGciOiJIUzI1NiJ9 Bearer AbCdEfGhIjKlMnOpQrStUvWx12345", "token: *** Bearer ***"},
		{"key 3f786850e387550fdab836ed7e6dc881de23001b end", "key *** end"},
		// What a finding says about names stays readable.
		{"service api-us-central1: connection demand 510 on db (urn:pulumi:test::headroom::gcp:cloudrunv2/service:Service::api)",
			"service api-us-central1: connection demand 510 on db (urn:pulumi:test::headroom::gcp:cloudrunv2/service:Service::api)"},
		{"headroom-staging-europe-west1-connector-2 and postgresql://app@10.0.0.3/app",
			"headroom-staging-europe-west1-connector-2 and postgresql://app@10.0.0.3/app"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Redact(c.in), c.in)
	}
}

func isSpaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// FuzzRedact: whatever password a connection string carries, in whichever
// shape, the redacted text never contains it.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"hunter22", "p@ss:w0rd", "a'b\"c", "ünïcødé-pw", "x&y=z", "correct horse"} {
		f.Add(s, "app", "10.0.0.3")
	}
	f.Fuzz(func(t *testing.T, pw, user, host string) {
		// A password this short or this common also occurs in the rest
		// of the text; URL-reserved characters, spaces and control
		// characters must be percent-encoded (nothing can delimit them).
		if len(pw) < 6 || strings.ContainsAny(pw, "/?#@'\"&;,}]") || strings.IndexFunc(pw, isSpaceOrControl) >= 0 || strings.ContainsAny(user, ":@/?# \t\r\n'\"") ||
			strings.ContainsAny(host, "@/?#: \t\r\n'\"") {
			t.Skip()
		}
		texts := func(pw string) []string {
			return []string{
				"postgresql://" + user + ":" + pw + "@" + host + ":5432/app?connection_limit=10",
				"env DATABASE_URL (postgres://" + user + ":" + pw + "@" + host + "/app) is unreadable",
				"jdbc:postgresql://" + host + "/app?user=" + user + "&password=" + pw,
				"host=" + host + " user=" + user + " password=" + pw + " dbname=app",
				"SECRET_TOKEN=" + pw,
			}
		}
		// The same texts with the password left out: where the password
		// still occurs there, it is also something else in the text
		// (host=00000 with the password "=00000").
		without := texts("\x00")
		for i, text := range texts(pw) {
			out := Redact(text)
			if strings.Contains(without[i], pw) {
				continue
			}
			if strings.Contains(out, pw) {
				t.Fatalf("Redact(%q) = %q still contains the password", text, out)
			}
		}
	})
}

// FuzzParsePostgresDSN: any env value is read without panicking, and a
// parsed endpoint never keeps a credential parameter.
func FuzzParsePostgresDSN(f *testing.F) {
	for _, s := range []string{"postgresql://a:b@h:1/d?connection_limit=3", "jdbc:postgresql:///d?cloudSqlInstance=p:us-central1:i",
		"host=/cloudsql/p:us-central1:i dbname=d password='x y'", "postgres://@%2F/x?host=", "postgresql+asyncpg://[::1]:5/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, ok := ParsePostgresDSN(s)
		if !ok {
			return
		}
		for k := range ep.Params {
			if isSecretKey(k) {
				t.Fatalf("ParsePostgresDSN(%q) kept %q", s, k)
			}
		}
		if ep.CloudSQLInstance != "" && !IsConnectionName(ep.CloudSQLInstance) {
			t.Fatalf("ParsePostgresDSN(%q): %q is no connection name", s, ep.CloudSQLInstance)
		}
		_ = ReadDemand(Container{Env: map[string]string{"DATABASE_URL": s}, Args: []string{s}})
	})
}

// redactPlain is Redact by its definition: every regexp on every text.
func redactPlain(s string) string {
	s = redactUserinfo(s)
	s = secretKVRE.ReplaceAllString(s, "${1}"+Redaction)
	s = tokenRE.ReplaceAllStringFunc(s, func(m string) string {
		if looksLikeToken(m) {
			return Redaction
		}
		return m
	})
	return hexRE.ReplaceAllString(s, Redaction)
}

// FuzzRedactShortcuts: Redact's checks that skip a pattern are necessary
// conditions of its match, so Redact equals the plain sequence on any
// text — including case-folded keys outside ASCII (K is a k to (?i)).
func FuzzRedactShortcuts(f *testing.F) {
	for _, s := range []string{
		"", "plain words only", "postgres://u:p4ss@h/db", "PASSWORD=x", "Password: y", "toKen=abc",
		"\u212aey apiKEY=1", "api_\u212aey=zzz", "\u017fecret=x", "pa\u017f\u017f=x", "a " + strings.Repeat("Ab1", 9),
		strings.Repeat("f", 32), "x" + strings.Repeat("f", 32), strings.Repeat("f", 32) + "_", "-" + strings.Repeat("0", 40) + "-",
		"a=" + strings.Repeat("Zz9", 12) + "=b", "password \t=\n1", "'token'  :x", "pass word=1", strings.Repeat("a", 23) + " " + strings.Repeat("9", 23), "cold-start: connection demand 262 (svc-02 (r) 3×14=42 + admin slack 10)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Redact(s), redactPlain(s); got != want {
			t.Fatalf("Redact(%q) = %q, the plain sequence gives %q", s, got, want)
		}
	})
}
