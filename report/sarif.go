package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/yamlpath"
)

// `headroom plan --format sarif` is the plan's violations as SARIF 2.1.0
// (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), for GitHub code
// scanning: each result is located at the line of the stack-file key it
// concerns, and each rule carries its level, help text and help URL.

const sarifSchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool        `json:"tool"`
	AutomationDetails *sarifAutomation `json:"automationDetails,omitempty"`
	Results           []sarifResult    `json:"results"`
	ColumnKind        string           `json:"columnKind,omitempty"`
	Properties        map[string]any   `json:"properties,omitempty"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	ShortDescription     sarifText       `json:"shortDescription"`
	FullDescription      sarifText       `json:"fullDescription"`
	Help                 sarifText       `json:"help"`
	HelpURI              string          `json:"helpUri"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           map[string]any  `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical     `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLoc `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifLogicalLoc struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind,omitempty"`
}

// sarifLevel maps an enforcement level to a SARIF level.
func sarifLevel(level string) string {
	switch level {
	case pack.LevelMandatory:
		return "error"
	case pack.LevelAdvisory, "remediate":
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub code scanning's numeric severity property.
var securitySeverity = map[string]string{
	pack.SeverityLow: "3.0", pack.SeverityMedium: "5.5", pack.SeverityHigh: "8.0", pack.SeverityCritical: "9.5",
}

// sarifRules lists every policy of the pack as a rule, in catalog order.
func sarifRules() ([]sarifRule, map[string]int) {
	cat := pack.Catalog()
	rules := make([]sarifRule, 0, len(cat))
	index := map[string]int{}
	for _, p := range cat {
		m := p.Metadata()
		short := p.Description
		if i := strings.Index(short, ". "); i > 0 {
			short = short[:i+1]
		}
		index[p.Name] = len(rules)
		rules = append(rules, sarifRule{
			ID:               p.Name,
			Name:             ruleName(p.Name),
			ShortDescription: sarifText{Text: short},
			FullDescription:  sarifText{Text: p.Description},
			Help: sarifText{
				Text:     p.Description + "\n\nRemediation: " + m.Remediation + "\n\nMore: " + m.HelpURL,
				Markdown: p.Description + "\n\n**Remediation:** " + m.Remediation + "\n\n[docs/policies.md](" + m.HelpURL + ")",
			},
			HelpURI:              m.HelpURL,
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(p.Level)},
			Properties: map[string]any{
				"tags":              append([]string{"headroom", "pulumi"}, m.Tags...),
				"severity":          m.Severity,
				"security-severity": securitySeverity[m.Severity],
				"kind":              string(p.Kind),
			},
		})
	}
	return rules, index
}

// ruleName is a policy name in PascalCase (SARIF's reportingDescriptor.name).
func ruleName(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// buildSARIF builds the log of a plan; file is the stack file judged, uri its
// path relative to the repository root.
func buildSARIF(r Report, file *config.File, src []byte, uri string) (sarifLog, error) {
	loc, err := newLocator(file, src)
	if err != nil {
		return sarifLog{}, err
	}
	rules, index := sarifRules()
	results := []sarifResult{}
	for _, v := range r.Violations {
		idx, ok := index[v.Policy]
		if !ok {
			continue
		}
		line, col, key := loc.find(v.Policy, v.Resource, v.Message)
		res := sarifResult{
			RuleID:    v.Policy,
			RuleIndex: idx,
			Level:     sarifLevel(v.Level),
			Message:   sarifText{Text: v.Message},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifactLocation{URI: uri},
				Region:           sarifRegion{StartLine: line, StartColumn: col},
			}}},
			Properties: map[string]any{"stack": r.Stack, "configKey": key, "enforcementLevel": v.Level},
		}
		if v.Resource != "" {
			res.Locations[0].LogicalLocations = []sarifLogicalLoc{{FullyQualifiedName: v.Resource, Kind: "resource"}}
		}
		results = append(results, res)
	}
	return sarifLog{
		Schema:  sarifSchemaURI,
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: "headroom", InformationURI: "https://github.com/headroom-dev/headroom",
				Version: pack.Version, Rules: rules,
			}},
			// One category per stack, so code scanning keeps each stack's
			// alerts apart.
			AutomationDetails: &sarifAutomation{ID: "headroom/" + r.Stack + "/"},
			Results:           results,
			ColumnKind:        "unicodeCodePoints",
			Properties:        map[string]any{"verdict": r.Verdict, "stack": r.Stack, "environment": r.Environment},
		}},
	}, nil
}

// SARIFSourceError is a stack file that does not parse as YAML, so no key
// can be located in it.
type SARIFSourceError struct{ Err error }

func (e *SARIFSourceError) Error() string { return e.Err.Error() }
func (e *SARIFSourceError) Unwrap() error { return e.Err }

// WriteSARIF writes the SARIF log of r: file is the stack file judged, src
// its bytes, uri its path relative to the repository root. A stack file
// that does not parse as YAML is an error naming the parser's complaint.
// An unparsable src is a *SARIFSourceError.
func WriteSARIF(w io.Writer, r Report, file *config.File, src []byte, uri string) error {
	log, err := buildSARIF(r, file, src, uri)
	if err != nil {
		return &SARIFSourceError{Err: err}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("writing SARIF: %w", err)
	}
	return nil
}

// locator finds the line of a stack-file key from the YAML node positions.
type locator struct {
	doc *yamlpath.Doc
	// resources maps a resource name to the key path of its block.
	resources map[string]resourceRef
}

// resourceRef is the block of the stack file a resource comes from.
type resourceRef struct {
	kind string   // database, replica, connector, subnet, direct, service, network
	path []string // key path under config:, list items by yamlpath.Item
}

