package policytest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/headroom-dev/headroom/contract"
)

// Type tokens (pulumi-gcp v7), repeated here so fixtures need no pack import.
const (
	TypeSQLInstance   = contract.TypeSQLInstance
	TypeConnector     = contract.TypeConnector
	TypeSubnetwork    = contract.TypeSubnetwork
	TypeNetwork       = contract.TypeNetwork
	TypeGlobalAddress = contract.TypeGlobalAddress
	TypeRunService    = contract.TypeRunService
)

// Instance describes a Cloud SQL for PostgreSQL instance.
type Instance struct {
	Project, Name, Region, Tier, Edition, Availability string
	MaxConnections                                     int // 0 = flag not set
	ReplicaOf                                          string
	PrivateIP                                          string
	Network                                            string
	RetainedBackups, LogRetentionDays                  int
	DeletionProtection                                 bool
}

// CISFlags are the flags every instance the fixtures build carries: IAM
// authentication and the CIS PostgreSQL logging set (contract.CISFlags).
var CISFlags = cisFlags()

func cisFlags() [][2]string {
	out := [][2]string{{"cloudsql.iam_authentication", "on"}}
	for _, f := range contract.CISFlags() {
		out = append(out, [2]string{f.Name, f.Value})
	}
	return out
}

// SQLInstance builds the properties (inputs + mock outputs) of an instance.
func SQLInstance(i Instance) map[string]any {
	flags := []map[string]any{}
	if i.MaxConnections > 0 {
		flags = append(flags, map[string]any{"name": "max_connections", "value": strconv.Itoa(i.MaxConnections)})
	}
	for _, f := range CISFlags {
		flags = append(flags, map[string]any{"name": f[0], "value": f[1]})
	}
	settings := map[string]any{
		"tier":                      i.Tier,
		"edition":                   i.Edition,
		"availabilityType":          i.Availability,
		"diskSize":                  100,
		"diskType":                  "PD_SSD",
		"deletionProtectionEnabled": i.DeletionProtection,
		"databaseFlags":             flags,
		"ipConfiguration": map[string]any{
			"ipv4Enabled":        false,
			"privateNetwork":     "projects/" + i.Project + "/global/networks/" + i.Network,
			"sslMode":            "ENCRYPTED_ONLY",
			"authorizedNetworks": []any{},
		},
		"insightsConfig": map[string]any{"queryInsightsEnabled": true},
	}
	if i.ReplicaOf == "" {
		settings["backupConfiguration"] = map[string]any{
			"enabled":                     true,
			"pointInTimeRecoveryEnabled":  true,
			"transactionLogRetentionDays": i.LogRetentionDays,
			"backupRetentionSettings":     map[string]any{"retainedBackups": i.RetainedBackups},
			"startTime":                   "02:00",
		}
		settings["maintenanceWindow"] = map[string]any{"day": 7, "hour": 3, "updateTrack": "stable"}
	}
	m := map[string]any{
		"name":               i.Name,
		"region":             i.Region,
		"databaseVersion":    "POSTGRES_15",
		"deletionProtection": i.DeletionProtection,
		"settings":           settings,
		"privateIpAddress":   i.PrivateIP,
		"connectionName":     fmt.Sprintf("%s:%s:%s", i.Project, i.Region, i.Name),
		"selfLink":           fmt.Sprintf("https://sqladmin.googleapis.com/sql/v1beta4/projects/%s/instances/%s", i.Project, i.Name),
		"ipAddresses":        []any{map[string]any{"type": "PRIVATE", "ipAddress": i.PrivateIP}},
	}
	if i.ReplicaOf != "" {
		m["masterInstanceName"] = i.ReplicaOf
	}
	return m
}

// ConnectorSpec describes a Serverless VPC Access connector.
type ConnectorSpec struct {
	Project, Name, Region, CIDR, MachineType, Network string
	Min, Max                                          int
}

// Connector builds the properties of a connector.
func Connector(c ConnectorSpec) map[string]any {
	id := fmt.Sprintf("projects/%s/locations/%s/connectors/%s", c.Project, c.Region, c.Name)
	return map[string]any{
		"name":         c.Name,
		"region":       c.Region,
		"ipCidrRange":  c.CIDR,
		"machineType":  c.MachineType,
		"minInstances": c.Min,
		"maxInstances": c.Max,
		"network":      c.Network,
		"id":           id,
		"selfLink":     id,
	}
}

