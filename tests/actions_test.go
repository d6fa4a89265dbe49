package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThirdPartyActionsPinned: every GitHub Action outside GitHub's own
// actions/ organisation is pinned by a full commit SHA (a tag can be moved
// to other code), with the tag it stands for in a comment.
func TestThirdPartyActionsPinned(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	uses := regexp.MustCompile(`(?m)^\s*-?\s*uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`@[0-9a-f]{40}$`)
	seen := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range uses.FindAllStringSubmatch(string(data), -1) {
			ref, rest := m[1], m[2]
			if strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "actions/") {
				continue
			}
			seen++
			assert.Regexp(t, pinned, ref, "%s: %s must be pinned by commit SHA", f, ref)
			assert.Regexp(t, `#\s*v\d`, rest, "%s: %s should name its tag in a comment", f, ref)
		}
	}
	assert.Positive(t, seen, "no third-party action found: is the pattern still right?")
}
