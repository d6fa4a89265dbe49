package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
)

// stackWithP99 writes a project root whose staging stack states the given
// connect p99 target.
func stackWithP99(t *testing.T, p99 string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile("../../stacks/Pulumi.staging.yaml")
	require.NoError(t, err)
	y := strings.Replace(string(b), "    connectP99Seconds: 30\n", "    connectP99Seconds: "+p99+"\n", 1)
	require.NotEqual(t, string(b), y, "the staging stack states connectP99Seconds: 30")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "stacks"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stacks", "Pulumi.staging.yaml"), []byte(y), 0o644))
	p, err := os.ReadFile("../../Pulumi.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), p, 0o644))
	return dir
}

// TestTargetBoundsOneForPlanAndPack: a connect p99 target the pack refuses
// to load (it used to pass plan and policy-config, then fail the real
// `pulumi preview --policy-pack`) is refused by plan and policy-config with
// the pack's own bound and words; the largest value all of them accept
// loads in the pack from policy-config's output.
func TestTargetBoundsOneForPlanAndPack(t *testing.T) {
	const want = "headroom:targets.connectP99Seconds: must be a number in (0, 3600], got 5000"
	bad := stackWithP99(t, "5000")
	_, errOut, code := runCLI(t, "plan", "--config-file", filepath.Join(bad, "stacks", "Pulumi.staging.yaml"))
	assert.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, want)
	_, errOut, code = runCLI(t, "policy-config", "--stack", "staging", "--root", bad)
	assert.Equal(t, exitUsage, code, errOut)
	assert.Contains(t, errOut, want)
	_, err := pack.ParseConfig([]byte(`{"capacity-model": {"targets": {"connectP99Seconds": 5000}}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connectP99Seconds: must be a number in (0, 3600], got 5000")

	edge := stackWithP99(t, "3600")
	out, errOut, code := runCLI(t, "policy-config", "--stack", "staging", "--root", edge)
	require.Equal(t, exitOK, code, errOut)
	c, err := pack.ParseConfig([]byte(out))
	require.NoError(t, err, out)
	assert.Equal(t, 3600.0, c.Targets.ConnectP99Seconds)
}
