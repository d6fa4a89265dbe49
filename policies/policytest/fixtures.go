package policytest

import "fmt"

// Hand-written resource graphs of the three reference stacks, with the
// numbers of stacks/Pulumi.<stack>.yaml. They let the pack be tested
// before, and independently of, the Pulumi program's mock run.

// tcpProbe is the incident's startup probe; httpProbe the fixed stacks'
// (the same 240 s window, on a path that tests the database).
var (
	tcpProbe  = Probe{InitialDelay: 0, Period: 10, Timeout: 5, FailureThreshold: 24}
	httpProbe = Probe{InitialDelay: 0, Period: 10, Timeout: 5, FailureThreshold: 24, Path: "/healthz/db"}
)

type workload struct {
	name                             string
	min, max                         int
	egress                           float64
	pool, overflow, startup, timeout int
	probe                            Probe
}

// Staging is the staging stack: the incident fixed (one region, connector
// e2-standard-4 3–10, db-custom-4-16384 with max_connections 1000 so that
// every rollout fits).
func Staging() *Stack {
	const project, region, network = "netra-staging", "us-central1", "staging-vpc"
	s := NewStack("headroom", "staging")
	s.Add(TypeNetwork, network, map[string]any{"name": network, "autoCreateSubnetworks": false})
	s.Add(TypeGlobalAddress, "staging-vpc-psa", PSARange("staging-vpc-psa", "10.100.0.0", 16, network), network)
	s.Add(TypeSubnetwork, "staging-vpc-us-central1", Subnet("staging-vpc-us-central1", region, "10.10.0.0/20", network), network)
	s.Add(TypeConnector, "staging-connector", Connector(ConnectorSpec{
		Project: project, Name: "staging-connector", Region: region, CIDR: "10.8.0.0/28",
		MachineType: "e2-standard-4", Min: 3, Max: 10, Network: network,
	}), network)
	s.Add(TypeSQLInstance, "staging-shared-postgres", SQLInstance(Instance{
		Project: project, Name: "staging-shared-postgres", Region: region, Tier: "db-custom-4-16384",
		Edition: "ENTERPRISE", Availability: "ZONAL", MaxConnections: 1000, PrivateIP: "10.100.0.3",
		Network: network, RetainedBackups: 7, LogRetentionDays: 7, DeletionProtection: true,
	}), network)
	for _, w := range []workload{
		{"netra-backend", 1, 20, 20, 10, 5, 2, 75, httpProbe},
		{"auth-service", 1, 10, 5, 5, 2, 2, 75, httpProbe},
	} {
		addService(s, project, region, w, "staging-connector", "", network, "10.100.0.3", "staging-shared-postgres")
	}
	return s
}

// Production is the production stack: two regions, REGIONAL primary in
// us-central1 with a replica in us-east1.
func Production() *Stack {
	const project, network = "netra-production", "prod-vpc"
	s := NewStack("headroom", "production")
	s.Add(TypeNetwork, network, map[string]any{"name": network, "autoCreateSubnetworks": false})
	s.Add(TypeGlobalAddress, "prod-vpc-psa", PSARange("prod-vpc-psa", "10.100.0.0", 16, network), network)
	regions := []struct{ region, subnet, connector, connCIDR string }{
		{"us-central1", "10.10.0.0/20", "prod-connector-usc1", "10.8.0.0/28"},
		{"us-east1", "10.20.0.0/20", "prod-connector-use1", "10.8.0.16/28"},
	}
	for _, r := range regions {
		s.Add(TypeSubnetwork, "prod-vpc-"+r.region, Subnet("prod-vpc-"+r.region, r.region, r.subnet, network), network)
		s.Add(TypeConnector, r.connector, Connector(ConnectorSpec{
			Project: project, Name: r.connector, Region: r.region, CIDR: r.connCIDR,
			MachineType: "e2-standard-4", Min: 3, Max: 10, Network: network,
		}), network)
	}
	s.Add(TypeSQLInstance, "prod-postgres", SQLInstance(Instance{
		Project: project, Name: "prod-postgres", Region: "us-central1", Tier: "db-custom-8-32768",
		Edition: "ENTERPRISE", Availability: "REGIONAL", MaxConnections: 1200, PrivateIP: "10.100.0.3",
		Network: network, RetainedBackups: 14, LogRetentionDays: 7, DeletionProtection: true,
	}), network)
	s.Add(TypeSQLInstance, "prod-postgres-use1", SQLInstance(Instance{
		Project: project, Name: "prod-postgres-use1", Region: "us-east1", Tier: "db-custom-8-32768",
		Edition: "ENTERPRISE", Availability: "ZONAL", MaxConnections: 1200, PrivateIP: "10.100.1.3",
		Network: network, ReplicaOf: "prod-postgres", DeletionProtection: true,
	}), network, "prod-postgres")
	for _, r := range regions {
		for _, w := range []workload{
			{"netra-backend", 2, 15, 20, 8, 4, 2, 45, httpProbe},
			{"auth-service", 1, 10, 5, 3, 1, 2, 45, httpProbe},
		} {
			addService(s, project, r.region, w, r.connector, "", network, "10.100.0.3", "prod-postgres")
		}
	}
	return s
}

