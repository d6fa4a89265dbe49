package capacity

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// staticStack is one database (index 0) and one workload on it; the
// static checks' findings carry no scenario.
func staticStack() Topology {
	return Topology{
		Stack:     "static",
		Databases: []Database{{Name: "db", Region: "r", Tier: "db-custom-1-3840", MaxConnections: 100}},
		Workloads: []Workload{{Name: "w", Region: "r", Method: MethodConnector, Database: "db", MaxInstances: 2,
			PoolSize: 5, MaxOverflow: 2, StartupConnections: 1, ConnectTimeoutSeconds: 30, StartupProbe: httpProbe240}},
	}
}

func staticFindings(r Report, check, subject string) []Finding {
	var out []Finding
	for _, f := range findings(r, check, subject) {
		if f.Scenario == "" {
			out = append(out, f)
		}
	}
	return out
}

func TestTopologyMaxConnectionsFlagBounds(t *testing.T) {
	tier, err := ParseTier("db-custom-1-3840")
	require.NoError(t, err)
	ceiling := MaxConnectionsCeiling(tier)
	tests := []struct {
		n   int
		sev Severity
	}{
		{MaxConnectionsFlagMin - 1, SeverityFail}, // below Cloud SQL's minimum: a GCP limit
		{MaxConnectionsFlagMin, SeverityOK},
		{ceiling, SeverityOK},
		{ceiling + 1, SeverityWarn}, // above our inferred ceiling: a judgement
		{MaxConnectionsFlagMax, SeverityWarn},
		{MaxConnectionsFlagMax + 1, SeverityFail}, // above PostgreSQL's maximum
	}
	for _, tt := range tests {
		topo := staticStack()
		topo.Databases[0].MaxConnections = tt.n
		fs := staticFindings(Analyze(topo), CheckTopologyConsistent, "db")
		if tt.sev == SeverityOK {
			assert.Empty(t, fs, "max_connections %d", tt.n)
			continue
		}
		require.Len(t, fs, 1, "max_connections %d", tt.n)
		assert.Equal(t, tt.sev, fs[0].Severity, "max_connections %d", tt.n)
		var want error = ValidateMaxConnections(tier, tt.n)
		if want == nil {
			want = MaxConnectionsAdvice(tier, tt.n)
		}
		assert.Equal(t, fmt.Sprintf("database %q: %v", "db", want), fs[0].Message)
	}
}

func TestTopologyConnectorSizingJudgesWhatIsWritten(t *testing.T) {
	// Regression: the check judged the model's maxInstances, raised to
	// minInstances, so min 5 / max 3 read "got 5".
	tests := []struct {
		min, max int
		want     string // "" = no finding
	}{
		{0, 0, ""}, // defaults 2 … 10
		{2, 3, ""},
		{2, 2, "maxInstances: must be an integer from 3 to 10, got 2"},
		{3, 3, "maxInstances: must be greater than minInstances (3), got 3"},
		{5, 3, "maxInstances: must be greater than minInstances (5), got 3"},
		{0, 1, "maxInstances: must be an integer from 3 to 10, got 1"},
		{5, 0, ""}, // max defaults to 10
	}
	for _, tt := range tests {
		for _, name := range []string{"conn", ""} {
			topo := staticStack()
			topo.Egress = []Egress{{Region: "r", Kind: EgressConnector, Name: name, MinInstances: tt.min, MaxInstances: tt.max, IPCIDRRange: "10.8.0.0/28"}}
			// An unnamed egress is reported by its region.
			subject := nonEmpty(name, "r")
			fs := staticFindings(Analyze(topo), CheckTopologyConsistent, "")
			if tt.want == "" {
				assert.Empty(t, fs, "min %d max %d", tt.min, tt.max)
				continue
			}
			require.Len(t, fs, 1, "min %d max %d", tt.min, tt.max)
			assert.Equal(t, subject, fs[0].Subject)
			assert.Equal(t, SeverityFail, fs[0].Severity)
			assert.Contains(t, fs[0].Message, fmt.Sprintf("egress %s (r): connector %s", subject, tt.want))
		}
	}
}

