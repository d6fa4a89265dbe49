package gcp

import (
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/headroom-dev/headroom/contract"
)

// Version is the pulumi-gcp release the stand-in answers for: the version
// the program's SDK (github.com/pulumi/pulumi-gcp/sdk/v7 v7.38.0) asks the
// engine to load. pulumi-gcp v7.38.0 (2024-08-26) bridges the Terraform
// Google provider (beta) v5.42.0; every replacement rule below is read
// from that tag (docs/standin-provider.md lists them with file and field).
const Version = "7.38.0"

// Upstream is the Terraform provider tag the rules come from (file paths
// below are relative to its google-beta/ directory).
const Upstream = "hashicorp/terraform-provider-google-beta v5.42.0"

// When a rule fires.
const (
	// Any change of the property replaces the resource (schema ForceNew).
	anyChange = ""
	// customdiff.ForceNewIfChange with IsShrinkageIpCidr: the new range no
	// longer contains the old one.
	cidrShrink = "cidr-shrink"
	// customdiff.ForceNewIfChange with a "new < old" function
	// (IsDiskShrinkage).
	decrease = "decrease"
	// customdiff.ForceNewIfChange with isMasterInstanceNameSet: the new
	// value is a non-empty name.
	setNonEmpty = "set-non-empty"
	// privateNetworkCustomizeDiff: the value goes from set to empty.
	unset = "unset"
)

// Rule is one property whose change forces a replacement in the real
// provider.
type Rule struct {
	// Path in Pulumi's names (camelCase; MaxItems:1 blocks are objects):
	// "settings.diskType". A rule on an object covers all of it.
	Path string
	// When is empty for ForceNew, else the customdiff condition.
	When string
	// Source is the Terraform schema field the rule comes from
	// (file under google/services/ and the field as written there).
	Source string
}

// Spec is what the stand-in knows of one resource type.
type Spec struct {
	Token string
	// File is the Terraform resource file (under google/).
	File string
	// Required input paths ("template.containers[].image": every element).
	Required []string
	// Project: the resource has an optional `project` that the provider
	// fills from gcp:project (tpgresource.DefaultProviderProject).
	Project bool
	// RegionKey names the optional region field filled from gcp:region
	// ("If it is not provided, the provider region is used").
	RegionKey string
	// Defaults are schema Default values the bridge writes into the
	// checked inputs when the program leaves them unset.
	Defaults map[string]any
	// Replace lists the properties that force replacement.
	Replace []Rule
	// Computed are output-only properties: unknown during the preview of
	// a new resource, filled by Create.
	Computed []string
}

// Resource type tokens the program declares (infra/gcpfake states them).
const (
	TypeNetwork       = contract.TypeNetwork
	TypeSubnetwork    = contract.TypeSubnetwork
	TypeGlobalAddress = contract.TypeGlobalAddress
	TypePSAConnection = contract.TypePSAConnection
	TypeConnector     = contract.TypeConnector
	TypeSQLInstance   = contract.TypeSQLInstance
	TypeSQLUser       = contract.TypeSQLUser
	TypeSQLDatabase   = contract.TypeSQLDatabase
	TypeRunService    = contract.TypeRunService
	TypeRunJob        = contract.TypeRunJob
	TypeAccount       = contract.TypeAccount
	TypeIAMMember     = contract.TypeIAMMember
	TypeAPIService    = contract.TypeAPIService
)

func forceNew(file string, fields ...string) []Rule {
	rules := make([]Rule, 0, len(fields))
	for _, f := range fields {
		rules = append(rules, Rule{Path: pulumiPath(f), Source: file + ": " + f + " ForceNew"})
	}
	return rules
}

// pulumiPath turns a Terraform path ("settings.0.disk_type") into the
// bridge's Pulumi path ("settings.diskType"): MaxItems:1 blocks become
// objects, snake_case becomes camelCase.
func pulumiPath(tf string) string {
	var parts []string
	for _, p := range strings.Split(tf, ".") {
		if p == "0" {
			continue
		}
		parts = append(parts, camel(p))
	}
	return strings.Join(parts, ".")
}

func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

const (
	fileNetwork    = "services/compute/resource_compute_network.go"
	fileSubnetwork = "services/compute/resource_compute_subnetwork.go"
	fileAddress    = "services/compute/resource_compute_global_address.go"
	filePSA        = "services/servicenetworking/resource_service_networking_connection.go"
	fileConnector  = "services/vpcaccess/resource_vpc_access_connector.go"
	fileSQL        = "services/sql/resource_sql_database_instance.go"
	fileSQLUser    = "services/sql/resource_sql_user.go"
	fileSQLDB      = "services/sql/resource_sql_database.go"
	fileRunService = "services/cloudrunv2/resource_cloud_run_v2_service.go"
	fileRunJob     = "services/cloudrunv2/resource_cloud_run_v2_job.go"
	fileAccount    = "services/resourcemanager/resource_google_service_account.go"
	fileIAMMember  = "tpgiamresource/resource_iam_member.go"
	fileIAMProject = "services/resourcemanager/iam_project.go"
	fileAPIService = "services/resourcemanager/resource_google_project_service.go"
)

