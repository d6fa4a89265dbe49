package capacity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// directStack is n instances of w behind Direct VPC egress "d" on subnet
// cidr, each expecting mbps; w has no database, so only the egress checks
// judge it.
func directStack(n int, mbps float64, cidr string) Topology {
	return Topology{
		Stack:     "direct",
		Egress:    []Egress{{Region: "r", Kind: EgressDirect, Name: "d", SubnetCIDR: cidr}},
		Workloads: []Workload{{Name: "w", Region: "r", Egress: EgressDirect, MaxInstances: n, EgressMbpsPerInstance: mbps, StartupProbe: httpProbe240}},
	}
}

func TestDirectEgressPerInstanceThroughput(t *testing.T) {
	for _, tt := range []struct {
		mbps float64
		sev  Severity
	}{{DirectEgressPerInstanceMbps, SeverityOK}, {DirectEgressPerInstanceMbps + 1, SeverityWarn}} {
		r := Analyze(directStack(2, tt.mbps, "10.10.0.0/24"))
		require.Len(t, r.Egress, 1)
		assert.Equal(t, tt.sev, r.Egress[0].Severity, "%g Mbps", tt.mbps)
		fs := scenarioFindings(r, ScenarioColdStart, CheckEgressHeadroom, "d")
		if tt.sev == SeverityOK {
			assert.Empty(t, fs)
			continue
		}
		require.Len(t, fs, 1)
		assert.Equal(t, SeverityWarn, fs[0].Severity)
		assert.Equal(t, fmt.Sprintf("cold-start: workload w (r) expects %g Mbps per instance; Direct VPC egress gives ≈%d Mbps per instance (docs/gcp-limits.md#direct-vpc-egress)", tt.mbps, DirectEgressPerInstanceMbps), fs[0].Message)
	}
}

// microConnectorStack is one workload "w" (5 instances × 50 Mbps, database
// "db") behind connector "c": e2-micro, minInstances 2, the given maxInstances.
func microConnectorStack(maxInstances int) Topology {
	return Topology{
		Stack:     "conn",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 500}},
		Egress:    []Egress{{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-micro", MinInstances: 2, MaxInstances: maxInstances, IPCIDRRange: "10.8.0.0/28"}},
		Workloads: []Workload{{Name: "w", Region: "r", Egress: EgressConnector, Method: MethodPrivateIP, Database: "db", MaxInstances: 5,
			EgressMbpsPerInstance: 50, PoolSize: 2, StartupConnections: 1, ConnectTimeoutSeconds: 60, StartupProbe: httpProbe240}},
	}
}

func TestConnectorFindingNamesTheSizeItStartsAt(t *testing.T) {
	// e2-micro (100 Mbps each), min 2; 5 × 50 Mbps. The cold start begins
	// at minInstances; the overshoot (10 × 50 Mbps) at the 3 instances
	// full-scale traffic left it at.
	topo := microConnectorStack(10)
	r := Analyze(topo)
	cold := scenarioFindings(r, ScenarioColdStart, CheckEgressHeadroom, "c")
	require.Len(t, cold, 1)
	assert.Contains(t, cold[0].Message, "egress 250 Mbps exceeds 200 Mbps at minInstances 2, so connector scale-out sits on the startup critical path")
	over := scenarioFindings(r, ScenarioOvershoot, CheckEgressHeadroom, "c")
	require.Len(t, over, 1)
	assert.Equal(t, SeverityWarn, over[0].Severity) // advisory scenario
	assert.Contains(t, over[0].Message, "egress 500 Mbps exceeds 300 Mbps at its 3 instances, so connector scale-out sits on the startup critical path")
	assert.Contains(t, over[0].Message, "raise minInstances to ≥ 5")
}

