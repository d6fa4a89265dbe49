// Package pack is Headroom's policy pack as a library: the policy catalog,
// the policy-pack config, the conversion of a resource graph
// ([]policyx.AnalyzerResource) into a capacity.Topology, and the policies
// themselves as policyx policies.
//
// Evaluate is the one evaluation path: the served pack (policies/main.go),
// the offline plan (cmd/headroom) and the tests all reach their verdicts
// through the same policyx policies built by Policies.
//
// The pack judges resources only. It never reads Headroom's stack config, so
// any stack made of the same resource types (hand-written, imported) is
// judged the same way.
package pack

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Name and Version identify the pack to the Pulumi engine.
const (
	Name    = "headroom"
	Version = "0.1.0"
)

// Enforcement levels as they appear in the policy-pack config and in
// Violation.Level.
const (
	LevelAdvisory  = "advisory"
	LevelMandatory = "mandatory"
	LevelDisabled  = "disabled"
)

// Policy names are stable: users key their policy-pack config and
// exceptions on them. Each is declared in its policy's file; the stack
// policies that mirror a capacity check use the capacity.Check* name so
// findings and violations correlate.

// Kind says whether a policy judges one resource or the whole stack.
type Kind string

const (
	KindResource Kind = "resource"
	KindStack    Kind = "stack"
)

// PolicyInfo describes one policy for the engine, the README and reports.
type PolicyInfo struct {
	Name        string
	Kind        Kind
	Description string
	// Level is the default enforcement level ("mandatory" or "advisory").
	Level string
	// StagingAdvisory is true when the policy's violations are downgraded to
	// advisory outside production (environment strictness).
	StagingAdvisory bool
	// Types lists the resource types a resource policy judges.
	Types []string
	// ConfigKeys lists the policy-pack config keys that tune the policy
	// (keys of the capacity-model policy's config object).
	ConfigKeys []string
}

// Resource type tokens the pack reads (pulumi-gcp v7).
const (
	TypeSQLInstance   = contract.TypeSQLInstance
	TypeConnector     = contract.TypeConnector
	TypeSubnetwork    = contract.TypeSubnetwork
	TypeGlobalAddress = contract.TypeGlobalAddress
	TypeRunService    = contract.TypeRunService
)

// policy is one policy of the pack, whole: what it is (info), what a reader
// does about a violation (meta) and how it judges, either one resource
// (resource) or the whole stack (stack). Each policy is declared in its own
// file, policy_<name>.go, and listed once in catalog.
type policy struct {
	info     PolicyInfo
	meta     Metadata
	resource resourceCheck
	stack    stackCheck
	// schema is the policy's config schema; nil means its enforcement
	// level is its only setting (levelOnlySchema).
	schema func() *policyx.ConfigSchema
}

// catalog is every policy of the pack, in the order the README, the docs,
// SARIF rules and the engine list them: the stack policies that mirror the
// capacity model first, then the resource policies, then the newer ones.
// It is filled in init because the checks reach back to it (checkPolicy
// looks policies up), which a variable initializer may not do.
var catalog []policy

func init() {
	catalog = []policy{
		capacityModelPolicy,
		connectionBudgetPolicy,
		replicaParityPolicy,
		coldStartSuccessPolicy,
		timeoutBudgetPolicy,
		egressHeadroomPolicy,
		directEgressIPsPolicy,
		adminAPIQuotaPolicy,
		builtinConnCapPolicy,
		multiRegionPolicy,
		cidrOverlapPolicy,
		connectorBoundsPolicy,
		sqlPrivateIPOnlyPolicy,
		sqlSSLRequiredPolicy,
		sqlBackupsPITRPolicy,
		sqlDeletionProtPolicy,
		sqlMaxConnectionsPolicy,
		sqlTierEditionPolicy,
		sqlMaintenancePolicy,
		sqlCISLoggingPolicy,
		runMaxInstancesPolicy,
		runProbeWindowPolicy,
		runPoolContractPolicy,
		runEnvCredentialsPolicy,
		runPublicInvokerPolicy,
		demandReadablePolicy,
		secretAccessorScopePolicy,
	}
}

// Catalog returns every policy of the pack, in the catalog's stable order.
func Catalog() []PolicyInfo {
	out := make([]PolicyInfo, len(catalog))
	for i, p := range catalog {
		out[i] = p.info
	}
	return out
}

// Lookup returns the catalog entry of a policy.
func Lookup(name string) (PolicyInfo, bool) {
	if p := lookup(name); p != nil {
		return p.info, true
	}
	return PolicyInfo{}, false
}

// lookup returns the definition of a policy, nil if there is none.
func lookup(name string) *policy {
	for i := range catalog {
		if catalog[i].info.Name == name {
			return &catalog[i]
		}
	}
	return nil
}

// levelToPolicyx converts a config level to the SDK's enum.
func levelToPolicyx(level string) policyx.EnforcementLevel {
	switch level {
	case LevelMandatory:
		return policyx.EnforcementLevelMandatory
	case LevelDisabled:
		return policyx.EnforcementLevelDisabled
	default:
		return policyx.EnforcementLevelAdvisory
	}
}

// levelFromPolicyx converts the SDK's enum to a config level. Remediate has
// no meaning for a validation pack and is treated as advisory.
func levelFromPolicyx(l policyx.EnforcementLevel) string {
	switch l {
	case policyx.EnforcementLevelMandatory:
		return LevelMandatory
	case policyx.EnforcementLevelDisabled:
		return LevelDisabled
	default:
		return LevelAdvisory
	}
}

// checkPolicy maps a capacity finding's check to the policy that reports it.
func checkPolicy(check string) string {
	if check == capacity.CheckTopologyConsistent {
		return PolicyCapacityModel
	}
	if _, ok := Lookup(check); ok {
		return check
	}
	return PolicyCapacityModel
}

// orList renders names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// largestConnectorMachine is the connector machine type with the most
// throughput (the list is ordered smallest first).
func largestConnectorMachine() string {
	names := capacity.ConnectorMachineNames()
	return names[len(names)-1]
}

// cisRequirements renders the CIS flag set for the policy's description.
func cisRequirements() string {
	var parts []string
	for _, f := range contract.CISFlags() {
		parts = append(parts, f.Requirement()+" ("+f.CheckovID+")")
	}
	return strings.Join(parts, "; ")
}