// specs is the stand-in's catalogue, by type token.
var specs = map[string]*Spec{
	TypeNetwork: {
		Token: TypeNetwork, File: fileNetwork, Project: true,
		Required: []string{"name"},
		Replace: forceNew(fileNetwork, "name", "auto_create_subnetworks", "description",
			"enable_ula_internal_ipv6", "internal_ipv6_range", "mtu", "project"),
		Computed: []string{"selfLink", "numericId", "gatewayIpv4", "mtu", "internalIpv6Range"},
	},
	TypeSubnetwork: {
		Token: TypeSubnetwork, File: fileSubnetwork, Project: true, RegionKey: "region",
		Required: []string{"name", "network", "ipCidrRange"},
		Replace: append(forceNew(fileSubnetwork, "name", "network", "description",
			"external_ipv6_prefix", "purpose", "region", "project"),
			Rule{Path: "ipCidrRange", When: cidrShrink,
				Source: fileSubnetwork + `: customdiff.ForceNewIfChange("ip_cidr_range", IsShrinkageIpCidr)`}),
		Computed: []string{"selfLink", "gatewayAddress", "creationTimestamp", "fingerprint", "stackType", "purpose"},
	},
	TypeGlobalAddress: {
		Token: TypeGlobalAddress, File: fileAddress, Project: true,
		Required: []string{"name"},
		Replace: forceNew(fileAddress, "name", "address", "address_type", "description",
			"ip_version", "network", "prefix_length", "purpose", "project"),
		Computed: []string{"selfLink", "creationTimestamp", "address"},
	},
	TypePSAConnection: {
		Token: TypePSAConnection, File: filePSA,
		Required: []string{"network", "service", "reservedPeeringRanges"},
		Replace:  forceNew(filePSA, "network", "service"),
		Computed: []string{"peering"},
	},
	TypeConnector: {
		// At v5.42.0 every sizing field is ForceNew: any change of
		// machine_type, min_instances or max_instances replaces the
		// connector (in-place growth came with v6.34.0).
		Token: TypeConnector, File: fileConnector, Project: true, RegionKey: "region",
		Required: []string{"name"},
		Defaults: map[string]any{"machineType": "e2-micro", "minThroughput": 200.0, "maxThroughput": 300.0},
		Replace: forceNew(fileConnector, "name", "ip_cidr_range", "machine_type", "max_instances",
			"max_throughput", "min_instances", "min_throughput", "network", "region", "subnet", "project"),
		Computed: []string{"selfLink", "state", "connectedProjects", "minInstances", "maxInstances"},
	},
	TypeSQLInstance: {
		Token: TypeSQLInstance, File: fileSQL, Project: true, RegionKey: "region",
		Required: []string{"databaseVersion", "settings.tier"},
		Defaults: map[string]any{"deletionProtection": true},
		Replace: append(forceNew(fileSQL, "region", "settings.0.time_zone", "settings.0.collation",
			"settings.0.disk_type", "encryption_key_name", "name", "project"),
			Rule{Path: "replicaConfiguration", Source: fileSQL + ": replica_configuration.0.* ForceNew (every field of the block)"},
			Rule{Path: "settings.diskSize", When: decrease,
				Source: fileSQL + `: customdiff.ForceNewIfChange("settings.0.disk_size", compute.IsDiskShrinkage)`},
			Rule{Path: "masterInstanceName", When: setNonEmpty,
				Source: fileSQL + `: customdiff.ForceNewIfChange("master_instance_name", isMasterInstanceNameSet)`},
			Rule{Path: "settings.ipConfiguration.privateNetwork", When: unset,
				Source: fileSQL + `: privateNetworkCustomizeDiff (settings.0.ip_configuration.0.private_network set → unset)`},
		),
		Computed: []string{"connectionName", "privateIpAddress", "publicIpAddress", "firstIpAddress", "ipAddresses",
			"selfLink", "serviceAccountEmailAddress", "dnsName", "instanceType", "serverCaCerts", "pscServiceAttachmentLink"},
	},
	TypeSQLUser: {
		Token: TypeSQLUser, File: fileSQLUser, Project: true,
		Required: []string{"name", "instance"},
		Replace:  forceNew(fileSQLUser, "host", "instance", "name", "type", "project"),
		Computed: []string{"sqlServerUserDetails"},
	},
	TypeSQLDatabase: {
		Token: TypeSQLDatabase, File: fileSQLDB, Project: true,
		Required: []string{"name", "instance"},
		Replace:  forceNew(fileSQLDB, "instance", "name", "project"),
		Computed: []string{"selfLink", "charset", "collation"},
	},
	TypeRunService: {
		Token: TypeRunService, File: fileRunService, Project: true,
		Required: []string{"name", "location", "template", "template.containers[].image"},
		Replace:  forceNew(fileRunService, "location", "name", "project"),
		Computed: []string{"uri", "uid", "etag", "generation", "observedGeneration", "latestReadyRevision",
			"latestCreatedRevision", "reconciling", "terminalConditions", "conditions"},
	},
	TypeRunJob: {
		Token: TypeRunJob, File: fileRunJob, Project: true,
		Required: []string{"name", "location", "template", "template.template", "template.template.containers[].image"},
		Replace:  forceNew(fileRunJob, "location", "name", "project"),
		Computed: []string{"uid", "etag", "generation", "observedGeneration", "latestCreatedExecution",
			"executionCount", "reconciling", "terminalConditions", "conditions"},
	},
	TypeAccount: {
		Token: TypeAccount, File: fileAccount, Project: true,
		Required: []string{"accountId"},
		Replace:  forceNew(fileAccount, "account_id", "project"),
		Computed: []string{"email", "member", "name", "uniqueId"},
	},
	TypeIAMMember: {
		// project is Required here (IamProjectSchema), not defaulted.
		Token: TypeIAMMember, File: fileIAMMember,
		Required: []string{"project", "role", "member"},
		Replace: append(forceNew(fileIAMMember, "role", "member", "condition"),
			Rule{Path: "project", Source: fileIAMProject + ": project ForceNew"}),
		Computed: []string{"etag"},
	},
	TypeAPIService: {
		Token: TypeAPIService, File: fileAPIService, Project: true,
		Required: []string{"service"},
		Defaults: map[string]any{"disableOnDestroy": true},
		Replace:  forceNew(fileAPIService, "service", "project"),
	},
}

