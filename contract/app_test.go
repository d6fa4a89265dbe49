package contract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCredential(t *testing.T) {
	cases := []struct {
		name, value string
		want        bool
	}{
		{"DATABASE_URL", "postgresql://app:s3cr3t@10.0.0.5:5432/app", true},
		{"DATABASE_URL", "postgresql://app@10.0.0.5:5432/app", false},    // user, no password
		{"DATABASE_URL", "postgresql://app:@10.0.0.5/app", false},        // empty password
		{"CACHE", "redis://:p%40ss@cache:6379/0", true},                  // password only
		{"DSN", "host=a dsn=mysql://u:p#w@db/x", true},                   // embedded, '#' in password
		{"UPSTREAM", "https://api.example.com/v1?x=1", false},            // plain URL
		{"AWS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", true},                     // issued-key shape
		{"GOOGLE_MAPS", "AIzaSyA1234567890abcdefghijklmnopqrstuv", true}, // 39 chars
		{"GH", "ghp_" + strings.Repeat("a", 36), true},
		{"TLS", "-----BEGIN RSA PRIVATE KEY-----\nMII…", true},
		{"JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", true},
		{"DJANGO_SECRET_KEY", "x", true},
		{"DB_PASSWORD_X", "x", false}, // the name does not end in a credential word
		{"SMTP_PASSWORD", "hunter2", true},
		{"TOKEN_TTL_SECONDS", "3600", false},
		{"PASSWORD_MIN_LENGTH", "12", false},
		{"REQUIRE_TOKEN", "true", false},
		{"API_TOKEN", "projects/p/secrets/api-token", false},
		{"API_TOKEN", "/var/secrets/token", false},
		{"API_TOKEN", "", false},
		{"LOG_LEVEL", "debug", false},
		{"SORT_KEY", "name", false}, // KEY without a credential qualifier
		{"ENCRYPTION_KEY", "abc", true},
	}
	for _, c := range cases {
		kind, got := Credential(c.name, c.value)
		assert.Equal(t, c.want, got, "%s=%q (%s)", c.name, c.value, kind)
		if got {
			assert.NotEmpty(t, kind)
		}
	}
}

// FuzzCredential: the kind never contains the value (the one promise
// callers print on), and the detector never panics.
func FuzzCredential(f *testing.F) {
	f.Add("DATABASE_URL", "postgresql://app:s3cr3t@h/db")
	f.Add("API_KEY", "abc")
	f.Add("X", "AKIAIOSFODNN7EXAMPLE")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, name, value string) {
		kind, found := Credential(name, value)
		if !found {
			require.Empty(t, kind)
			return
		}
		if v := strings.TrimSpace(value); len(v) >= 4 {
			require.NotContains(t, kind, v)
		}
	})
}

func TestWorkerCount(t *testing.T) {
	cases := []struct {
		name          string
		command, args []string
		env           map[string]string
		n             int
		source        string
		found, err    bool
	}{
		{name: "nothing", found: false},
		{name: "gunicorn -w", args: []string{"gunicorn", "-w", "4", "app:app"}, n: 4, source: WorkersFromArgs, found: true},
		{name: "--workers=", args: []string{"--workers=3"}, n: 3, source: WorkersFromArgs, found: true},
		{name: "-w2 joined", command: []string{"gunicorn"}, args: []string{"-w2"}, n: 2, source: WorkersFromArgs, found: true},
		{name: "sh -c string", command: []string{"sh", "-c"}, args: []string{"exec uvicorn app:app --workers 5"}, n: 5, source: WorkersFromArgs, found: true},
		{name: "last wins", args: []string{"-w", "2", "--workers", "6"}, n: 6, source: WorkersFromArgs, found: true},
		{name: "args beat env", args: []string{"-w", "2"}, env: map[string]string{"WEB_CONCURRENCY": "8"}, n: 2, source: WorkersFromArgs, found: true},
		{name: "GUNICORN_CMD_ARGS", env: map[string]string{"GUNICORN_CMD_ARGS": "--bind :8080 --workers 3", "WEB_CONCURRENCY": "8"}, n: 3, source: WorkersFromGunicornCmdArgs, found: true},
		{name: "GUNICORN_CMD_ARGS without workers", env: map[string]string{"GUNICORN_CMD_ARGS": "--bind :8080", "WEB_CONCURRENCY": "8"}, n: 8, source: WorkersFromWebConcurrency, found: true},
		{name: "WEB_CONCURRENCY", env: map[string]string{"WEB_CONCURRENCY": " 4 "}, n: 4, source: WorkersFromWebConcurrency, found: true},
		{name: "bad WEB_CONCURRENCY", env: map[string]string{"WEB_CONCURRENCY": "many"}, source: WorkersFromWebConcurrency, err: true},
		{name: "zero workers", args: []string{"-w", "0"}, source: WorkersFromArgs, err: true},
		{name: "dangling -w", args: []string{"-w"}, source: WorkersFromArgs, err: true},
		{name: "-wx is not workers", args: []string{"-wx"}, found: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, src, found, err := WorkerCount(c.command, c.args, c.env)
			if c.err {
				require.Error(t, err)
				assert.Equal(t, c.source, src)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.found, found)
			assert.Equal(t, c.n, n)
			assert.Equal(t, c.source, src)
		})
	}
}

func FuzzWorkerCount(f *testing.F) {
	f.Add("gunicorn -w 4 app:app", "--workers 2", "3")
	f.Add("-w", "", "x")
	f.Fuzz(func(t *testing.T, args, cmdArgs, web string) {
		n, _, found, err := WorkerCount(nil, []string{args}, map[string]string{"GUNICORN_CMD_ARGS": cmdArgs, "WEB_CONCURRENCY": web})
		if found {
			require.NoError(t, err)
			require.GreaterOrEqual(t, n, 1)
		}
	})
}

func TestIngress(t *testing.T) {
	for _, s := range Ingresses {
		v, ok := IngressAPIValue(s)
		require.True(t, ok)
		assert.Equal(t, s, IngressFromAPI(v))
	}
	_, ok := IngressAPIValue("public")
	assert.False(t, ok)
	assert.True(t, IsPublicMember(AllUsers))
	assert.False(t, IsPublicMember("group:ops@example.com"))
}
