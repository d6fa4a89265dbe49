package capacity

import "testing"

// stormTopology is a cold start of instances × 10 startup connections
// (instances × 10 attempts when nothing is refused) through a connector
// sized not to scale out, onto a database with a slot for each.
func stormTopology(instances int) Topology {
	return Topology{
		Stack:     "bench",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-perf-optimized-N-16", Edition: EditionEnterprisePlus, MaxConnections: instances*10 + 5}},
		Egress:    []Egress{{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-standard-4", MinInstances: 9, MaxInstances: 10, IPCIDRRange: "10.8.0.0/28"}},
		Workloads: []Workload{{Name: "w", Region: "r", Method: MethodPrivateIP, Database: "db", Egress: EgressConnector, EgressName: "c",
			MaxInstances: instances, EgressMbpsPerInstance: 1, PoolSize: 10, StartupConnections: 10, ConnectTimeoutSeconds: 75, StartupProbe: probe240}},
		// 10,000 accepts/s keeps every run inside the 75 s budget, so the
		// attempt count is exactly instances × 10.
		Assumptions: Assumptions{AcceptRatePerSecond: 10000},
	}
}

func benchSimulate(b *testing.B, instances int) {
	topo := stormTopology(instances)
	want := instances * 10
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := Simulate(topo, SimOptions{})
		if s.Attempts != want || s.SuccessRate != 1 {
			b.Fatalf("attempts %d success %v, want %d and 1", s.Attempts, s.SuccessRate, want)
		}
	}
	b.ReportMetric(float64(want), "attempts/op")
}

// BenchmarkSimulate1k: 100 instances × 10 connections.
func BenchmarkSimulate1k(b *testing.B) { benchSimulate(b, 100) }

// BenchmarkSimulate10k: 1,000 instances × 10 connections (target ≤ 50 ms).
func BenchmarkSimulate10k(b *testing.B) { benchSimulate(b, 1000) }

// BenchmarkSimulate100k: 10,000 instances × 10 connections.
func BenchmarkSimulate100k(b *testing.B) { benchSimulate(b, 10000) }

// BenchmarkSimulateIncident is the contended incident storm (retries,
// scale-outs, deadlines).
func BenchmarkSimulateIncident(b *testing.B) {
	topo := incidentTopology()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Simulate(topo, SimOptions{})
	}
}

// BenchmarkAnalyzeProduction is a full report of the production stack.
func BenchmarkAnalyzeProduction(b *testing.B) {
	topo := productionTopology()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Analyze(topo)
	}
}

// BenchmarkAnalyzeStacks is the capacity model with every scenario on each
// repository stack (target: the whole plan ≤ 50 ms per stack warm).
func BenchmarkAnalyzeStacks(b *testing.B) {
	for _, s := range []struct {
		name string
		topo Topology
	}{{"staging", stagingTopology()}, {"production", productionTopology()}, {"incident", incidentTopology()}} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r := Analyze(s.topo)
				if len(r.Scenarios) < 6 {
					b.Fatalf("%d scenarios", len(r.Scenarios))
				}
			}
		})
	}
}

// generatedTopology is a stack of n Cloud Run services (one workload group
// each, so n rollout scenarios) over 4 regions, each with a connector and a
// primary its services use; the first primary has a cross-region replica.
// At n = 1,000 it passes every scenario: per primary 250 × 3 × 2 = 1,500
// (rollout/all 3,010) against floor((4,000 − 5) × 0.8) = 3,196.
func generatedTopology(n int) Topology {
	regions := []string{"us-central1", "us-east1", "europe-west1", "asia-east1"}
	t := Topology{Stack: "generated", Environment: EnvStaging}
	for _, r := range regions {
		t.Databases = append(t.Databases, Database{Name: "db-" + r, Region: r, Tier: "db-perf-optimized-N-128",
			Edition: EditionEnterprisePlus, Availability: AvailabilityRegional, MaxConnections: 4000})
		t.Egress = append(t.Egress, Egress{Region: r, Kind: EgressConnector, Name: "c-" + r, MachineType: "e2-standard-4",
			MinInstances: 3, MaxInstances: 10, IPCIDRRange: "10.8.0.0/28"})
	}
	t.Databases = append(t.Databases, Database{Name: "db-replica", Region: regions[1], Tier: "db-perf-optimized-N-128",
		Edition: EditionEnterprisePlus, Availability: AvailabilityZonal, MaxConnections: 4000, ReplicaOf: "db-" + regions[0]})
	for i := 0; i < n; i++ {
		r := regions[i%len(regions)]
		t.Workloads = append(t.Workloads, Workload{
			Name: "svc-" + itoa(i) + "-" + r, Region: r, Egress: EgressConnector, EgressName: "c-" + r,
			Method: MethodPrivateIP, Database: "db-" + r, MinInstances: 1, MaxInstances: 3, Concurrency: 80,
			EgressMbpsPerInstance: 1, PoolSize: 2, StartupConnections: 1, ConnectTimeoutSeconds: 60, StartupProbe: httpProbe240,
		})
	}
	return t
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// BenchmarkAnalyze1000Services: every scenario of a generated stack of
// 1,000 Cloud Run services (target ≤ 2 s).
func BenchmarkAnalyze1000Services(b *testing.B) {
	topo := generatedTopology(1000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := Analyze(topo)
		// cold-start, 1,000 rollouts, rollout/all, 1 failover, 5 restarts, overshoot.
		if len(r.Scenarios) != 1009 || r.Severity() != SeverityOK {
			b.Fatalf("%d scenarios, verdict %s: %v", len(r.Scenarios), r.Severity(), r.Findings)
		}
	}
}