// genericSpec is used for a gcp: type the catalogue does not list (a
// resource another part of the program adds later): project, region,
// location and name replace, as they do for nearly every Google Cloud
// resource; nothing else does. docs/standin-provider.md says how to add
// the real rules.
func genericSpec(token string) *Spec {
	return &Spec{
		Token: token, File: "(not catalogued: generic rules)", Project: true,
		Replace: []Rule{
			{Path: "project", Source: "generic: project is ForceNew on Google Cloud resources"},
			{Path: "region", Source: "generic: region is ForceNew on regional resources"},
			{Path: "location", Source: "generic: location is ForceNew on located resources"},
			{Path: "name", Source: "generic: a resource name is immutable"},
		},
		Computed: []string{"selfLink"},
	}
}

// SpecFor returns the spec of a type token (generic when not catalogued).
func SpecFor(token string) *Spec {
	if s, ok := specs[token]; ok {
		return s
	}
	return genericSpec(token)
}

// Specs lists the catalogued specs (for documentation and tests).
func Specs() []*Spec {
	out := make([]*Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	return out
}

// ruleFor returns the rule a changed property path falls under, if any.
// path uses "." between keys and "[i]" for elements.
func (s *Spec) ruleFor(path string) (Rule, bool) {
	for _, r := range s.Replace {
		if path == r.Path || strings.HasPrefix(path, r.Path+".") || strings.HasPrefix(path, r.Path+"[") {
			return r, true
		}
	}
	return Rule{}, false
}

// fires reports whether a rule forces replacement for this change.
func (r Rule) fires(old, new resource.PropertyValue) bool {
	if new.ContainsUnknowns() {
		// The preview cannot rule the condition out.
		return true
	}
	switch r.When {
	case anyChange:
		return true
	case cidrShrink:
		o, err1 := netip.ParsePrefix(plainString(old))
		n, err2 := netip.ParsePrefix(plainString(new))
		if err1 != nil || err2 != nil {
			return false
		}
		o = o.Masked()
		last := lastAddr(o)
		return !(n.Contains(o.Addr()) && n.Contains(last))
	case decrease:
		o, n := unwrap(old), unwrap(new)
		return o.IsNumber() && n.IsNumber() && n.NumberValue() < o.NumberValue()
	case setNonEmpty:
		return plainString(new) != ""
	case unset:
		return plainString(old) != "" && plainString(new) == ""
	}
	return false
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As16()
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	for i := bits; i < 128; i++ {
		a[i/8] |= 1 << (7 - uint(i%8))
	}
	out := netip.AddrFrom16(a)
	if p.Addr().Is4() {
		out = out.Unmap()
	}
	return out
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func plainString(v resource.PropertyValue) string {
	v = unwrap(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}
