package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/headroom-dev/headroom/policies/pack"
)

// WriteResourceSARIF writes the SARIF log of a plan judged from a file the
// Pulumi CLI wrote (a preview or a state export; source names which): with
// no stack file, each result is located at the line of its resource's URN
// in src (the first line for stack-level results); uri is src's path from
// the repository root.
func WriteResourceSARIF(w io.Writer, r Report, src []byte, uri, source string) error {
	rules, index := sarifRules()
	results := []sarifResult{}
	for _, v := range r.Violations {
		idx, ok := index[v.Policy]
		if !ok {
			continue
		}
		res := sarifResult{
			RuleID: v.Policy, RuleIndex: idx, Level: sarifLevel(v.Level),
			Message: sarifText{Text: v.Message},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifactLocation{URI: uri},
				Region:           sarifRegion{StartLine: lineOf(src, v.Resource)},
			}}},
			Properties: map[string]any{"stack": r.Stack, "enforcementLevel": v.Level},
		}
		if v.Resource != "" {
			res.Locations[0].LogicalLocations = []sarifLogicalLoc{{FullyQualifiedName: v.Resource, Kind: "resource"}}
		}
		results = append(results, res)
	}
	log := sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{{
		Tool: sarifTool{Driver: sarifDriver{Name: "headroom", InformationURI: "https://github.com/headroom-dev/headroom",
			Version: pack.Version, Rules: rules}},
		AutomationDetails: &sarifAutomation{ID: "headroom/" + r.Stack + "/"},
		Results:           results,
		Properties:        map[string]any{"verdict": r.Verdict, "stack": r.Stack, "environment": r.Environment, "source": source},
	}}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("writing SARIF: %w", err)
	}
	return nil
}

// lineOf is the 1-based line of the first `"urn": "<urn>"` in src (1 when
// absent or for the stack).
func lineOf(src []byte, urn string) int {
	if urn == "" {
		return 1
	}
	needle, _ := json.Marshal(urn)
	i := bytes.Index(src, append([]byte(`"urn": `), needle...))
	if i < 0 {
		i = bytes.Index(src, needle)
	}
	if i < 0 {
		return 1
	}
	return 1 + strings.Count(string(src[:i]), "\n")
}
