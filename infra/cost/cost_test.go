package cost

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/config"
)

func load(t *testing.T, path string) config.Stack {
	t.Helper()
	f, err := config.LoadFile(path)
	require.NoError(t, err)
	return f.Stack
}

func TestPriceTableIsValidAndSourced(t *testing.T) {
	tb, err := Prices()
	require.NoError(t, err)
	assert.Equal(t, "us-central1", tb.Region)
	assert.Equal(t, "USD", tb.Currency)
	assert.Equal(t, 730.0, tb.HoursPerMonth)
	assert.Contains(t, tb.Label, "list prices")
	assert.Contains(t, tb.Label, "no discounts")
	for _, it := range tb.Items {
		assert.True(t, strings.HasPrefix(it.Source, "https://"), it.Key)
		if it.Value == nil {
			assert.Contains(t, it.Via, "NOT FOUND", "%s: a missing price says so", it.Key)
		}
	}
	_, ok := tb.Lookup(keyConnector("f1-micro"))
	assert.False(t, ok, "f1-micro was not found and stays unpriced")
}

func TestParseTableRejects(t *testing.T) {
	good, err := os.ReadFile("prices.json")
	require.NoError(t, err)
	tests := []struct {
		name, from, to, want string
	}{
		{"unknown field", `"region"`, `"regoin"`, "unknown field"},
		{"bad date", `"read": "2026-11-29"`, `"read": "Nov 29"`, "want YYYY-MM-DD"},
		{"zero hours", `"hoursPerMonth": 730`, `"hoursPerMonth": 0`, "hoursPerMonth"},
		{"negative price", `"value": 0.0413`, `"value": -1`, "want ≥ 0 or null"},
		{"unofficial source", `"source": "https://cloud.google.com/run/pricing"`, `"source": "https://example.com/run"`, "official"},
		{"duplicate key", `"key": "cloudsql.ssdGBMonth"`, `"key": "cloudsql.haMultiplier"`, "duplicate"},
		{"missing key", `"key": "run.idle.gibSecond"`, `"key": "run.idle.other"`, `missing item "run.idle.gibSecond"`},
		{"trailing data", "\n  ]\n}", "\n  ]\n} {}", "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, string(good), tt.from)
			bad := strings.Replace(string(good), tt.from, tt.to, 1)
			_, err := ParseTable([]byte(bad))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// TestEstimateStacks checks the estimate of each stack by hand:
// 730 h/month; Enterprise $0.0413/vCPU-h + $0.007/GB-h; SSD $0.17/GB-month
// on the 10 GB default disk; e2-micro $0.0084/h, e2-standard-4 $0.134/h;
// Cloud Run idle min instance (1 vCPU, 0.5 GiB) × $0.0000025/s each.
func TestEstimateStacks(t *testing.T) {
	runMin := (1*0.0000025 + 0.5*0.0000025) * 730 * 3600 // 9.855 per min instance
	tests := []struct {
		name, path  string
		sql         map[string]float64
		connectors  map[string][2]float64 // min, max
		run         map[string]float64
		total, maxT float64
	}{
		{"incident", "../../tests/testdata/incident/Pulumi.incident.yaml",
			map[string]float64{"staging-shared-postgres": (0.0413+3.75*0.007)*730 + 1.7},
			map[string][2]float64{"staging-connector": {0.0084 * 730 * 2, 0.0084 * 730 * 10}},
			map[string]float64{},
			(0.0413+3.75*0.007)*730 + 1.7 + 0.0084*730*2, (0.0413+3.75*0.007)*730 + 1.7 + 0.0084*730*10},
		{"staging", "../../stacks/Pulumi.staging.yaml",
			map[string]float64{"staging-shared-postgres": (4*0.0413+16*0.007)*730 + 1.7},
			map[string][2]float64{"staging-connector": {0.134 * 730 * 3, 0.134 * 730 * 10}},
			map[string]float64{"netra-backend": runMin, "auth-service": runMin},
			(4*0.0413+16*0.007)*730 + 1.7 + 0.134*730*3 + 2*runMin, (4*0.0413+16*0.007)*730 + 1.7 + 0.134*730*10 + 2*runMin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Estimate(load(t, tt.path))
			assert.Empty(t, c.Unpriced)
			assert.Equal(t, "us-central1", c.Region)
			assert.Equal(t, "2026-11-29", c.PricesRead)
			for _, l := range c.Lines {
				require.True(t, l.Priced, l.Name)
				switch l.Kind {
				case KindCloudSQL:
					assert.InDelta(t, tt.sql[l.Name], l.MonthlyUSD, 0.011, l.Name)
				case KindConnector:
					assert.InDelta(t, tt.connectors[l.Name][0], l.MonthlyUSD, 0.011, l.Name)
					assert.InDelta(t, tt.connectors[l.Name][1], l.MaxMonthlyUSD, 0.011, l.Name)
				case KindCloudRun:
					assert.InDelta(t, tt.run[l.Name], l.MonthlyUSD, 0.011, l.Name)
				}
			}
			assert.Len(t, c.Lines, len(tt.sql)+len(tt.connectors)+len(tt.run))
			assert.InDelta(t, tt.total, c.MonthlyUSD, 0.03)
			assert.InDelta(t, tt.maxT, c.MaxMonthlyUSD, 0.03)
		})
	}
}

// TestEstimateLevers: each lever the suggest search pulls moves the cost the
// way the table says (HA doubles an instance, a replica adds one, a larger
// tier or connector costs more, an unknown price is reported unpriced).
func TestEstimateLevers(t *testing.T) {
	base := load(t, "../../tests/testdata/incident/Pulumi.incident.yaml")
	b := Estimate(base)
	sqlOf := func(c Cost, name string) float64 {
		for _, l := range c.Lines {
			if l.Kind == KindCloudSQL && l.Name == name {
				return l.MonthlyUSD
			}
		}
		return -1
	}
	primary := sqlOf(b, "staging-shared-postgres")

	ha := base
	ha.Database.Availability = "REGIONAL"
	assert.InDelta(t, 2*primary, sqlOf(Estimate(ha), "staging-shared-postgres"), 0.011, "HA doubles the instance")

	rep := base
	rep.Database.Replicas = []config.Replica{{Name: "r1", Region: "us-east1"}}
	assert.InDelta(t, primary, sqlOf(Estimate(rep), "r1"), 0.011, "a replica of the same tier costs the same")
	assert.InDelta(t, b.MonthlyUSD+primary, Estimate(rep).MonthlyUSD, 0.02)

	plus := base
	plus.Database.Edition = "ENTERPRISE_PLUS"
	plus.Database.Tier = "db-perf-optimized-N-2"
	assert.InDelta(t, (2*0.0537+16*0.0091)*730+1.7, sqlOf(Estimate(plus), "staging-shared-postgres"), 0.011)

	for tier, want := range map[string][2]float64{"db-custom-N4-2-8192": {0.0413, 0.007}, "db-c4a-highmem-4": {0.054, 0.009}} {
		st := base
		st.Database.Tier = tier
		if tier == "db-c4a-highmem-4" {
			st.Database.Edition = "ENTERPRISE_PLUS"
		}
		c := Estimate(st)
		require.Empty(t, c.Unpriced, tier)
		var got float64
		for _, l := range c.Lines {
			if l.Kind == KindCloudSQL {
				got = l.MonthlyUSD
			}
		}
		var vcpu int
		var mem float64
		if tier == "db-custom-N4-2-8192" {
			vcpu, mem = 2, 8
		} else {
			vcpu, mem = 4, 32
		}
		assert.InDelta(t, (float64(vcpu)*want[0]+mem*want[1])*730+1.7, got, 0.011, tier)
	}

	shared := base
	shared.Database.Tier = "db-g1-small"
	assert.InDelta(t, 0.035*730+1.7, sqlOf(Estimate(shared), "staging-shared-postgres"), 0.011)

	disk := base
	disk.Database.DiskSizeGb = 100
	assert.InDelta(t, primary+90*0.17, sqlOf(Estimate(disk), "staging-shared-postgres"), 0.011)

	f1 := base
	f1.Network.Regions = map[string]config.Region{"us-central1": {Egress: "connector",
		Connector: &config.Connector{Name: "c", MachineType: "f1-micro", MinInstances: 2, MaxInstances: 10}}}
	c := Estimate(f1)
	require.Len(t, c.Unpriced, 1)
	assert.Contains(t, c.Unpriced[0], "f1-micro")
	assert.InDelta(t, primary, c.MonthlyUSD, 0.011, "the unpriced connector is left out of the sum")

	direct := base
	direct.Network.Regions = map[string]config.Region{"us-central1": {Egress: "direct", Direct: &config.Direct{Subnet: "10.20.0.0/24"}}}
	assert.InDelta(t, primary, Estimate(direct).MonthlyUSD, 0.011, "Direct VPC egress has no instance charge")

	run := base
	run.Workloads = append([]config.Workload(nil), base.Workloads...)
	run.Workloads[0].MinInstances = 2
	run.Workloads[0].CPU = "2"
	run.Workloads[0].Memory = "1Gi"
	assert.InDelta(t, b.MonthlyUSD+2*(2+1)*0.0000025*730*3600, Estimate(run).MonthlyUSD, 0.02)
}

func TestParseQuantities(t *testing.T) {
	cpu := []struct {
		in   string
		want float64
		ok   bool
	}{{"1", 1, true}, {"2", 2, true}, {"0.5", 0.5, true}, {"1000m", 1, true}, {"250m", 0.25, true},
		{"0", 0, false}, {"-1", 0, false}, {"m", 0, false}, {"1e3", 0, false}, {"NaN", 0, false}, {"", 0, false}}
	for _, tt := range cpu {
		v, err := ParseCPU(tt.in)
		assert.Equal(t, tt.ok, err == nil, tt.in)
		assert.InDelta(t, tt.want, v, 1e-12, tt.in)
	}
	mem := []struct {
		in   string
		want float64
		ok   bool
	}{{"512Mi", 0.5, true}, {"2Gi", 2, true}, {"1G", 1e9 / (1 << 30), true}, {"1000M", 1e9 / (1 << 30), true},
		{"0Gi", 0, false}, {"1.5Gi", 0, false}, {"Gi", 0, false}, {"1Ti", 0, false}, {"-1Mi", 0, false}}
	for _, tt := range mem {
		v, err := ParseMemoryGiB(tt.in)
		assert.Equal(t, tt.ok, err == nil, tt.in)
		assert.InDelta(t, tt.want, v, 1e-12, tt.in)
	}
}

func FuzzParseTable(f *testing.F) {
	f.Add(pricesJSON)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"items":[{"key":"a","value":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := ParseTable(data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		for _, it := range tb.Items {
			if it.Value != nil && *it.Value < 0 {
				t.Fatalf("accepted a negative price for %s", it.Key)
			}
		}
	})
}

func FuzzParseQuantities(f *testing.F) {
	for _, s := range []string{"1", "1000m", "0.5", "512Mi", "2Gi", "1G", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseCPU(s); err == nil && !(v > 0) {
			t.Fatalf("ParseCPU(%q) = %v", s, v)
		}
		if v, err := ParseMemoryGiB(s); err == nil && !(v > 0) {
			t.Fatalf("ParseMemoryGiB(%q) = %v", s, v)
		}
	})
}

// TestCPUAlwaysAllocated: a workload with CPU always allocated prices its
// min instances at the instance-based rates ($0.000018/vCPU-s,
// $0.000002/GiB-s), not the idle ones; request-only keeps the idle price.
func TestCPUAlwaysAllocated(t *testing.T) {
	tbl, err := Prices()
	require.NoError(t, err)
	w := config.Workload{Name: "api", Regions: []string{"us-central1"}, MinInstances: 2, CPU: "2", Memory: "1Gi",
		CPUAllocation: config.CPUAllocationRequest}
	idle := runLine(tbl, tbl.HoursPerMonth, w)
	require.True(t, idle.Priced)
	assert.InDelta(t, 2*(2*0.0000025+1*0.0000025)*730*3600, idle.MonthlyUSD, 0.01)
	assert.Contains(t, idle.Detail, "idle")

	w.CPUAllocation = config.CPUAllocationAlways
	always := runLine(tbl, tbl.HoursPerMonth, w)
	require.True(t, always.Priced)
	assert.InDelta(t, 2*(2*0.000018+1*0.000002)*730*3600, always.MonthlyUSD, 0.01)
	assert.Contains(t, always.Detail, "CPU always allocated")
	assert.Greater(t, always.MonthlyUSD, idle.MonthlyUSD)
}
