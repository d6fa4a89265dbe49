package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/yamlpath"
)

// TestErrorPositions: a config error loaded from a stack file names the
// file's line and column of the offending key (or of its nearest existing
// parent when the key is absent), on one line.
func TestErrorPositions(t *testing.T) {
	staging, err := os.ReadFile(stackFiles["staging"])
	require.NoError(t, err)
	edit := func(pairs ...string) []byte {
		s := string(staging)
		for i := 0; i+1 < len(pairs); i += 2 {
			require.Contains(t, s, pairs[i])
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return []byte(s)
	}
	cases := []struct {
		name      string
		data      []byte
		key       string
		line, col int
		at        string // the text at line:col
	}{
		{"wrong type", edit("poolSize: 10", "poolSize: x"), "headroom:workloads[0].db.poolSize", 82, 9, "poolSize:"},
		{"second workload", edit("poolSize: 5", "poolSize: 0"), "headroom:workloads[1].db.poolSize", 105, 9, "poolSize:"},
		{"out of bounds", edit("connectP99Seconds: 30", "connectP99Seconds: 5000"), "headroom:targets.connectP99Seconds", 119, 5, "connectP99Seconds:"},
		{"unknown key", edit("maxOverflow: 5", "maxOverflw: 5"), "headroom:workloads[0].db.maxOverflw", 83, 9, "maxOverflw:"},
		{"missing key: its parent", edit("    name: staging-shared-postgres\n", ""), "headroom:database.name", 36, 3, "headroom:database:"},
		{"key without namespace", edit("headroom:workloads:", "workloads:", "poolSize: 10", "poolSize: x"), "headroom:workloads[0].db.poolSize", 82, 9, "poolSize:"},
		{"flow sequence item", edit("regions: [us-central1]", "regions: [us-east9]"), "headroom:workloads[0].regions[0]", 74, 17, "us-east9]"},
		{"flow mapping", edit("        poolSize: 10\n        maxOverflow: 5\n        startupConnections: 2\n", "        poolSize: 10\n        maxOverflow: 5\n        startupConnections: 2\n        extraPools: [{name: jobs, poolSize: -1}]\n"), "headroom:workloads[0].db.extraPools[0].poolSize", 85, 35, "poolSize: -1"},
		{"quoted odd key", edit("      startupProbe:\n        path: /healthz/db\n        initialDelaySeconds: 0\n        periodSeconds: 10\n        timeoutSeconds: 5\n        failureThreshold: 24\n    - name: auth", "      env: {\"MY.VAR\": x}\n      startupProbe:\n        path: /healthz/db\n        initialDelaySeconds: 0\n        periodSeconds: 10\n        timeoutSeconds: 5\n        failureThreshold: 24\n    - name: auth"), `headroom:workloads[0].env["MY.VAR"]`, 89, 13, `"MY.VAR"`},
		{"duplicate key", edit("    tier: db-custom-4-16384\n", "    tier: db-custom-4-16384\n    tier: db-custom-2-8192\n"), "headroom:database.tier", 42, 5, "tier:"},
		{"unknown top key with a dot", edit("  headroom:environment: staging\n", "  headroom:environment: staging\n  headroom:env.x: 1\n"), `["headroom:env.x"]`, 9, 3, "headroom:env.x:"},
		{"missing top key: config", edit("  gcp:project: netra-staging\n", ""), ProjectKey, 6, 1, "config:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join("stacks", "Pulumi.staging.yaml")
			_, err := LoadBytes(path, c.data)
			require.Error(t, err)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			var ce *Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.key, ce.Key)
			assert.Equal(t, []int{c.line, c.col}, []int{fe.Line, fe.Column}, err.Error())
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, fmt.Sprintf("%s:%d:%d: %s: ", path, c.line, c.col, c.key)), msg)
			assert.NotContains(t, msg, "\n")
			lines := strings.Split(string(c.data), "\n")
			require.Less(t, fe.Line-1, len(lines))
			assert.True(t, strings.HasPrefix(lines[fe.Line-1][fe.Column-1:], c.at), "%q at %d:%d", lines[fe.Line-1], fe.Line, fe.Column)
		})
	}
}

// repoStacks are every stack file of the repository: stacks/ and the
// tests' stacks.
func repoStacks(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{
		filepath.Join(repoRoot, "stacks", "Pulumi.*.yaml"),
		filepath.Join(repoRoot, "tests", "testdata", "*", "Pulumi.*.yaml"),
		filepath.Join("testdata", "Pulumi.*.yaml"),
	} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.GreaterOrEqual(t, len(files), 20)
	return files
}

// TestDecodedPathsAreFound: every key path the decoder walks in the
// repository's stacks, in the spelling errors print, is found by yamlpath
// on the line and column where the key (or list item) is written.
func TestDecodedPathsAreFound(t *testing.T) {
	for _, file := range repoStacks(t) {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		values, err := EngineValues(data)
		require.NoError(t, err, file)
		d := newDecoder(nil)
		_, err = d.decode(StackName(file), values)
		require.NoError(t, err, file)
		doc, err := yamlpath.ParseStack(data, Namespace)
		require.NoError(t, err)
		lines := strings.Split(string(data), "\n")
		require.Greater(t, len(d.seen), 40, file)
		for display, at := range d.seen {
			assert.Equal(t, []string(at), yamlpath.Split(display), "%s: %s round trip", file, display)
			line, col, ok := doc.Find(yamlpath.Split(display)...)
			if !assert.True(t, ok, "%s: %s not found", file, display) {
				continue
			}
			text := lines[line-1][col-1:]
			last := at[len(at)-1]
			if _, item := yamlpath.Index(last); item {
				// A list item: after "- " in a block list, "[" or "," in
				// a flow list.
				before := strings.TrimRight(lines[line-1][:col-1], " ")
				assert.True(t, strings.HasSuffix(before, "-") || strings.HasSuffix(before, "[") || strings.HasSuffix(before, ","), "%s:%d:%d: %s at %q", file, line, col, display, lines[line-1])
				continue
			}
			short := strings.TrimPrefix(last, Namespace+":")
			assert.True(t, strings.HasPrefix(text, last+":") || strings.HasPrefix(text, short+":") || strings.HasPrefix(text, `"`+last+`":`),
				"%s:%d:%d: %s at %q", file, line, col, display, lines[line-1])
		}
	}
}

// TestDocumentedErrorLine: the error example of the README and
// docs/config-reference.md is what loading the staging stack with that
// mistake prints.
func TestDocumentedErrorLine(t *testing.T) {
	staging, err := os.ReadFile(stackFiles["staging"])
	require.NoError(t, err)
	s := string(staging)
	i := strings.Index(s, "poolSize: 5")
	require.Positive(t, i)
	_, err = LoadBytes("stacks/Pulumi.staging.yaml", []byte(s[:i]+`poolSize: "ten"`+s[i+len("poolSize: 5"):]))
	require.Error(t, err)
	for _, doc := range []string{"README.md", filepath.Join("docs", "config-reference.md")} {
		b, rerr := os.ReadFile(filepath.Join(repoRoot, doc))
		require.NoError(t, rerr)
		assert.Contains(t, string(b), err.Error(), doc)
	}
}
