package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite schemas/stack.schema.json from the decoder")

const modeline = "# yaml-language-server: $schema=../schemas/stack.schema.json"

func repoPath(p string) string { return filepath.Join("..", "..", filepath.FromSlash(p)) }

// TestSchemaIsGenerated: the published schema is what the decoder's types
// generate (go test ./infra/config -run TestSchema -update rewrites it).
func TestSchemaIsGenerated(t *testing.T) {
	got, err := JSONSchema()
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile(repoPath(SchemaFile), got, 0o644))
	}
	want, err := os.ReadFile(repoPath(SchemaFile))
	require.NoError(t, err, "run go test ./infra/config -run TestSchema -update")
	assert.True(t, string(want) == string(got), "%s is stale: run go test ./infra/config -run TestSchema -update", SchemaFile)
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(repoPath(SchemaFile))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	require.NoError(t, c.AddResource(SchemaID, bytes.NewReader(data)))
	s, err := c.Compile(SchemaID)
	require.NoError(t, err)
	return s
}

// yamlAsJSON reads a YAML file as the JSON value the schema validates.
func yamlAsJSON(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var v any
	require.NoError(t, yaml.Unmarshal(data, &v), path)
	j, err := json.Marshal(v)
	require.NoError(t, err, path)
	var out any
	require.NoError(t, json.Unmarshal(j, &out))
	return out
}

func allStackFiles(t *testing.T) []string {
	var files []string
	for _, g := range []string{"stacks/Pulumi.*.yaml", "tests/testdata/incident/Pulumi.*.yaml", "tests/testdata/field/*.yaml"} {
		m, err := filepath.Glob(repoPath(g))
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	return files
}

// TestStacksValidateAgainstSchema: every stack file of the repository the
// decoder accepts also validates against the schema, and carries the
// modeline that points editors at it.
func TestStacksValidateAgainstSchema(t *testing.T) {
	s := compileSchema(t)
	for _, f := range allStackFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := LoadFile(f); err != nil {
				t.Skipf("the decoder refuses this file on purpose: %v", err)
			}
			assert.NoError(t, s.Validate(yamlAsJSON(t, f)))
		})
	}
	for _, f := range mustGlob(t, repoPath("stacks/Pulumi.*.yaml")) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		first, _, _ := strings.Cut(string(data), "\n")
		assert.Equal(t, modeline, first, "%s: first line", f)
	}
}

// TestSchemaRefusesWhatTheDecoderRefuses: a few single-key breaks that both
// the schema and the decoder refuse (the decoder also judges cross-field
// rules the schema cannot state).
func TestSchemaRefusesWhatTheDecoderRefuses(t *testing.T) {
	s := compileSchema(t)
	base := load(t, "staging").Values
	for _, e := range []edit{
		{"headroom:network.regions.us-central1.connector.minInstances", `1`},
		{"headroom:workloads[0].startupProbe.periodSeconds", `601`},
		{"headroom:database.maintenanceWindow.day", `8`},
		{"headroom:database.edition", `"GOLD"`},
		{"headroom:workloads[0].db.nope", `1`},
	} {
		vals := applyEdits(t, base, e)
		_, derr := Decode("staging", vals)
		assert.Error(t, derr, e.key)
		doc := map[string]any{}
		for k, v := range vals {
			var x any
			if err := json.Unmarshal([]byte(v), &x); err != nil {
				x = v
			}
			doc[k] = x
		}
		assert.Error(t, s.Validate(map[string]any{"config": doc}), e.key)
	}
}

func mustGlob(t *testing.T, g string) []string {
	m, err := filepath.Glob(g)
	require.NoError(t, err)
	require.NotEmpty(t, m, g)
	return m
}

// schemaPaths lists the schema's key paths the way the README tables write
// them (maps as ".<r>", lists of objects as "[i]").
func schemaPaths(prefix string, s map[string]any, out map[string]bool) {
	if props, ok := s["properties"].(map[string]any); ok {
		for k, v := range props {
			p := prefix + k
			out[p] = true
			schemaPaths(p+".", v.(map[string]any), out)
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		schemaPaths(strings.TrimSuffix(prefix, ".")+"[i].", items, out)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		schemaPaths(prefix+"<r>.", ap, out)
	}
}

// TestReadmeTablesMatchSchema: every key a README config table documents
// exists in the published schema (and TestReadmeDocumentsEveryKey checks
// the other direction against the same types).
func TestReadmeTablesMatchSchema(t *testing.T) {
	data, err := os.ReadFile(repoPath(SchemaFile))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	cfg := doc["properties"].(map[string]any)["config"].(map[string]any)["properties"].(map[string]any)
	paths := map[string]bool{}
	for k, v := range cfg {
		key := strings.TrimPrefix(k, Namespace+":")
		paths[key] = true
		paths[k] = true
		schemaPaths(key+".", v.(map[string]any), paths)
	}
	readme, err := os.ReadFile(repoPath("README.md"))
	require.NoError(t, err)
	start := bytes.Index(readme, []byte("#### `headroom:"))
	require.Positive(t, start)
	end := bytes.Index(readme[start:], []byte("\n## "))
	require.Positive(t, end)
	rows := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllSubmatch(readme[start:start+end], -1)
	require.Greater(t, len(rows), 50)
	var unknown []string
	for _, r := range rows {
		k := string(r[1])
		k = strings.ReplaceAll(k, ".<region>.", ".<r>.")
		if !paths[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	assert.Empty(t, unknown, "README config rows that are not in %s", SchemaFile)
}