func TestConnectorRemedyAtTheInstanceCeiling(t *testing.T) {
	// minInstances must stay < maxInstances ≤ 10: a floor of 10 does not
	// exist, so the next machine type (smallest first) is named instead.
	machine := func(name string) egInfo {
		mc, ok := LookupConnectorMachine(name)
		require.True(t, ok, name)
		return egInfo{machine: mc}
	}
	tests := []struct {
		machine string
		mbps    float64
		want    string
	}{
		{"e2-micro", 50, "raise minInstances to ≥ 2 (connectors never scale in, so size the floor for the storm) or use Direct VPC egress"},
		{"e2-micro", 900, "raise minInstances to ≥ 9 (connectors never scale in, so size the floor for the storm) or use Direct VPC egress"},
		{"e2-micro", 1000, "switch machineType to e2-standard-4 with minInstances ≥ 2 (≈3200 Mbps) or use Direct VPC egress"},
		{"f1-micro", 450, "raise minInstances to ≥ 9 (connectors never scale in, so size the floor for the storm) or use Direct VPC egress"},
		{"f1-micro", 500, "switch machineType to e2-micro with minInstances ≥ 5 (≈500 Mbps) or use Direct VPC egress"},
		{"e2-micro", 14400, "switch machineType to e2-standard-4 with minInstances ≥ 9 (≈14400 Mbps) or use Direct VPC egress"},
		{"e2-micro", 16000, "no connector size carries it: use Direct VPC egress"},
		{"e2-standard-4", 16000, "no connector size carries it: use Direct VPC egress"},
	}
	for _, tt := range tests {
		e := machine(tt.machine)
		e.Region = "r"
		got, fix := connectorRemedy(tt.mbps, e)
		assert.Equal(t, tt.want, got, "%s at %g Mbps", tt.machine, tt.mbps)
		// The machine-readable remedies say what the text says.
		require.NotEmpty(t, fix)
		assert.Equal(t, Remedy{Kind: RemedyDirectEgress, Target: "r"}, fix[len(fix)-1], "Direct VPC egress is always offered")
		switch {
		case strings.HasPrefix(got, "raise minInstances"):
			require.Len(t, fix, 2)
			assert.Equal(t, RemedyConnectorMinInstances, fix[0].Kind)
			assert.Contains(t, got, fmt.Sprintf("≥ %d ", fix[0].Value))
		case strings.HasPrefix(got, "switch machineType"):
			require.Len(t, fix, 2)
			assert.Equal(t, RemedyConnectorMachineType, fix[0].Kind)
			assert.Contains(t, got, fmt.Sprintf("to %s with minInstances ≥ %d ", fix[0].MachineType, fix[0].Value))
		default:
			assert.Len(t, fix, 1)
		}
	}
}

func TestDirectIPsAtTheSubnetSize(t *testing.T) {
	// A /26 has 64 − 4 = 60 usable IPs: 22 instances need 2 × 22 + 16 = 60.
	tests := []struct {
		n    int
		cidr string
		why  string // "" = fits
		want int    // the prefix length the remedy asks for
	}{
		{22, "10.10.0.0/26", "", 0},
		{23, "10.10.0.0/26", "60 usable IPs < 62 needed (2 × 23 instances + 16)", 25},
		{22, "10.10.0.0/27", "/27 is smaller than the /26 minimum; 28 usable IPs < 60 needed (2 × 22 instances + 16)", 26},
		// More than any subnet holds: the remedy stops at a /8.
		{9000000, "10.0.0.0/8", "16777212 usable IPs < 18000016 needed (2 × 9000000 instances + 16)", 8},
	}
	for _, tt := range tests {
		r := Analyze(directStack(tt.n, 0, tt.cidr))
		c := scenarioOf(t, r, ScenarioColdStart).DirectIPs
		require.Len(t, c, 1)
		assert.Equal(t, DirectEgressIPsNeeded(tt.n), c[0].NeededIPs)
		fs := scenarioFindings(r, ScenarioColdStart, CheckDirectEgressIPs, "d")
		if tt.why == "" {
			assert.Equal(t, SeverityOK, c[0].Severity)
			assert.Empty(t, fs)
			continue
		}
		assert.Equal(t, SeverityFail, c[0].Severity)
		require.Len(t, fs, 1)
		assert.Equal(t, SeverityFail, fs[0].Severity)
		assert.Equal(t, fmt.Sprintf("cold-start: Direct VPC egress subnet d (r, %s): %s (docs/gcp-limits.md#direct-vpc-egress); use a /%d or larger (fixes cold-start)", tt.cidr, tt.why, tt.want), fs[0].Message)
	}
}