// Subnet builds the properties of a subnetwork.
func Subnet(name, region, cidr, network string) map[string]any {
	return map[string]any{
		"name": name, "region": region, "ipCidrRange": cidr, "network": network, "privateIpGoogleAccess": true,
	}
}

// PSARange builds the private services access range.
func PSARange(name, address string, prefix int, network string) map[string]any {
	return map[string]any{
		"name": name, "address": address, "prefixLength": prefix, "purpose": "VPC_PEERING",
		"addressType": "INTERNAL", "network": network,
	}
}

// Probe is a startup probe.
type Probe struct {
	InitialDelay, Period, Timeout, FailureThreshold int
	// Path makes it an HTTP probe on that path; empty is a TCP probe.
	Path string
}

// ServiceSpec describes one Cloud Run service of a workload in a region.
type ServiceSpec struct {
	Project, Workload, Region string
	Min, Max, Concurrency     int
	EgressMbps                float64
	// Connector is the connector name; DirectSubnet the Direct VPC egress
	// subnet name (one of them).
	Connector, DirectSubnet, Network string
	Pool, Overflow, Startup          int
	ConnectTimeout                   int
	Probe                            Probe
	// DB target: DBHost (private IP) and DBInstance (connection name).
	DBHost, DBInstance string
}

// ServiceName is the Cloud Run service name "<workload>-<region>".
func ServiceName(workload, region string) string { return contract.ServiceName(workload, region) }

// Service builds the properties of a Cloud Run v2 service.
func Service(s ServiceSpec) map[string]any {
	name := ServiceName(s.Workload, s.Region)
	vpc := map[string]any{"egress": "PRIVATE_RANGES_ONLY"}
	if s.Connector != "" {
		vpc["connector"] = fmt.Sprintf("projects/%s/locations/%s/connectors/%s", s.Project, s.Region, s.Connector)
	} else {
		vpc["networkInterfaces"] = []any{map[string]any{
			"network":    s.Network,
			"subnetwork": fmt.Sprintf("projects/%s/regions/%s/subnetworks/%s", s.Project, s.Region, s.DirectSubnet),
		}}
	}
	sa := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", s.Workload, s.Project)
	envs := []any{
		map[string]any{"name": contract.EnvDBHost, "value": s.DBHost},
		map[string]any{"name": contract.EnvDBName, "value": "netra"},
		map[string]any{"name": contract.EnvDBUser, "value": strings.TrimSuffix(sa, ".gserviceaccount.com")},
		map[string]any{"name": contract.EnvDBPoolSize, "value": strconv.Itoa(s.Pool)},
		map[string]any{"name": contract.EnvDBMaxOverflow, "value": strconv.Itoa(s.Overflow)},
		map[string]any{"name": contract.EnvDBStartupConnections, "value": strconv.Itoa(s.Startup)},
		map[string]any{"name": contract.EnvDBConnectTimeout, "value": strconv.Itoa(s.ConnectTimeout)},
		map[string]any{"name": contract.EnvDBInstance, "value": s.DBInstance},
	}
	return map[string]any{
		"name":     name,
		"location": s.Region,
		"ingress":  "INGRESS_TRAFFIC_ALL",
		"labels":   map[string]any{contract.LabelWorkload: s.Workload, contract.LabelManagedBy: "headroom"},
		"annotations": map[string]any{
			contract.AnnotationEgressMbps: strconv.FormatFloat(s.EgressMbps, 'f', -1, 64),
		},
		"template": map[string]any{
			"serviceAccount":                sa,
			"scaling":                       map[string]any{"minInstanceCount": s.Min, "maxInstanceCount": s.Max},
			"maxInstanceRequestConcurrency": s.Concurrency,
			"vpcAccess":                     vpc,
			"containers": []any{map[string]any{
				"image":        "us-docker.pkg.dev/" + s.Project + "/apps/" + s.Workload + ":latest",
				"envs":         envs,
				"startupProbe": probe(s.Probe),
			}},
		},
		"uri": "https://" + name + "-abc123-uc.a.run.app",
	}
}

// probe builds a startup probe: HTTP when it has a path, TCP otherwise.
func probe(p Probe) map[string]any {
	out := map[string]any{
		"initialDelaySeconds": p.InitialDelay,
		"periodSeconds":       p.Period,
		"timeoutSeconds":      p.Timeout,
		"failureThreshold":    p.FailureThreshold,
	}
	if p.Path != "" {
		out["httpGet"] = map[string]any{"path": p.Path, "port": 8080}
	} else {
		out["tcpSocket"] = map[string]any{"port": 8080}
	}
	return out
}
