package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNearLimit(t *testing.T) {
	for _, tc := range []struct {
		limit int
		u     float64
		want  int
	}{
		{10, 0.8, 8}, // exact product: the threshold is the product itself
		{15, 0.8, 12},
		{1, 0.8, 0},
		{10, 1, 10},
		{0, 0.8, 0},
		// 100 × 0.29 is 28.999999999999996 in float64; eps keeps it 29.
		{100, 0.29, 29},
		{5, 0.7, 3}, // ⌊3.5⌋
	} {
		assert.Equal(t, tc.want, NearLimit(tc.limit, tc.u), "%d × %g", tc.limit, tc.u)
	}
}

func TestAlertThresholds(t *testing.T) {
	u := 0.75 // a stack's own utilization target, not the default
	topo := Topology{Stack: "alerts",
		Targets: Targets{ConnectionUtilization: u},
		Databases: []Database{
			{Name: "db", Region: "r", Tier: "db-custom-4-16384", MaxConnections: 105},
			{Name: "dbq", Region: "q", Tier: "db-custom-4-16384", MaxConnections: 45},
		},
		Egress: []Egress{
			{Region: "r", Kind: EgressConnector, Name: "c", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 5, IPCIDRRange: "10.8.0.0/28"},
			{Region: "q", Kind: EgressDirect, Name: "big", SubnetCIDR: "10.0.0.0/24"},
			{Region: "p", Kind: EgressDirect, Name: "tiny", SubnetCIDR: "10.1.0.0/28"},
		},
		Workloads: []Workload{
			{Name: "w", Region: "r", Method: MethodPrivateIP, Database: "db", Egress: EgressConnector, EgressName: "c",
				MaxInstances: 10, EgressMbpsPerInstance: 1, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 10, StartupProbe: probe240},
			{Name: "x", Region: "q", Method: MethodPrivateIP, Database: "dbq", Egress: EgressDirect, EgressName: "big",
				PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 10, StartupProbe: probe240}, // max instances unset
			{Name: "y", Region: "q", Method: MethodPrivateIP, Database: "dbq", Egress: EgressDirect, EgressName: "big",
				MaxInstances: 3, PoolSize: 1, StartupConnections: 1, ConnectTimeoutSeconds: 10, StartupProbe: probe240},
			{Name: "z", Region: "p", Egress: EgressDirect, EgressName: "tiny", MaxInstances: 1},
		},
	}
	a := AlertThresholds(topo)
	assert.Equal(t, u, a.Utilization)

	// Databases: max_connections in force and the budget's Allowed,
	// ⌊(max_connections − reserved) × u⌋.
	reserved := DefaultAssumptions().ReservedConnections
	assert.Equal(t, []DatabaseAlert{
		{Database: "db", Region: "r", MaxConnections: 105, Backends: NearLimit(105-reserved, u)},
		{Database: "dbq", Region: "q", MaxConnections: 45, Backends: NearLimit(45-reserved, u)},
	}, a.Databases)
	assert.Equal(t, 75, a.Databases[0].Backends)

	// Connectors only (not the Direct VPC egress subnets): capacity at max
	// size, and u of it in bytes per second.
	micro, ok := LookupConnectorMachine("e2-micro")
	require.True(t, ok)
	capMax := 5 * micro.PerInstanceMbps
	require.Len(t, a.Connectors, 1)
	c := a.Connectors[0]
	assert.Equal(t, ConnectorAlert{Connector: "c", Region: "r", MaxInstances: 5, CapacityMaxMbps: capMax,
		ThroughputBytesPerSecond: capMax * u * 1e6 / 8}, c)
	assert.Equal(t, 4, c.InstancesThreshold()) // fires at 5 instances, the maximum

	// Direct VPC egress subnets: the instances their usable IPs carry after
	// one reserved block, and u of that. A /28 is smaller than the block.
	_, big, err := SubnetUsableIPs("10.0.0.0/24")
	require.NoError(t, err)
	_, tiny, err := SubnetUsableIPs("10.1.0.0/28")
	require.NoError(t, err)
	require.Less(t, tiny, DirectEgressIPBlock)
	bigCap := (big - DirectEgressIPBlock) / DirectEgressIPsPerInstance
	assert.Equal(t, []SubnetAlert{
		{Subnet: "big", Region: "q", CIDR: "10.0.0.0/24", Services: []string{"x", "y"}, UsableIPs: big,
			InstanceCapacity: bigCap, Instances: NearLimit(bigCap, u)},
		{Subnet: "tiny", Region: "p", CIDR: "10.1.0.0/28", Services: []string{"z"}, UsableIPs: tiny},
	}, a.Subnets)
	assert.Equal(t, 252, big) // 256 − 4
	assert.Equal(t, 118, bigCap)

	// Services: max instances (Cloud Run's default when unset) and u of it.
	assert.Equal(t, []ServiceAlert{
		{Service: "w", Region: "r", MaxInstances: 10, Instances: 7},
		{Service: "x", Region: "q", MaxInstances: CloudRunDefaultMaxInstances, Instances: NearLimit(CloudRunDefaultMaxInstances, u)},
		{Service: "y", Region: "q", MaxInstances: 3, Instances: 2},
		{Service: "z", Region: "p", MaxInstances: 1, Instances: 0},
	}, a.Services)
}
