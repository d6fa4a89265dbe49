package mdcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot is the directory holding go.mod, found from the test's working
// directory upwards (so the test survives a move of this package).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test")
		dir = parent
	}
}

// TestDocsLinksResolve: every relative link and image in README.md and
// docs/*.md names a file of the repository, and every #fragment a heading
// or anchor of its target, as GitHub renders them.
func TestDocsLinksResolve(t *testing.T) {
	root := repoRoot(t)
	files := []string{"README.md"}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, docs)
	for _, d := range docs {
		files = append(files, "docs/"+filepath.Base(d))
	}
	broken, err := BrokenLinks(root, files...)
	require.NoError(t, err)
	assert.Empty(t, broken)
}

// citation is a docs page cited in plain text, as code, messages and stack
// files do ("docs/gcp-limits.md#cloud-run"); not a path inside a URL.
var citation = regexp.MustCompile(`(?:^|[^\w/.-])(docs/[a-z0-9-]+\.md(?:#[a-z0-9-]+)?)`)

// TestDocsCitationsResolve: every docs/….md#anchor cited in the
// repository's Go, YAML and Markdown files (messages, comments, stack
// files, goldens) names an existing page and heading.
func TestDocsCitationsResolve(t *testing.T) {
	root := repoRoot(t)
	found := map[string][]string{} // citation → files
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", ".bin", "bin", ".tmp":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".go", ".yaml", ".yml", ".md", ".json", ".txt", ".sh":
		default:
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, m := range citation.FindAllStringSubmatch(string(src), -1) {
			found[m[1]] = append(found[m[1]], filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, found)
	var broken []string
	for cite, where := range found {
		if msg := BrokenCitation(root, cite); msg != "" {
			broken = append(broken, msg+" (cited in "+strings.Join(dedupe(where), ", ")+")")
		}
	}
	sort.Strings(broken)
	assert.Empty(t, broken)
}

func dedupe(xs []string) []string {
	sort.Strings(xs)
	var out []string
	for i, x := range xs {
		if i == 0 || xs[i-1] != x {
			out = append(out, x)
		}
	}
	if len(out) > 3 {
		out = append(out[:3], "…")
	}
	return out
}

func TestSlugAndAnchors(t *testing.T) {
	for in, want := range map[string]string{
		"What `make plan` shows":         "what-make-plan-shows",
		"Incident 1278: staging failed":  "incident-1278-staging-failed",
		"On Cloud Run Jobs":              "on-cloud-run-jobs",
		"Scenarios: the moments a stack": "scenarios-the-moments-a-stack",
		"`headroom:targets` (optional)":  "headroomtargets-optional",
		"Connection budget — per DB":     "connection-budget--per-db",
	} {
		assert.Equal(t, want, Slug(in), in)
	}
	as := Anchors([]byte("# A\n\n## Same\n\ntext\n\n## Same\n\n<a id=\"here\"></a>\n\n## [Linked](x.md) `code`\n"))
	for _, a := range []string{"a", "same", "same-1", "here", "linked-code"} {
		assert.True(t, as[a], a)
	}
	assert.False(t, as["same-2"])
}

func TestBrokenLinksFindsWhatIsBroken(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "guide"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "guide", "b.md"), []byte("# Title\n\n## Part two\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "README.md"), []byte(strings.Join([]string{
		"[ok](guide/b.md) [ok](guide/b.md#part-two) [ok](#top) [ok](https://example.com/x.md#nope)",
		"[gone](guide/c.md) [bad anchor](guide/b.md#part-three) [self](#nowhere) [out](../x.md)",
		"",
		"# Top",
	}, "\n")), 0o644))
	broken, err := BrokenLinks(root, "README.md")
	require.NoError(t, err)
	require.Len(t, broken, 4, "%v", broken)
	assert.Contains(t, broken[0], "no file guide/c.md")
	assert.Contains(t, broken[1], "has no heading or anchor #part-three")
	assert.Contains(t, broken[2], "README.md has no heading or anchor #nowhere")
	assert.Contains(t, broken[3], "leaves the repository")
	assert.Empty(t, BrokenCitation(root, "guide/b.md#title"))
	assert.NotEmpty(t, BrokenCitation(root, "guide/b.md#titel"))
}
