package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFirstBuildSaysItIsSlow: `make plan` builds the CLI through
// scripts/build-cli.sh, which announces the first build (minutes of
// compiling the GCP SDK with no output from go) and stays quiet once the
// binary exists. go is replaced by a stub that writes the -o file.
func TestFirstBuildSaysItIsSlow(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	require.NoError(t, err)
	assert.Contains(t, string(mk), "bash scripts/build-cli.sh $(HEADROOM)", "make plan builds through the script")

	dir := t.TempDir()
	stub := filepath.Join(dir, "go")
	require.NoError(t, os.WriteFile(stub, []byte("#!/bin/sh\n# go build -o OUT PKG\n[ \"$1\" = build ] && [ \"$2\" = -o ] && printf 'bin' > \"$3\" && chmod +x \"$3\"\n"), 0o755))
	out := filepath.Join(dir, "bin", "headroom")
	build := func() string {
		cmd := exec.Command("bash", "scripts/build-cli.sh", out)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GO="+stub)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Run(), stderr.String())
		return stderr.String()
	}
	first := build()
	assert.Contains(t, first, "first time ≈ 4 min")
	assert.Contains(t, first, "compiling the Google Cloud Pulumi SDK")
	assert.FileExists(t, out)
	assert.Empty(t, build(), "a rebuild says nothing")
}
