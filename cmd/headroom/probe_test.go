package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/testkit/pgtest"
)

// TestMain starts one throwaway PostgreSQL for the probe and calibrate
// command tests (skipped without PostgreSQL unless HEADROOM_REQUIRE_POSTGRES=1).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// execCmd runs one subcommand through the real entry point (root command,
// exit-code mapping) and returns stdout, stderr and the exit code.
func execCmd(t *testing.T, name string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{name}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestProbeBadInput(t *testing.T) {
	t.Setenv(envProbeDSN, "")
	local := "postgres://u:secretpw@127.0.0.1:1/db?sslmode=disable"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no dsn", nil, "--dsn: required"},
		{"bad format", []string{"--dsn", local, "--format", "xml"}, "--format"},
		{"zero instances", []string{"--dsn", local, "--instances", "0"}, "--instances"},
		{"too many sessions", []string{"--dsn", local, "--instances", "5000", "--startup-connections", "10"}, "--instances × --startup-connections: instances × startup connections must be at most 10000 sessions"},
		{"too many startup connections", []string{"--dsn", local, "--startup-connections", "101"}, "--startup-connections: must be 1…100, got 101"},
		{"negative ramp", []string{"--dsn", local, "--ramp", "-1s"}, "--ramp: must be ≥ 0"},
		{"zero connect timeout", []string{"--dsn", local, "--connect-timeout", "0"}, "--connect-timeout: must be > 0"},
		{"negative attempt timeout", []string{"--dsn", local, "--attempt-timeout", "-1s"}, "--attempt-timeout: must be ≥ 0"},
		{"negative retry initial", []string{"--dsn", local, "--retry-initial", "-1s"}, "--retry-initial: must be ≥ 0"},
		{"bad multiplier", []string{"--dsn", local, "--retry-multiplier", "0.5"}, "--retry-multiplier: must be ≥ 1"},
		{"retry max below initial", []string{"--dsn", local, "--retry-initial", "2s", "--retry-max", "1s"}, "--retry-max: must be ≥ the initial retry delay (2s)"},
		{"malformed monitor dsn", []string{"--dsn", local, "--monitor-dsn", "postgres://u:secretpw@127.0.0.1:notaport/db"}, "--monitor-dsn:"},
		{"monitor not loopback", []string{"--dsn", local, "--monitor-dsn", "postgres://u:secretpw@10.1.2.3:5432/db"}, "--monitor-dsn: target is not a loopback address"},
		{"churn too many workers", []string{"--dsn", local, "--churn", "1s", "--instances", "5001"}, "--instances: must be 1…5000"},
		{"negative hold", []string{"--dsn", local, "--hold", "-1s"}, "--hold"},
		{"no deadline", []string{"--dsn", local, "--deadline", "0"}, "--deadline"},
		{"workload without stack", []string{"--dsn", local, "--workload", "api"}, "--workload: needs --stack"},
		{"target out of range", []string{"--dsn", local, "--target-success-rate", "1.5"}, "--target-success-rate"},
		{"not loopback", []string{"--dsn", "postgres://u:secretpw@10.1.2.3:5432/db"}, "--i-know-this-is-not-production"},
		{"malformed dsn", []string{"--dsn", "postgres://u:secretpw@127.0.0.1:notaport/db"}, "--dsn"},
		{"unknown flag", []string{"--nope"}, "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := execCmd(t, "probe", tc.args...)
			assert.Equal(t, exitUsage, code, errOut)
			assert.Contains(t, errOut, tc.want)
			assert.NotContains(t, errOut, "secretpw", "passwords never reach the output")
			first, _, _ := strings.Cut(errOut, "\n")
			assert.Contains(t, first, tc.want, "the error is one line")
		})
	}
}

