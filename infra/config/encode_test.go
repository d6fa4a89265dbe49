package config

import (
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoStackFiles are the stack files of the repository that decode: every
// stacks/Pulumi.*.yaml (all must), and every Pulumi.*.yaml under
// tests/testdata and this package's testdata that decodes without error
// (some are broken on purpose), by path.
func repoStackFiles(t testing.TB) map[string]*File {
	t.Helper()
	out := map[string]*File{}
	stacks, err := filepath.Glob(filepath.Join(repoRoot, "stacks", "Pulumi.*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, stacks)
	for _, p := range stacks {
		f, err := LoadFile(p)
		require.NoError(t, err, p)
		out[p] = f
	}
	for _, dir := range []string{filepath.Join(repoRoot, "tests", "testdata"), "testdata"} {
		err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := e.Name()
			if e.IsDir() || !strings.HasPrefix(name, "Pulumi.") || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
				return nil
			}
			if f, err := LoadFile(p); err == nil {
				out[p] = f
			}
			return nil
		})
		require.NoError(t, err)
	}
	for _, p := range stackFiles {
		require.Contains(t, out, p, "a stack file the other tests load must be in the round trip")
	}
	return out
}

// requireRoundTrip: Values then decode (with the keys that were secret
// marked secret again) gives back the whole Stack.
func requireRoundTrip(t testing.TB, s Stack) map[string]string {
	t.Helper()
	vals, err := s.Values()
	require.NoError(t, err)
	for _, k := range s.SecretConfigKeys() {
		require.Contains(t, vals, k, "a secret key must survive the round trip")
	}
	again, err := decode(s.Name, vals, s.SecretKeys)
	require.NoError(t, err, "Values of a decoded stack must decode")
	require.Equal(t, s, again)
	return vals
}

// everySetting is staging with every key Decode reads set away from its
// default: monitoring, the probe job, targets, assumptions and every
// application setting of a workload.
func everySetting(t *testing.T) map[string]string {
	return applyEdits(t, load(t, "staging").Values,
		edit{"headroom:monitoring", `{"enabled":false,"notificationChannels":["projects/acme-staging/notificationChannels/123"]}`},
		edit{"headroom:probe", `{"enabled":true,"image":"us-docker.pkg.dev/acme/headroom/headroom:1","workload":"auth-service","taskCount":4,"parallelism":2}`},
		edit{"headroom:targets", `{"startupSuccessRate":0.95,"connectP99Seconds":20,"connectionUtilization":0.8}`},
		edit{"headroom:assumptions", `{"seed":7,"handshakeSeconds":0.04}`},
		edit{"headroom:workloads[0].env", `{"LOG_LEVEL":"info","WEB_CONCURRENCY":"2","EMPTY":""}`},
		edit{"headroom:workloads[0].processes", `2`},
		edit{"headroom:workloads[0].secrets", `{"SENTRY_DSN":{"secret":"sentry-dsn"},"STRIPE_KEY":{"secret":"projects/other-proj/secrets/stripe","version":"3"}}`},
		edit{"headroom:workloads[0].ingress", `"internal-and-cloud-load-balancing"`},
		edit{"headroom:workloads[0].invokers", `["group:frontend@example.com","allUsers"]`},
		edit{"headroom:workloads[0].public", `true`},
		edit{"headroom:workloads[0].command", `["gunicorn"]`},
		edit{"headroom:workloads[0].args", `["--workers=2","app:app"]`},
		edit{"headroom:workloads[0].timeoutSeconds", `60`},
		edit{"headroom:workloads[0].cpuAllocation", `"always"`},
		edit{"headroom:workloads[0].executionEnvironment", `"gen2"`},
		edit{"headroom:workloads[0].livenessProbe", `{"path":"/live","initialDelaySeconds":5}`},
		edit{"headroom:workloads[0].serviceAccountRoles", `["roles/pubsub.publisher"]`},
		edit{"headroom:workloads[0].labels", `{"team":"payments","empty":""}`},
		edit{"headroom:workloads[0].ignoreImageChanges", `true`},
		edit{"headroom:workloads[1].env", `{}`},
		edit{"headroom:workloads[1].invokers", `[]`},
		edit{"headroom:consumerStacks", `["acme/app-a/prod","acme/app-b/prod"]`},
	)
}

// TestValuesEveryKey: Values writes every key Decode reads, and each
// setting (not only the struct as a whole) comes back.
func TestValuesEveryKey(t *testing.T) {
	s, err := Decode("staging", everySetting(t))
	require.NoError(t, err)
	require.Equal(t, "auth-service", s.Probe.Workload)
	vals := requireRoundTrip(t, s)
	for _, k := range topKeys {
		assert.Contains(t, vals, Namespace+":"+k)
	}
	assert.Contains(t, vals, ProjectKey)
	for _, want := range []string{`"enabled":false`, `"notificationChannels":["projects/acme-staging/notificationChannels/123"]`} {
		assert.Contains(t, vals["headroom:monitoring"], want)
	}
	for _, want := range []string{`"enabled":true`, `"taskCount":4`, `"parallelism":2`, `"workload":"auth-service"`} {
		assert.Contains(t, vals["headroom:probe"], want)
	}
	for _, want := range []string{`"env":{`, `"secrets":{`, `"ingress":"internal-and-cloud-load-balancing"`, `"invokers":[`,
		`"public":true`, `"command":["gunicorn"]`, `"args":[`, `"timeoutSeconds":60`, `"cpuAllocation":"always"`,
		`"executionEnvironment":"gen2"`, `"livenessProbe":{`, `"serviceAccountRoles":[`, `"labels":{`, `"ignoreImageChanges":true`,
		`"env":{}`, `"invokers":[]`} {
		assert.Contains(t, vals["headroom:workloads"], want)
	}

	// A stack at its defaults leaves the optional sections out.
	d := load(t, "staging").Stack
	dv, err := d.Values()
	require.NoError(t, err)
	for _, k := range []string{"headroom:monitoring", "headroom:probe", "headroom:targets", "headroom:assumptions"} {
		if _, inFile := load(t, "staging").Values[k]; !inFile {
			assert.NotContains(t, dv, k)
		}
	}
}

// TestRoundTripSecrets: keys set with --secret stay secret through
// Values, offline and through the SDK's config (FromPulumi), including a
// secret section left at its defaults.
func TestRoundTripSecrets(t *testing.T) {
	base := everySetting(t)
	base["headroom:targets"] = `{}`
	all := []string{ProjectKey}
	for _, k := range topKeys {
		all = append(all, Namespace+":"+k)
	}
	for _, secret := range [][]string{all, {"headroom:workloads"}, {"headroom:targets"}, {ProjectKey, "headroom:environment"}} {
		t.Run(strings.Join(secret, ","), func(t *testing.T) {
			t.Setenv(pulumi.EnvConfig, "")
			s, err := fromPulumi(t, "staging", WithConfig(base, secret...))
			require.NoError(t, err)
			got := s.SecretConfigKeys()
			want := slices.Clone(secret)
			sort.Strings(want)
			require.Equal(t, want, got)
			vals := requireRoundTrip(t, s)

			again, err := fromPulumi(t, "staging", WithConfig(vals, s.SecretConfigKeys()...))
			require.NoError(t, err)
			require.Equal(t, s, again)
		})
	}
}
