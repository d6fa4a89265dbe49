package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const appFile = "../../tests/testdata/app/Pulumi.app.yaml"

// TestAppStackPlans: a workload with env, two secrets,
// internal-and-cloud-load-balancing ingress and a group invoker plans.
func TestAppStackPlans(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		stdout, stderr, code := runCLI(t, "plan", "--format", format, "--config-file", appFile)
		require.Equal(t, exitOK, code, stderr)
		assert.Empty(t, stderr)
		if format == "text" {
			assert.Contains(t, stdout, "CPU always allocated", "the cost table prices the allocation")
		}
	}
}

// TestAppBadInput: each bad application setting is refused by the CLI
// with exit 2 and one line naming the key; a credential's value appears
// nowhere in the output, text or JSON.
func TestAppBadInput(t *testing.T) {
	const password = "Zq7-hunter2-pw"
	base, err := os.ReadFile(appFile)
	require.NoError(t, err)
	cases := []struct {
		name, from, to, key string
	}{
		{"DB_ name in env", "        LOG_LEVEL: info\n", "        LOG_LEVEL: info\n        DB_POOL_SIZE: \"50\"\n",
			"headroom:workloads[0].env.DB_POOL_SIZE"},
		{"password URL in env", "        LOG_LEVEL: info\n", "        LOG_LEVEL: info\n        DATABASE_URL: postgresql://app:" + password + "@10.0.0.3:5432/app\n",
			"headroom:workloads[0].env.DATABASE_URL"},
		{"allUsers on an internal service", "ingress: internal-and-cloud-load-balancing\n      invokers: [\"group:frontend@example.com\"]",
			"ingress: internal\n      invokers: [allUsers]", "headroom:workloads[0].invokers[0]"},
		{"worker count contradicts processes", `args: ["--workers", "2",`, `args: ["--workers", "4",`,
			"headroom:workloads[0].args"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Contains(t, string(base), c.from)
			path := filepath.Join(t.TempDir(), "Pulumi.bad.yaml")
			require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(base), c.from, c.to, 1)), 0o644))
			for _, format := range []string{"text", "json"} {
				stdout, stderr, code := runCLI(t, "plan", "--format", format, "--config-file", path)
				assert.Equal(t, exitUsage, code, stderr)
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
				assert.Contains(t, stderr, c.key+": ")
				assert.NotContains(t, stdout+stderr, password)
				assert.NotContains(t, stdout+stderr, "hunter2")
			}
		})
	}
}
