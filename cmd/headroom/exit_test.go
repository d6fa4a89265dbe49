package main

import (
	"os"
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
