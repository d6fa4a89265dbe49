package capacity

// Topologies built by hand with the same values as stacks/Pulumi.*.yaml and
// tests/testdata/incident/Pulumi.incident.yaml.

// probe240 is the incident's TCP startup probe: 0 + 10 s × 24 = 240 s.
var probe240 = Probe{InitialDelaySeconds: 0, PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 24}

// httpProbe240 is the fixed stacks' probe: the same window, over HTTP on a
// path that tests the database.
var httpProbe240 = Probe{InitialDelaySeconds: 0, PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 24, Path: "/healthz/db"}

// incidentTopology reproduces incident 1278 (docs/incident-1278.md). The post-mortem names
// staging-connector (us-central1), staging-shared-postgres, the 75 s app
// timeout, 10–30 s connector scale-out and pool exhaustion when many
// instances start at once; it gives no sizes, so each is an assumption:
func incidentTopology() Topology {
	return Topology{
		Stack:       "incident",
		Environment: EnvStaging,
		Databases: []Database{{
			Name:   "staging-shared-postgres",
			Region: "us-central1",
			// Assumption: the smallest dedicated-core tier, 3.75 GB → default 100.
			Tier:         "db-custom-1-3840",
			Edition:      EditionEnterprise,
			Availability: AvailabilityZonal,
			// Assumption: the flag equals the tier default (the config requires it).
			MaxConnections: 100,
		}},
		Egress: []Egress{{
			Region: "us-central1", Kind: EgressConnector, Name: "staging-connector",
			// Assumption: gcloud defaults: e2-micro, min 2, max 10 → 2 × ≈100 Mbps at min.
			MachineType: "e2-micro", MinInstances: 2, MaxInstances: 10, IPCIDRRange: "10.8.0.0/28",
		}},
		Workloads: []Workload{
			{
				Name: "netra-backend", Region: "us-central1", Egress: EgressConnector, EgressName: "staging-connector",
				Method: MethodPrivateIP, Database: "staging-shared-postgres",
				// Assumption: scale from zero to 20; 50 Mbps each → 1,000 Mbps ≫ 200 Mbps.
				MinInstances: 0, MaxInstances: 20, Concurrency: 80, EgressMbpsPerInstance: 50,
				// Assumption: pool 10 + overflow 5, 5 connections opened at startup.
				PoolSize: 10, MaxOverflow: 5, StartupConnections: 5,
				ConnectTimeoutSeconds: 75, // post-mortem: 75.0 s staging timeout
				StartupProbe:          probe240,
			},
			{
				Name: "auth-service", Region: "us-central1", Egress: EgressConnector, EgressName: "staging-connector",
				Method: MethodPrivateIP, Database: "staging-shared-postgres",
				MinInstances: 0, MaxInstances: 10, Concurrency: 80, EgressMbpsPerInstance: 10,
				PoolSize: 5, MaxOverflow: 2, StartupConnections: 3,
				ConnectTimeoutSeconds: 75,
				StartupProbe:          probe240,
			},
		},
		// Targets like staging; assumptions: model defaults (30 s scale-out).
		Targets: Targets{StartupSuccessRate: 0.90, ConnectP99Seconds: 30, ConnectionUtilization: 0.80},
	}
}

// stagingTopology is stacks/Pulumi.staging.yaml: the incident fixed.
func stagingTopology() Topology {
	wl := func(name string, maxI int, mbps float64, pool, overflow int) Workload {
		return Workload{
			Name: name, Region: "us-central1", Egress: EgressConnector, EgressName: "staging-connector",
			Method: MethodPrivateIP, Database: "staging-shared-postgres",
			MinInstances: 1, MaxInstances: maxI, Concurrency: 80, EgressMbpsPerInstance: mbps,
			PoolSize: pool, MaxOverflow: overflow, StartupConnections: 2, ConnectTimeoutSeconds: 75,
			StartupProbe: httpProbe240,
		}
	}
	return Topology{
		Stack:       "staging",
		Environment: EnvStaging,
		Databases: []Database{{
			Name: "staging-shared-postgres", Region: "us-central1", Tier: "db-custom-4-16384", Edition: EditionEnterprise,
			Availability: AvailabilityZonal, MaxConnections: 1000,
		}},
		Egress: []Egress{{
			Region: "us-central1", Kind: EgressConnector, Name: "staging-connector",
			MachineType: "e2-standard-4", MinInstances: 3, MaxInstances: 10, IPCIDRRange: "10.8.0.0/28",
		}},
		Workloads: []Workload{
			wl("netra-backend", 20, 20, 10, 5),
			wl("auth-service", 10, 5, 5, 2),
		},
		Targets: Targets{StartupSuccessRate: 0.90, ConnectP99Seconds: 30, ConnectionUtilization: 0.80},
	}
}

// productionTopology is stacks/Pulumi.production.yaml: two regions.
func productionTopology() Topology {
	conn := map[string]string{"us-central1": "prod-connector-usc1", "us-east1": "prod-connector-use1"}
	var wls []Workload
	for _, region := range []string{"us-central1", "us-east1"} {
		wl := func(name string, minI, maxI int, mbps float64, pool, overflow int) Workload {
			return Workload{
				Name: name, Group: name, Region: region, Egress: EgressConnector, EgressName: conn[region],
				Method: MethodPrivateIP, Database: "prod-postgres",
				MinInstances: minI, MaxInstances: maxI, Concurrency: 80, EgressMbpsPerInstance: mbps,
				PoolSize: pool, MaxOverflow: overflow, StartupConnections: 2, ConnectTimeoutSeconds: 45,
				StartupProbe: httpProbe240,
			}
		}
		wls = append(wls, wl("netra-backend", 2, 15, 20, 8, 4), wl("auth-service", 1, 10, 5, 3, 1))
	}
	return Topology{
		Stack:       "production",
		Environment: EnvProduction,
		Databases: []Database{
			{Name: "prod-postgres", Region: "us-central1", Tier: "db-custom-8-32768", Edition: EditionEnterprise,
				Availability: AvailabilityRegional, MaxConnections: 1200},
			{Name: "prod-postgres-use1", Region: "us-east1", Tier: "db-custom-8-32768", Edition: EditionEnterprise,
				Availability: AvailabilityZonal, MaxConnections: 1200, ReplicaOf: "prod-postgres"},
		},
		Egress: []Egress{
			{Region: "us-central1", Kind: EgressConnector, Name: "prod-connector-usc1", MachineType: "e2-standard-4",
				MinInstances: 3, MaxInstances: 10, IPCIDRRange: "10.8.0.0/28"},
			{Region: "us-east1", Kind: EgressConnector, Name: "prod-connector-use1", MachineType: "e2-standard-4",
				MinInstances: 3, MaxInstances: 10, IPCIDRRange: "10.8.0.16/28"},
		},
		Workloads: wls,
		Targets:   Targets{StartupSuccessRate: 0.999, ConnectP99Seconds: 30, ConnectionUtilization: 0.80},
	}
}
