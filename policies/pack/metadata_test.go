package pack_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
)

// Every policy has its own severity, remediation steps and a help URL whose
// anchor is a heading of docs/policies.md.
func TestEveryPolicyHasMetadata(t *testing.T) {
	doc, err := os.ReadFile("../../docs/policies.md")
	require.NoError(t, err)
	headings := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "### `") {
			headings[strings.Trim(strings.TrimPrefix(line, "### "), "`")] = true
		}
	}
	for _, p := range pack.Catalog() {
		t.Run(p.Name, func(t *testing.T) {
			require.True(t, pack.HasMetadata(p.Name), "give %s its meta in policies/pack/policy_<name>.go", p.Name)
			m := p.Metadata()
			assert.Contains(t, []string{pack.SeverityLow, pack.SeverityMedium, pack.SeverityHigh, pack.SeverityCritical}, m.Severity)
			assert.GreaterOrEqual(t, len(m.Remediation), 40, "remediation steps say what to change")
			assert.Equal(t, pack.HelpBaseURL+"#"+p.Name, m.HelpURL)
			assert.True(t, headings[p.Name], "docs/policies.md needs a heading ### `%s` (the help URL's anchor)", p.Name)
			assert.NotEmpty(t, m.Tags)
			// The section states the catalog's own words, so the docs
			// cannot drift from the pack.
			section := sectionOf(string(doc), p.Name)
			assert.True(t, strings.HasPrefix(section, "\n"+p.Description+"\n"),
				"docs/policies.md: the section of %s opens with its description:\n%s", p.Name, p.Description)
			assert.True(t, strings.Contains(section, "\n- **Remediation:** "+m.Remediation+"\n"),
				"docs/policies.md: the section of %s states its remediation:\n%s", p.Name, m.Remediation)
		})
	}
}

// sectionOf returns the "### `<policy>`" section of docs/policies.md.
func sectionOf(doc, policy string) string {
	_, rest, ok := strings.Cut(doc, "### `"+policy+"`\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n### "); i >= 0 {
		rest = rest[:i]
	}
	return rest + "\n"
}