// Incident reproduces incident 1278 (docs/incident-1278.md; NOT deployable): e2-micro connector
// 2–10, db-custom-1-3840 with max_connections 100, services from zero.
func Incident() *Stack {
	const project, region, network = "netra-staging", "us-central1", "staging-vpc"
	s := NewStack("headroom", "incident")
	s.Add(TypeNetwork, network, map[string]any{"name": network, "autoCreateSubnetworks": false})
	s.Add(TypeGlobalAddress, "staging-vpc-psa", PSARange("staging-vpc-psa", "10.100.0.0", 16, network), network)
	s.Add(TypeSubnetwork, "staging-vpc-us-central1", Subnet("staging-vpc-us-central1", region, "10.10.0.0/20", network), network)
	s.Add(TypeConnector, "staging-connector", Connector(ConnectorSpec{
		Project: project, Name: "staging-connector", Region: region, CIDR: "10.8.0.0/28",
		MachineType: "e2-micro", Min: 2, Max: 10, Network: network,
	}), network)
	s.Add(TypeSQLInstance, "staging-shared-postgres", SQLInstance(Instance{
		Project: project, Name: "staging-shared-postgres", Region: region, Tier: "db-custom-1-3840",
		Edition: "ENTERPRISE", Availability: "ZONAL", MaxConnections: 100, PrivateIP: "10.100.0.3",
		Network: network, RetainedBackups: 7, LogRetentionDays: 7, DeletionProtection: true,
	}), network)
	for _, w := range []workload{
		{"netra-backend", 0, 20, 50, 10, 5, 5, 75, tcpProbe},
		{"auth-service", 0, 10, 10, 5, 2, 3, 75, tcpProbe},
	} {
		addService(s, project, region, w, "staging-connector", "", network, "10.100.0.3", "staging-shared-postgres")
	}
	return s
}

func addService(s *Stack, project, region string, w workload, connector, direct, network, dbHost, instance string) {
	name := ServiceName(w.name, region)
	spec := ServiceSpec{
		Project: project, Workload: w.name, Region: region, Min: w.min, Max: w.max, Concurrency: 80,
		EgressMbps: w.egress, Connector: connector, DirectSubnet: direct, Network: network,
		Pool: w.pool, Overflow: w.overflow, Startup: w.startup, ConnectTimeout: w.timeout, Probe: w.probe,
		DBHost: dbHost, DBInstance: fmt.Sprintf("%s:%s:%s", project, instanceRegion(s, instance), instance),
	}
	deps := []string{instance}
	if connector != "" {
		deps = append(deps, connector)
	}
	s.Add(TypeRunService, name, Service(spec), deps...)
}

func instanceRegion(s *Stack, instance string) string {
	if m, ok := s.Props[instance]; ok {
		if r, ok := m["region"].(string); ok {
			return r
		}
	}
	return ""
}
