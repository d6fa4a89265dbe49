package pack

// Policy metadata for readers of a violation: how severe it is, what to do
// about it, and where it is explained. The pinned SDK's policyx structs
// (v3.274.1) carry only a name, description, enforcement level and config
// schema; the Analyzer protocol's PolicyInfo carries severity, remediation
// steps and a URL, so the pack's own Analyzer server (policies/analyzer)
// sends them to the engine from here, and `headroom plan --format sarif`
// uses the same values for its rules.

// Severities, as the Analyzer protocol names them (lower case).
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// HelpBaseURL is where every policy's help anchor lives: a heading
// "### `<policy>`" in docs/policies.md, which GitHub slugs to #<policy>.
const HelpBaseURL = "https://github.com/headroom-dev/headroom/blob/main/docs/policies.md"

// Metadata is what a policy tells a reader beyond its description.
type Metadata struct {
	// Severity is low, medium, high or critical: the harm when the
	// violation ships, independent of the enforcement level.
	Severity string
	// Remediation is the steps to fix a violation, in stack-file terms.
	Remediation string
	// HelpURL is the policy's section of docs/policies.md.
	HelpURL string
	// Tags group policies (capacity, security, reliability, config).
	Tags []string
}

// Metadata returns the policy's metadata; a policy without an entry gets
// medium severity and its help anchor (a test requires every policy of the
// catalog to have an entry).
func (p PolicyInfo) Metadata() Metadata {
	m := Metadata{Severity: SeverityMedium}
	if d := lookup(p.Name); d != nil && d.meta.Severity != "" {
		m = d.meta
	}
	m.HelpURL = HelpBaseURL + "#" + p.Name
	return m
}

// HasMetadata reports whether the policy has its own metadata entry.
func HasMetadata(name string) bool {
	d := lookup(name)
	return d != nil && d.meta.Severity != ""
}
