package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// The preview fixtures of suggest's resource search (a Prisma service of a
// program the repository did not write).
var (
	resFixtures  = filepath.Join("..", "..", "suggest", "testdata", "resources")
	resPreview   = filepath.Join(resFixtures, "prisma.preview.json")
	resPolicyCfg = filepath.Join(resFixtures, "policy-config.json")
)

func TestSuggestPreviewExitCodesAndFormats(t *testing.T) {
	b, err := os.ReadFile(resPreview)
	require.NoError(t, err)
	fits := filepath.Join(t.TempDir(), "fits.preview.json")
	require.NoError(t, os.WriteFile(fits, []byte(strings.Replace(string(b), "connection_limit=10", "connection_limit=3", 1)), 0o644))
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings of stdout
	}{
		{"refused, text", []string{"--preview", resPreview}, exitViolations,
			[]string{"DatabaseInstance `orders-db`: settings.databaseFlags max_connections 100 → 268",
				"Service `orders-api`: env DATABASE_URL parameter connection_limit 10 → 3"}},
		{"refused, markdown", []string{"--preview", resPreview, "--format", "markdown"}, exitViolations,
			[]string{"| Service `orders-api` | env DATABASE_URL parameter connection_limit | 10 | 3 |"}},
		{"refused, json", []string{"--preview", resPreview, "--format", "json"}, exitViolations,
			[]string{`"kind": "resources"`, `"setting": "env DATABASE_URL parameter connection_limit"`}},
		{"passes", []string{"--preview", fits}, exitOK, []string{"PASS — nothing needs to change"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, append([]string{"suggest", "--policy-config", resPolicyCfg}, tt.args...)...)
			require.Equal(t, tt.code, code, "stderr: %s", stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, stdout, s)
			}
			assert.NotContains(t, stdout+stderr, pt.ForeignPassword)
			if strings.HasSuffix(strings.Join(tt.args, " "), "--format json") {
				validateSuggestJSON(t, []byte(stdout))
				var doc map[string]any
				require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
				assert.NotEmpty(t, doc["suggestions"])
			}
			if code == exitViolations {
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one error line: %q", stderr)
				assert.Contains(t, stderr, "refused as it is")
			}
		})
	}
}

func TestSuggestPreviewBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.json")
	require.NoError(t, os.WriteFile(junk, []byte(`{"hello": 1}`), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"patch", []string{"--preview", resPreview, "--format", "patch"}, "--format patch: a plan from --preview/--state has no stack file to patch"},
		{"missing", []string{"--preview", filepath.Join(dir, "none.json")}, "none.json: no such file"},
		{"junk", []string{"--preview", junk}, "junk.json: neither a preview"},
		{"preview as state", []string{"--state", resPreview}, "expected the JSON of `pulumi stack export`"},
		{"with --stack", []string{"--preview", resPreview, "--stack", "staging"}, "drop --stack"},
		{"both", []string{"--preview", resPreview, "--state", junk}, "mutually exclusive"},
		{"bad policy config", []string{"--preview", resPreview, "--policy-config", junk + "x"}, "--policy-config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, append([]string{"suggest"}, tt.args...)...)
			assert.Equal(t, exitUsage, code, "stderr: %s", stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.Empty(t, stdout)
		})
	}
}

// --state: the same stack as a `pulumi stack export` (outputs = inputs
// here) gets the same fixes as its preview.
func TestSuggestStateMatchesPreview(t *testing.T) {
	b, err := os.ReadFile(resPreview)
	require.NoError(t, err)
	var pv struct {
		Steps []struct {
			NewState map[string]any `json:"newState"`
		} `json:"steps"`
	}
	require.NoError(t, json.Unmarshal(b, &pv))
	var rs []map[string]any
	for _, s := range pv.Steps {
		s.NewState["outputs"] = s.NewState["inputs"]
		rs = append(rs, s.NewState)
	}
	st, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{"manifest": map[string]any{}, "resources": rs}})
	require.NoError(t, err)
	state := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(state, st, 0o644))

	summaries := func(args ...string) []string {
		stdout, stderr, code := runCLI(t, append([]string{"suggest", "--policy-config", resPolicyCfg, "--format", "json"}, args...)...)
		require.Equal(t, exitViolations, code, stderr)
		var doc struct {
			Suggestions []struct {
				Summary string `json:"summary"`
			} `json:"suggestions"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
		var out []string
		for _, s := range doc.Suggestions {
			out = append(out, s.Summary)
		}
		return out
	}
	want := summaries("--preview", resPreview)
	require.NotEmpty(t, want)
	assert.Equal(t, want, summaries("--state", state))
}

// The incident, rendered as the preview of a program the CLI does not
// run: the capacity model's remedies become edits of the instance and the
// connector, and the fix passes when re-judged.
func TestSuggestPreviewIncident(t *testing.T) {
	preview, _, policy := foreignFiles(t, "", incidentFile, "")
	stdout, stderr, code := runCLI(t, "suggest", "--preview", preview, "--policy-config", policy, "--format", "json")
	require.Equal(t, exitViolations, code, stderr)
	validateSuggestJSON(t, []byte(stdout))
	var doc struct {
		Suggestions []struct {
			ResourceChanges []struct {
				Type, Property, From, To string
			} `json:"resourceChanges"`
		} `json:"suggestions"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	require.NotEmpty(t, doc.Suggestions)
	props := map[string]bool{}
	for _, c := range doc.Suggestions[0].ResourceChanges {
		props[c.Property] = true
	}
	assert.True(t, props["settings.databaseFlags[max_connections]"], "%v", props)
	assert.True(t, props["machineType"] || props["minInstances"], "the connector grows: %v", props)
}
