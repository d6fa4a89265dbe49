package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
)

// sarifSchema compiles the official SARIF 2.1.0 schema (testdata, with its
// source in sarif-schema-2.1.0.SOURCE.md).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile("testdata/sarif-schema-2.1.0.json")
	require.NoError(t, err)
	const id = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft4
	require.NoError(t, c.AddResource(id, strings.NewReader(string(b))))
	s, err := c.Compile(id)
	require.NoError(t, err)
	return s
}

type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID                   string            `json:"id"`
					HelpURI              string            `json:"helpUri"`
					Help                 map[string]string `json:"help"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			Properties map[string]any `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

func TestPlanSARIF(t *testing.T) {
	schema := sarifSchema(t)
	cases := []struct {
		name string
		file string
		code int
		// want maps each located config key to the policy located there.
		want map[string]string
	}{
		{"incident", incidentFile, exitViolations, map[string]string{
			"headroom:database.maxConnections":                           "connection-budget",
			"headroom:network.regions.us-central1.connector.machineType": "egress-headroom",
			"headroom:workloads[0].db.connectTimeoutSeconds":             "timeout-budget",
			"headroom:workloads[1].db.connectTimeoutSeconds":             "timeout-budget",
			"headroom:targets.startupSuccessRate":                        "cold-start-success",
			"headroom:targets.connectP99Seconds":                         "cold-start-success",
		}},
		{"staging", "../../stacks/Pulumi.staging.yaml", exitOK, map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "plan", "--config-file", c.file, "--format", "sarif")
			require.Equal(t, c.code, code, stderr)
			var v any
			require.NoError(t, json.Unmarshal([]byte(stdout), &v))
			require.NoError(t, schema.Validate(v), "SARIF 2.1.0 schema")
			if c.name == "incident" {
				// The golden holds the results (rule, level, location, key):
				// rule texts follow the catalog and are checked below.
				res, err := json.MarshalIndent(v.(map[string]any)["runs"].([]any)[0].(map[string]any)["results"], "", "  ")
				require.NoError(t, err)
				goldenFile(t, "plan-incident.sarif-results.json", append(res, '\n'))
			}

			// The schema does judge: a result without a message is refused.
			if res := v.(map[string]any)["runs"].([]any)[0].(map[string]any)["results"].([]any); len(res) > 0 {
				delete(res[0].(map[string]any), "message")
				require.Error(t, schema.Validate(v), "a result needs a message")
			}
			var doc sarifDoc
			require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
			require.Equal(t, "2.1.0", doc.Version)
			require.Len(t, doc.Runs, 1)
			run := doc.Runs[0]
			require.Len(t, run.Tool.Driver.Rules, len(pack.Catalog()), "one rule per policy")
			for _, r := range run.Tool.Driver.Rules {
				assert.True(t, strings.HasPrefix(r.HelpURI, pack.HelpBaseURL+"#"+r.ID), r.ID)
				assert.NotEmpty(t, r.Help["text"], r.ID)
				assert.Contains(t, []string{"error", "warning", "note"}, r.DefaultConfiguration.Level, r.ID)
				assert.Contains(t, []any{"low", "medium", "high", "critical"}, r.Properties["severity"], r.ID)
			}

			src, err := os.ReadFile(c.file)
			require.NoError(t, err)
			lines := strings.Split(string(src), "\n")
			got := map[string]string{}
			for _, res := range run.Results {
				assert.Equal(t, run.Tool.Driver.Rules[res.RuleIndex].ID, res.RuleID)
				assert.Equal(t, map[string]string{"mandatory": "error", "advisory": "warning"}[res.Properties["enforcementLevel"].(string)], res.Level, "mandatory → error, advisory → warning")
				loc := res.Locations[0].PhysicalLocation
				assert.Equal(t, filepath.ToSlash(strings.TrimPrefix(c.file, "../../")), loc.ArtifactLocation.URI,
					"the path from the repository root")
				key, _ := res.Properties["configKey"].(string)
				require.NotEmpty(t, key)
				// The line holds the key's last segment as a YAML key, at the column.
				last := key[strings.LastIndexAny(key, ".]")+1:]
				require.Greater(t, loc.Region.StartLine, 0)
				line := lines[loc.Region.StartLine-1]
				assert.True(t, strings.HasPrefix(line[loc.Region.StartColumn-1:], last+":"),
					"%s: line %d %q, column %d", key, loc.Region.StartLine, line, loc.Region.StartColumn)
				got[key] = res.RuleID
			}
			assert.Equal(t, c.want, got, "located keys")
		})
	}
}