// TestProbeMeetsTargets: 5 instances × 2 under the limit all get ready
// and the server sees all 10 sessions at once. The hold (6 s) outlasts the
// connect timeout (5 s): every instance is ready or has given up within
// 5 s of the start (no ramp), so every ready instance still holds when the
// last one gets ready, whatever the machine's speed. (With a 200 ms hold,
// a busy machine spread the instances' readiness over more than the hold
// and the server saw 7.)
func TestProbeMeetsTargets(t *testing.T) {
	c := pgtest.Shared(t)
	out, errOut, code := execCmd(t, "probe", "--dsn", c.DSN, "--monitor-dsn", c.AdminDSN,
		"--instances", "5", "--startup-connections", "2", "--connect-timeout", "5s", "--hold", "6s",
		"--deadline", "30s", "--format", "json")
	require.Equal(t, exitOK, code, errOut)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	assert.Equal(t, 1.0, doc["successRate"])
	assert.Equal(t, true, doc["pass"])
	outcomes := doc["outcomes"].(map[string]any)
	for _, k := range []string{"ok", "too_many_clients", "refused", "timeout", "auth", "other"} {
		assert.Contains(t, outcomes, k)
	}
	assert.Equal(t, 10.0, outcomes["ok"])
	for _, k := range []string{"timeToReady", "connectLatency", "attemptLatency"} {
		p := doc[k].(map[string]any)
		for _, q := range []string{"p50", "p95", "p99"} {
			assert.Contains(t, p, q, k)
		}
	}
	assert.Equal(t, 10.0, doc["peakSessions"])
	assert.Equal(t, 0.0, doc["leftoverSessions"])
}

func TestProbeFailsTargetsText(t *testing.T) {
	c := pgtest.Shared(t)
	// 20 × 2 against 27 usable slots, nobody releases within 1 s: some
	// instances cannot start, success < 90 % → exit 1.
	out, errOut, code := execCmd(t, "probe", "--dsn", c.DSN, "--instances", "20", "--startup-connections", "2",
		"--connect-timeout", "1s", "--retry-initial", "50ms", "--retry-max", "200ms", "--hold", "1500ms", "--deadline", "30s")
	require.Equal(t, exitViolations, code, errOut)
	assert.Contains(t, out, "startupSuccessRate")
	assert.Regexp(t, `startupSuccessRate\s+\d+/20 = [\d.]+ %\s+target ≥ 90.0 %\s+FAIL`, out)
	assert.Regexp(t, `connectP99Seconds\s+[\d.]+ s\s+target ≤ 30 s\s+PASS`, out)
	assert.Contains(t, out, "too_many_clients")
}

func TestProbeFromStack(t *testing.T) {
	c := pgtest.Shared(t)
	orig := loadStack
	t.Cleanup(func() { loadStack = orig })
	loadStack = func(root, stack string) (config.Stack, error) {
		require.Equal(t, "staging", stack)
		return config.Stack{
			Environment: "staging",
			Workloads: []config.Workload{{
				Name: "api", MaxInstances: 3,
				DB: config.WorkloadDB{StartupConnections: 2, ConnectTimeoutSeconds: 4},
			}},
			Targets:     config.Targets{StartupSuccessRate: 0.95, ConnectP99Seconds: 10},
			Assumptions: config.Assumptions{RetryInitialSeconds: 0.05, RetryMaxSeconds: 0.5, RetryMultiplier: 3},
		}, nil
	}
	out, errOut, code := execCmd(t, "probe", "--dsn", c.DSN, "--stack", "staging", "--format", "json", "--instances", "4")
	require.Equal(t, exitOK, code, errOut)
	var doc probeOutput
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, 4, doc.Settings.Instances, "explicit flag wins over the stack")
	assert.Equal(t, 2, doc.Settings.StartupConnections)
	assert.Equal(t, 4.0, doc.Settings.ConnectTimeoutSeconds)
	assert.Equal(t, 3.0, doc.Settings.RetryMultiplier)
	assert.Equal(t, "api", doc.Settings.Workload)
	assert.Equal(t, 0.95, doc.Targets.StartupSuccessRate)
	assert.Equal(t, 10.0, doc.Targets.ConnectP99Seconds)

	// A stack that states no retry policy is probed with the model's.
	loadStack = func(root, stack string) (config.Stack, error) {
		return config.Stack{Environment: "staging", Workloads: []config.Workload{{
			Name: "api", MaxInstances: 2, DB: config.WorkloadDB{StartupConnections: 1, ConnectTimeoutSeconds: 4},
		}}}, nil
	}
	out, errOut, code = execCmd(t, "probe", "--dsn", c.DSN, "--stack", "staging", "--format", "json")
	require.Equal(t, exitOK, code, errOut)
	doc = probeOutput{}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	d := capacity.DefaultAssumptions()
	assert.Equal(t, []float64{d.RetryInitialSeconds, d.RetryMaxSeconds, d.RetryMultiplier},
		[]float64{doc.Settings.RetryInitialSeconds, doc.Settings.RetryMaxSeconds, doc.Settings.RetryMultiplier})
	assert.Equal(t, capacity.DefaultStartupSuccessRate, doc.Targets.StartupSuccessRate)

	// Unknown workload → exit 2 naming the flag.
	_, errOut, code = execCmd(t, "probe", "--dsn", c.DSN, "--stack", "staging", "--workload", "worker")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `--workload: "worker" is not a workload of stack staging`)
}

