package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAppSettingsBad: every application-setting rule refuses its bad
// input with one line naming the key; credential values never appear.
func TestAppSettingsBad(t *testing.T) {
	const pw = "Zq7-hunter2-pw"
	cases := []struct {
		name, stack string
		edits       []edit
		key, msg    string
	}{
		{"DB_ name in env", "staging", []edit{{"headroom:workloads[0].env", `{"DB_POOL_SIZE":"50"}`}},
			"headroom:workloads[0].env.DB_POOL_SIZE", "DB_* names belong to the database contract"},
		{"reserved name", "staging", []edit{{"headroom:workloads[0].env", `{"PORT":"9000"}`}},
			"headroom:workloads[0].env.PORT", "set by Cloud Run itself"},
		{"bad name", "staging", []edit{{"headroom:workloads[0].env", `{"1X":"a"}`}},
			"headroom:workloads[0].env.1X", "environment variable name"},
		{"password URL", "staging", []edit{{"headroom:workloads[0].env", `{"DATABASE_URL":"postgresql://app:` + pw + `@10.0.0.3/app"}`}},
			"headroom:workloads[0].env.DATABASE_URL", "looks like a credential (a URL with a password)"},
		{"credential name", "staging", []edit{{"headroom:workloads[0].env", `{"STRIPE_API_KEY":"` + pw + `"}`}},
			"headroom:workloads[0].env.STRIPE_API_KEY", "…API_KEY"},
		{"secret and env", "staging", []edit{{"headroom:workloads[0].env", `{"A":"1"}`}, {"headroom:workloads[0].secrets", `{"A":{"secret":"a"}}`}},
			"headroom:workloads[0].secrets.A", "also set under headroom:workloads[0].env"},
		{"secret missing id", "staging", []edit{{"headroom:workloads[0].secrets", `{"A":{"version":"2"}}`}},
			"headroom:workloads[0].secrets.A.secret", "required key is missing"},
		{"secret bad version", "staging", []edit{{"headroom:workloads[0].secrets", `{"A":{"secret":"a","version":"v2"}}`}},
			"headroom:workloads[0].secrets.A.version", `"latest" (default) or a version number ≥ 1, got "v2"`},
		{"secret version 0", "staging", []edit{{"headroom:workloads[0].secrets", `{"A":{"secret":"a","version":"0"}}`}},
			"headroom:workloads[0].secrets.A.version", "got \"0\""},
		{"secret bad id", "staging", []edit{{"headroom:workloads[0].secrets", `{"A":{"secret":"a b"}}`}},
			"headroom:workloads[0].secrets.A.secret", "Secret Manager secret ID"},
		{"bad ingress", "staging", []edit{{"headroom:workloads[0].ingress", `"public"`}},
			"headroom:workloads[0].ingress", "one of all, internal, internal-and-cloud-load-balancing"},
		{"allUsers on internal", "staging", []edit{{"headroom:workloads[0].ingress", `"internal"`}, {"headroom:workloads[0].invokers", `["allUsers"]`}},
			"headroom:workloads[0].invokers[0]", "allUsers cannot invoke a service whose ingress is internal"},
		{"allUsers defaults internal in production", "production", []edit{{"headroom:workloads[0].invokers", `["allUsers"]`}},
			"headroom:workloads[0].invokers[0]", "ingress is internal"},
		{"allUsers in production without public", "production", []edit{{"headroom:workloads[0].ingress", `"all"`}, {"headroom:workloads[0].invokers", `["allUsers"]`}},
			"headroom:workloads[0].invokers[0]", "state headroom:workloads[0].public: true"},
		{"bad member", "staging", []edit{{"headroom:workloads[0].invokers", `["ops@example.com"]`}},
			"headroom:workloads[0].invokers[0]", "an IAM member"},
		{"duplicate member", "staging", []edit{{"headroom:workloads[0].invokers", `["group:a@example.com","group:a@example.com"]`}},
			"headroom:workloads[0].invokers[1]", "listed twice"},
		{"args workers disagree", "staging", []edit{{"headroom:workloads[0].args", `["gunicorn","-w","4","app:app"]`}},
			"headroom:workloads[0].args", "starts 4 worker processes but headroom:workloads[0].processes is 1"},
		{"WEB_CONCURRENCY disagrees", "staging", []edit{{"headroom:workloads[0].env", `{"WEB_CONCURRENCY":"3"}`}},
			"headroom:workloads[0].env.WEB_CONCURRENCY", "starts 3 worker processes"},
		{"GUNICORN_CMD_ARGS bad", "staging", []edit{{"headroom:workloads[0].env", `{"GUNICORN_CMD_ARGS":"--workers many"}`}},
			"headroom:workloads[0].env.GUNICORN_CMD_ARGS", "an integer ≥ 1"},
		{"timeout too long", "staging", []edit{{"headroom:workloads[0].timeoutSeconds", `3601`}},
			"headroom:workloads[0].timeoutSeconds", "from 1 to 3600"},
		{"cpu allocation", "staging", []edit{{"headroom:workloads[0].cpuAllocation", `"sometimes"`}},
			"headroom:workloads[0].cpuAllocation", "one of request, always"},
		{"execution environment", "staging", []edit{{"headroom:workloads[0].executionEnvironment", `"gen3"`}},
			"headroom:workloads[0].executionEnvironment", "one of gen1, gen2"},
		{"liveness without path", "staging", []edit{{"headroom:workloads[0].livenessProbe", `{"periodSeconds":5}`}},
			"headroom:workloads[0].livenessProbe.path", "required key is missing"},
		{"liveness timeout > period", "staging", []edit{{"headroom:workloads[0].livenessProbe", `{"path":"/live","periodSeconds":5,"timeoutSeconds":6}`}},
			"headroom:workloads[0].livenessProbe.timeoutSeconds", "≤ periodSeconds, got 6"},
		{"liveness delay", "staging", []edit{{"headroom:workloads[0].livenessProbe", `{"path":"/live","initialDelaySeconds":3601}`}},
			"headroom:workloads[0].livenessProbe.initialDelaySeconds", "from 0 to 3600"},
		{"bad role", "staging", []edit{{"headroom:workloads[0].serviceAccountRoles", `["pubsub.publisher"]`}},
			"headroom:workloads[0].serviceAccountRoles[0]", "an IAM role"},
		{"project-wide accessor", "staging", []edit{{"headroom:workloads[0].serviceAccountRoles", `["roles/secretmanager.secretAccessor"]`}},
			"headroom:workloads[0].serviceAccountRoles[0]", "read every secret"},
		{"program label", "staging", []edit{{"headroom:workloads[0].labels", `{"headroom-public":"true"}`}},
			"headroom:workloads[0].labels.headroom-public", "set by the program"},
		{"bad label value", "staging", []edit{{"headroom:workloads[0].labels", `{"team":"Payments"}`}},
			"headroom:workloads[0].labels.team", `got "Payments"`},
		{"goog label", "staging", []edit{{"headroom:workloads[0].labels", `{"goog-x":"a"}`}},
			"headroom:workloads[0].labels.goog-x", "not goog"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.stack, applyEdits(t, load(t, c.stack).Values, c.edits...))
			require.Error(t, err)
			var ce *Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.key, ce.Key, err.Error())
			assert.Contains(t, err.Error(), c.msg)
			assert.NotContains(t, err.Error(), "\n")
			assert.NotContains(t, err.Error(), pw)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

// TestAppSettingsGood: a workload with every application setting decodes,
// with the defaults filled.
func TestAppSettingsGood(t *testing.T) {
	vals := applyEdits(t, load(t, "staging").Values,
		edit{"headroom:workloads[0].env", `{"LOG_LEVEL":"info","UPSTREAM":"https://api.example.com","WEB_CONCURRENCY":"2","TOKEN_TTL_SECONDS":"3600"}`},
		edit{"headroom:workloads[0].processes", `2`},
		edit{"headroom:workloads[0].secrets", `{"SENTRY_DSN":{"secret":"sentry-dsn"},"STRIPE_KEY":{"secret":"projects/other-proj/secrets/stripe","version":"3"}}`},
		edit{"headroom:workloads[0].ingress", `"internal-and-cloud-load-balancing"`},
		edit{"headroom:workloads[0].invokers", `["group:frontend@example.com","allUsers"]`},
		edit{"headroom:workloads[0].command", `["gunicorn"]`},
		edit{"headroom:workloads[0].args", `["--workers=2","app:app"]`},
		edit{"headroom:workloads[0].timeoutSeconds", `60`},
		edit{"headroom:workloads[0].cpuAllocation", `"always"`},
		edit{"headroom:workloads[0].executionEnvironment", `"gen2"`},
		edit{"headroom:workloads[0].livenessProbe", `{"path":"/live"}`},
		edit{"headroom:workloads[0].serviceAccountRoles", `["roles/pubsub.publisher"]`},
		edit{"headroom:workloads[0].labels", `{"team":"payments"}`},
	)
	s, err := Decode("staging", vals)
	require.NoError(t, err)
	w := s.Workloads[0]
	assert.Equal(t, "latest", w.Secrets["SENTRY_DSN"].Version)
	assert.Equal(t, "3", w.Secrets["STRIPE_KEY"].Version)
	assert.Equal(t, &LivenessProbe{Path: "/live", PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 3}, w.LivenessProbe)
	assert.Equal(t, "60s", w.RequestTimeout())
	// Defaults of the other workload: ingress by environment, request CPU.
	assert.Equal(t, "all", s.Workloads[1].Ingress)
	assert.Equal(t, CPUAllocationRequest, s.Workloads[1].CPUAllocation)
	assert.Equal(t, "", s.Workloads[1].RequestTimeout())

	// Production defaults to internal, and allows allUsers with public: true.
	p, err := Decode("production", applyEdits(t, load(t, "production").Values))
	require.NoError(t, err)
	assert.Equal(t, "internal", p.Workloads[0].Ingress)
	_, err = Decode("production", applyEdits(t, load(t, "production").Values,
		edit{"headroom:workloads[0].ingress", `"all"`}, edit{"headroom:workloads[0].invokers", `["allUsers"]`}, edit{"headroom:workloads[0].public", `true`}))
	require.NoError(t, err)

	// The round trip keeps every setting.
	enc, err := s.Values()
	require.NoError(t, err)
	back, err := Decode("staging", enc)
	require.NoError(t, err)
	assert.Equal(t, s.Workloads, back.Workloads)
	assert.False(t, strings.Contains(enc["headroom:workloads"], "hunter2"))
}