func TestTopologyPrivateIPNeedsEgress(t *testing.T) {
	topo := staticStack()
	topo.Workloads[0].Method = MethodPrivateIP
	fs := staticFindings(Analyze(topo), CheckTopologyConsistent, "w")
	require.Len(t, fs, 1)
	assert.Equal(t, SeverityFail, fs[0].Severity)
	assert.Equal(t, "workload w (r) connects to db by private IP but has no VPC egress", fs[0].Message)
	// Through Direct VPC egress it is fine.
	topo.Workloads[0].Egress = EgressDirect
	topo.Egress = []Egress{{Region: "r", Kind: EgressDirect, SubnetCIDR: "10.10.0.0/24"}}
	assert.Empty(t, staticFindings(Analyze(topo), CheckTopologyConsistent, ""))
}

func TestTopologyStartupConnectionsWithinPool(t *testing.T) {
	// staticStack's pool is 5 + overflow 2 = 7.
	tests := []struct {
		pool, overflow, startup int
		warn                    bool
	}{
		{5, 2, 7, false},
		{5, 2, 8, true},
		{2, 5, 7, false},
		{0, 0, 1, false}, // no pool declared: nothing to compare with
	}
	for _, tt := range tests {
		topo := staticStack()
		w := &topo.Workloads[0]
		w.PoolSize, w.MaxOverflow, w.StartupConnections = tt.pool, tt.overflow, tt.startup
		fs := staticFindings(Analyze(topo), CheckTopologyConsistent, "w")
		if !tt.warn {
			assert.Empty(t, fs, "%+v", tt)
			continue
		}
		require.Len(t, fs, 1)
		assert.Equal(t, SeverityWarn, fs[0].Severity)
		assert.Equal(t, fmt.Sprintf("workload w (r): startupConnections %d exceeds pool %d + overflow %d", tt.startup, tt.pool, tt.overflow), fs[0].Message)
	}
}

func TestBuiltinCapAtOneHundred(t *testing.T) {
	n := BuiltinConnectionsPerInstance
	tests := []struct {
		pool, startup int
		fail          bool
	}{
		{n, 1, false},
		{n + 1, 1, true},
		{n, n, false},
		{n - 1, n + 1, true}, // the startup connections alone exceed it
	}
	for _, tt := range tests {
		topo := staticStack()
		topo.Databases[0].MaxConnections = 400
		w := &topo.Workloads[0]
		w.Method, w.PoolSize, w.MaxOverflow, w.StartupConnections = MethodBuiltin, tt.pool, 0, tt.startup
		fs := staticFindings(Analyze(topo), CheckBuiltinConnCap, "w")
		if !tt.fail {
			assert.Empty(t, fs, "%+v", tt)
			continue
		}
		require.Len(t, fs, 1, "%+v", tt)
		assert.Equal(t, SeverityFail, fs[0].Severity)
		assert.Contains(t, fs[0].Message, fmt.Sprintf("workload w (r): %d connections per instance (startup %d) exceed the built-in Cloud SQL connection's %d per instance", tt.pool, tt.startup, n))
		assert.Contains(t, fs[0].Message, fmt.Sprintf("lower processes × (pool + overflow) to ≤ %d", n))
	}
}

// productionPair is a production stack that meets the multi-region
// criterion through Direct VPC egress in two regions.
func productionPair() Topology {
	topo := failoverPair()
	topo.Environment = EnvProduction
	topo.Databases[0].Availability = AvailabilityRegional
	topo.Egress = []Egress{{Region: "r1", Kind: EgressDirect, SubnetCIDR: "10.10.0.0/20"}, {Region: "r2", Kind: EgressDirect, SubnetCIDR: "10.20.0.0/20"}}
	w := topo.Workloads[0]
	w.Method, w.Egress = MethodPrivateIP, EgressDirect
	topo.Workloads = []Workload{w, w}
	topo.Workloads[1].Region = "r2"
	return topo
}

func TestMultiRegionCountsDirectEgress(t *testing.T) {
	topo := productionPair()
	assert.Empty(t, staticFindings(Analyze(topo), CheckMultiRegion, ""))
	topo.Egress = topo.Egress[:1]
	topo.Workloads[1].Egress = EgressNone
	topo.Workloads[1].Method = MethodConnector
	fs := staticFindings(Analyze(topo), CheckMultiRegion, "pair")
	require.Len(t, fs, 1)
	assert.Equal(t, SeverityFail, fs[0].Severity)
	assert.Equal(t, "production is not multi-region redundant: VPC egress in 1 region(s) [r1], want ≥ 2", fs[0].Message)
}
