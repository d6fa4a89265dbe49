// Package golden compares test output with files under testdata; `go test
// -update` rewrites them from the current output. It is imported by tests
// only, and owns the -update flag so packages do not each declare it.
package golden

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// Update reports whether the test run was asked to rewrite goldens.
func Update() bool { return *update }

// Assert compares got with the golden file at path; with -update it writes
// got there first, so the comparison documents what was written.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden %s missing: run go test -update", path)
	assert.Equal(t, string(want), string(got), "golden %s differs: run go test -update and review the diff", path)
}
