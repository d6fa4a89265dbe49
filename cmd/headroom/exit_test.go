package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestExitCodes asserts, per command, the exit code of each outcome class
// the command can reach without a cloud or a database: 0 pass, 1 refused by
// the gate, 2 bad input, 3 drift, 4 internal or environment failure. The
// classes that need a live PostgreSQL (probe/calibrate 0 and 1) are in
// probe_test.go; up/drift 0, 1, 3 and 4 against recorded engine output are
// in TestUpAndDriftCommands.
func TestExitCodes(t *testing.T) {
	// A device that refuses every write (ENOSPC) makes writing the report
	// fail whatever the user's privileges.
	const full = "/dev/full"
	down := "postgres://u:p@127.0.0.1:1/db?sslmode=disable"
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"plan pass", []string{"plan", "--stack", "staging"}, exitOK},
		{"plan refused", []string{"plan", "--config-file", incidentFile}, exitViolations},
		{"plan bad input", []string{"plan", "--stack", "nope"}, exitUsage},
		{"plan cannot write its report", []string{"plan", "--stack", "staging", "--out", full}, exitInternal},
		{"schema pass", []string{"schema"}, exitOK},
		{"schema bad input", []string{"schema", "--nope"}, exitUsage},
		{"policy-config pass", []string{"policy-config", "--stack", "staging"}, exitOK},
		{"policy-config bad input", []string{"policy-config"}, exitUsage},
		{"up bad input", []string{"up"}, exitUsage},
		{"drift bad input", []string{"drift"}, exitUsage},
		{"probe bad input", []string{"probe"}, exitUsage},
		// The probe counts refused connections as outcomes of the storm: a
		// server that refuses every one fails the criteria (1), it does not
		// crash the tool.
		{"probe criteria not met", []string{"probe", "--dsn", down, "--instances", "1", "--startup-connections", "1", "--deadline", "1s", "--attempt-timeout", "200ms"}, exitViolations},
		{"calibrate bad input", []string{"calibrate"}, exitUsage},
		{"calibrate environment failure", []string{"calibrate", "--dsn", down, "--attempt-timeout", "200ms"}, exitInternal},
		{"unknown command", []string{"deploy"}, exitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.args) > 0 && tc.args[len(tc.args)-1] == full {
				if _, err := os.Stat(full); err != nil {
					t.Skip("no " + full + " on this system")
				}
			}
			t.Setenv(envProbeDSN, "")
			_, errOut, code := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
		})
	}
}

// TestExitCodeMapping: an error without a code is an internal failure.
func TestExitCodeMapping(t *testing.T) {
	assert.Equal(t, exitOK, exitCode(nil))
	assert.Equal(t, exitInternal, exitCode(os.ErrPermission))
	assert.Equal(t, exitUsage, exitCode(&cobraUsageError{os.ErrInvalid}))
	assert.Equal(t, exitDrift, exitCode(&exitError{Code: exitDrift, Err: os.ErrExist}))
}

// TestConfigErrorNamesLine: a wrong key in a stack file is one line naming
// the file, the key's line and column and the key, exit code 2, for every
// command that loads a stack.
func TestConfigErrorNamesLine(t *testing.T) {
	src, err := os.ReadFile("../../stacks/Pulumi.staging.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "poolSize: 10", "poolSize: x", 1)
	root := t.TempDir()
	path := filepath.Join(root, "stacks", "Pulumi.staging.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string]string{path: bad, filepath.Join(root, "Pulumi.yaml"): "name: headroom\nruntime: go\n"} {
		if err := os.WriteFile(p, []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want := path + `:82:9: headroom:workloads[0].db.poolSize: must be an integer ≥ 1, got "x"`
	for _, args := range [][]string{{"plan", "--config-file", path}, {"plan", "--stack", "staging", "--root", root}, {"policy-config", "--stack", "staging", "--root", root}} {
		_, errOut, code := runCLI(t, args...)
		assert.Equal(t, exitUsage, code, errOut)
		assert.Contains(t, errOut, want, args)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %q", errOut)
	}
}