func newLocator(file *config.File, src []byte) (*locator, error) {
	doc, err := yamlpath.ParseStack(src, config.Namespace)
	if err != nil {
		return nil, err
	}
	l := &locator{doc: doc, resources: map[string]resourceRef{}}
	st := file.Stack
	ns := config.Namespace + ":"
	l.resources[st.Database.Name] = resourceRef{"database", []string{ns + "database"}}
	for i, rp := range st.Database.Replicas {
		l.resources[rp.Name] = resourceRef{"replica", []string{ns + "database", "replicas", yamlpath.Item(i)}}
	}
	l.resources[st.Network.Name] = resourceRef{"network", []string{ns + "network"}}
	l.resources[st.Network.Name+"-psa"] = resourceRef{"psa", []string{ns + "network", "privateServiceAccessRange"}}
	for region, rg := range st.Network.Regions {
		base := []string{ns + "network", "regions", region}
		l.resources[st.Network.Name+"-"+region] = resourceRef{"subnet", append(clone(base), "subnet")}
		if rg.Connector != nil {
			l.resources[rg.Connector.Name] = resourceRef{"connector", append(clone(base), "connector")}
		}
		if rg.Direct != nil {
			l.resources[st.Network.Name+"-"+region+"-direct"] = resourceRef{"direct", append(clone(base), "direct", "subnet")}
		}
	}
	for i, w := range st.Workloads {
		for _, region := range w.Regions {
			l.resources[contract.ServiceName(w.Name, region)] = resourceRef{"service", []string{ns + "workloads", yamlpath.Item(i)}}
		}
	}
	return l, nil
}

func clone(s []string) []string { return append([]string(nil), s...) }

// policyKeys is, per policy and resource kind, the key under the resource's
// block that the policy judges (tried in order; the block itself when none
// is present, e.g. a key left at its default).
var policyKeys = map[string]map[string][][]string{
	pack.PolicyConnectionBudget:  {"database": {{"maxConnections"}}, "replica": {{"maxConnections"}}},
	pack.PolicySQLMaxConnections: {"database": {{"maxConnections"}}, "replica": {{"maxConnections"}}},
	pack.PolicyReplicaParity:     {"database": {{"maxConnections"}}, "replica": {{"maxConnections"}, {"tier"}}},
	pack.PolicySQLTierEdition:    {"database": {{"tier"}, {"edition"}}, "replica": {{"tier"}}},
	pack.PolicySQLBackupsPITR:    {"database": {{"backups"}}},
	pack.PolicySQLMaintenance:    {"database": {{"maintenanceWindow"}}},
	pack.PolicySQLDeletionProt:   {"database": {{"deletionProtection"}, {"name"}}, "replica": {{"name"}}},
	pack.PolicyMultiRegion:       {"database": {{"availability"}, {"replicas"}}},
	pack.PolicyEgressHeadroom:    {"connector": {{"machineType"}, {"minInstances"}}, "direct": {{}}},
	pack.PolicyConnectorBounds:   {"connector": {{"minInstances"}, {"maxInstances"}, {"machineType"}}},
	pack.PolicyCIDROverlap:       {"connector": {{"ipCidrRange"}}},
	pack.PolicyTimeoutBudget:     {"service": {{"db", "connectTimeoutSeconds"}, {"startupProbe"}}},
	pack.PolicyRunMaxInstances:   {"service": {{"maxInstances"}}},
	pack.PolicyRunProbeWindow:    {"service": {{"startupProbe", "failureThreshold"}, {"startupProbe"}}},
	pack.PolicyRunPoolContract:   {"service": {{"db", "poolSize"}, {"db"}}},
	pack.PolicyAdminAPIQuota:     {"service": {{"maxInstances"}}},
	pack.PolicyBuiltinConnCap:    {"service": {{"db", "poolSize"}, {"db"}}},
	pack.PolicyColdStartSuccess:  {"service": {{"maxInstances"}}},
}

// stackKeys locate stack-level violations (no resource): tried in order.
var stackKeys = map[string][][]string{
	pack.PolicyColdStartSuccess: {{config.Namespace + ":targets", "startupSuccessRate"}, {config.Namespace + ":workloads"}},
	pack.PolicyMultiRegion:      {{config.Namespace + ":database", "replicas"}, {config.Namespace + ":database", "availability"}},
	pack.PolicyCIDROverlap:      {{config.Namespace + ":network", "regions"}},
	pack.PolicyCapacityModel:    {{config.Namespace + ":workloads"}},
}

// find returns the 1-based line and column of the key a violation
// concerns, and that key's path (e.g. headroom:database.maxConnections).
func (l *locator) find(policy, resource, message string) (int, int, string) {
	var candidates [][]string
	if name := shortName(resource); name != "" {
		if ref, ok := l.resources[name]; ok {
			for _, k := range policyKeys[policy][ref.kind] {
				candidates = append(candidates, append(clone(ref.path), k...))
			}
			candidates = append(candidates, ref.path)
		}
	}
	if resource == "" && policy == pack.PolicyColdStartSuccess && strings.Contains(message, "connect p99") {
		candidates = append(candidates, []string{config.Namespace + ":targets", "connectP99Seconds"})
	}
	candidates = append(candidates, stackKeys[policy]...)
	candidates = append(candidates, []string{config.Namespace + ":environment"})
	for _, c := range candidates {
		if line, col, ok := l.doc.Find(c...); ok {
			return line, col, yamlpath.String(c...)
		}
	}
	return 1, 1, ""
}

// shortName is the resource name of a URN (or the string itself).
func shortName(s string) string {
	if i := strings.LastIndex(s, "::"); i >= 0 && strings.HasPrefix(s, "urn:pulumi:") {
		return s[i+2:]
	}
	return s
}