func TestProbeStackEnvironmentGatesNonLoopback(t *testing.T) {
	orig := loadStack
	t.Cleanup(func() { loadStack = orig })
	for _, env := range []string{"production", "staging"} {
		t.Run(env, func(t *testing.T) {
			loadStack = func(string, string) (config.Stack, error) {
				return config.Stack{Environment: env, Workloads: []config.Workload{{Name: "api", MaxInstances: 1,
					DB: config.WorkloadDB{StartupConnections: 1, ConnectTimeoutSeconds: 0.2}}}}, nil
			}
			// --instances 0 is rejected after the safety gate, so the
			// staging case proves the gate let it through without sending
			// a single packet off the machine.
			_, errOut, code := execCmd(t, "probe", "--dsn", "postgres://u:p@192.0.2.1:5432/db?sslmode=disable",
				"--stack", env, "--instances", "0")
			assert.Equal(t, exitUsage, code)
			if env == "production" {
				assert.Contains(t, errOut, "not a loopback")
			} else {
				assert.NotContains(t, errOut, "not a loopback")
				assert.Contains(t, errOut, "--instances")
			}
		})
	}
}

func TestCalibrateWritesAssumptions(t *testing.T) {
	c := pgtest.Shared(t)
	path := filepath.Join(t.TempDir(), "assumptions.yaml")
	out, errOut, code := execCmd(t, "calibrate", "--dsn", c.DSN, "--out", path, "--serial", "5", "--burst", "500ms")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "max_connections            30")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var a config.Assumptions
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&a), "%s", data)
	assert.Greater(t, a.AcceptRatePerSecond, 0.0)
	assert.Greater(t, a.HandshakeSeconds, 0.0)
	assert.GreaterOrEqual(t, a.ReservedConnections, 3)
}

func TestCalibrateBadInput(t *testing.T) {
	t.Setenv(envProbeDSN, "")
	for _, args := range [][]string{
		nil,
		{"--dsn", "postgres://u:p@127.0.0.1:1/db", "--serial", "0"},
		{"--dsn", "postgres://u:p@10.0.0.1:5432/db"},
	} {
		_, errOut, code := execCmd(t, "calibrate", args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut)
	}
}

func TestCalibrateServerDown(t *testing.T) {
	// Nothing listens on port 1: an environment failure (exit 4), with the
	// outcome class in the one-line error.
	_, errOut, code := execCmd(t, "calibrate", "--dsn", "postgres://u:secretpw@127.0.0.1:1/db?sslmode=disable", "--attempt-timeout", "500ms")
	assert.Equal(t, exitInternal, code, errOut)
	assert.Contains(t, errOut, "refused")
	assert.NotContains(t, errOut, "secretpw")
}

// A bare probe (and every probe task) retries the way the plan assumes the
// apps do: the flag defaults are the capacity model's, not a second copy.
func TestProbeFlagDefaultsAreTheModels(t *testing.T) {
	want := map[string]string{
		"retry-initial":    seconds(capacity.DefaultRetryInitialSeconds).String(),
		"retry-max":        seconds(capacity.DefaultRetryMaxSeconds).String(),
		"retry-multiplier": strconv.FormatFloat(capacity.DefaultRetryMultiplier, 'g', -1, 64),
	}
	for _, cmd := range []*cobra.Command{newProbeCmd(), newProbeTaskCmd()} {
		for name, def := range want {
			fl := cmd.Flags().Lookup(name)
			require.NotNil(t, fl, "%s --%s", cmd.Name(), name)
			assert.Equal(t, def, fl.DefValue, "%s --%s", cmd.Name(), name)
		}
		assert.Contains(t, cmd.Flags().Lookup("target-success-rate").Usage, defaultSuccessText, cmd.Name())
	}
}
