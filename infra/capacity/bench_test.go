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
