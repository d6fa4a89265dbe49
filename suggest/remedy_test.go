package suggest

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
)

// remedyStack is a staging stack with a connector in us-central1 and
// Direct VPC egress on a /26 in us-east1, a zonal primary without
// replicas, and a workload on a TCP probe.
const remedyStack = `config:
  gcp:project: remedy-test
  headroom:environment: staging
  headroom:network:
    name: vpc
    privateServiceAccessRange: 10.100.0.0/16
    regions:
      us-central1:
        subnet: 10.10.0.0/20
        egress: connector
        connector:
          name: c1
          ipCidrRange: 10.8.0.0/28
          machineType: e2-micro
          minInstances: 2
          maxInstances: 10
      us-east1:
        subnet: 10.20.0.0/20
        egress: direct
        direct:
          subnet: 10.9.0.0/26   # too small for a rollout
  headroom:database:
    name: db
    version: POSTGRES_15
    edition: ENTERPRISE
    tier: db-custom-1-3840
    region: us-central1
    availability: ZONAL
    maxConnections: 100
    backups:
      enabled: true
      pointInTimeRecovery: true
      retainedBackups: 7
      logRetentionDays: 7
    maintenanceWindow:
      day: 7
      hour: 3
    replicas: []
  headroom:workloads:
    - name: api
      image: us-docker.pkg.dev/cloudrun/container/hello
      regions: [us-central1, us-east1]
      minInstances: 1
      maxInstances: 20
      concurrency: 80
      egressMbpsPerInstance: 5
      db:
        database: app
        target: primary
        poolSize: 2
        maxOverflow: 0
        startupConnections: 1
        connectTimeoutSeconds: 75
      startupProbe:
        initialDelaySeconds: 0
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 5
`

// TestEveryRemedyKindBecomesACandidate: for every kind of remedy the
// capacity model can put on a finding, suggest has a builder, and the
// builder's options edit the stack file so that it still loads and says
// what the remedy asked for. A new capacity.RemedyKind fails here until
// suggest proposes it.
func TestEveryRemedyKindBecomesACandidate(t *testing.T) {
	f, err := config.LoadBytes("Pulumi.remedy.yaml", []byte(remedyStack))
	require.NoError(t, err)
	st := f.Stack
	cases := map[capacity.RemedyKind]struct {
		remedy capacity.Remedy
		want   Change
	}{
		capacity.RemedyMaxConnections: {capacity.Remedy{Target: "db", Value: 300},
			Change{Key: "database.maxConnections", From: "100", To: "300"}},
		capacity.RemedyLowerMaxInstances: {capacity.Remedy{Target: "api", Value: 12},
			Change{Key: "workloads[0].maxInstances", From: "20", To: "12"}},
		capacity.RemedyConnectorMinInstances: {capacity.Remedy{Target: "us-central1", Value: 6},
			Change{Key: "network.regions.us-central1.connector.minInstances", From: "2", To: "6"}},
		capacity.RemedyConnectorMachineType: {capacity.Remedy{Target: "us-central1", Value: 3, MachineType: "e2-standard-4"},
			Change{Key: "network.regions.us-central1.connector.machineType", From: "e2-micro", To: "e2-standard-4"}},
		capacity.RemedyDirectEgress: {capacity.Remedy{Target: "us-central1"},
			Change{Key: "network.regions.us-central1.egress", From: "connector", To: "direct"}},
		capacity.RemedyDirectSubnetPrefix: {capacity.Remedy{Target: "us-east1", Value: 25},
			Change{Key: "network.regions.us-east1.direct.subnet", From: "10.9.0.0/26", To: "10.9.0.0/25"}},
		capacity.RemedyHTTPStartupProbe: {capacity.Remedy{Target: "api"},
			Change{Key: "workloads[0].startupProbe.path", From: "", To: HTTPProbePath}},
		capacity.RemedyProbeWindow: {capacity.Remedy{Target: "api", Value: 75},
			Change{Key: "workloads[0].startupProbe.failureThreshold", From: "5", To: "8"}},
		capacity.RemedyRegionalAvailability: {capacity.Remedy{Target: "db"},
			Change{Key: "database.availability", From: "ZONAL", To: "REGIONAL"}},
		capacity.RemedyCrossRegionReplica: {capacity.Remedy{Target: "db"},
			Change{Key: "database.replicas", From: "[]", To: "[{name: db-replica, region: us-east1}]"}},
	}
	for _, k := range capacity.RemedyKinds {
		t.Run(string(k), func(t *testing.T) {
			build, ok := remedyBuilders[k]
			require.True(t, ok, "suggest has no candidate for remedy kind %s", k)
			tc, ok := cases[k]
			require.True(t, ok, "no case for remedy kind %s", k)
			tc.remedy.Kind = k
			lever, opts := build(st, tc.remedy)
			require.NotEmpty(t, opts, "remedy %+v gives no candidate", tc.remedy)
			assert.NotEmpty(t, lever)
			var found bool
			for _, o := range opts {
				text, err := Apply([]byte(remedyStack), o.ops)
				require.NoError(t, err, o.what)
				_, err = config.LoadBytes("Pulumi.remedy.yaml", text)
				require.NoError(t, err, "%s: the edited stack file loads", o.what)
				for _, c := range o.changes {
					found = found || c == tc.want
				}
			}
			assert.True(t, found, "want %+v among %+v", tc.want, opts)
		})
	}
}

// TestMaxConnectionsRemedyAboveTheCeiling: above the tier's ceiling the
// remedy moves to the cheapest larger tier whose ceiling holds it.
func TestMaxConnectionsRemedyAboveTheCeiling(t *testing.T) {
	f, err := config.LoadBytes("Pulumi.remedy.yaml", []byte(remedyStack))
	require.NoError(t, err)
	cur, err := capacity.ParseTier("db-custom-1-3840")
	require.NoError(t, err)
	n := capacity.MaxConnectionsCeiling(cur) + 1
	_, opts := maxConnectionsRemedy(f.Stack, capacity.Remedy{Kind: capacity.RemedyMaxConnections, Target: "db", Value: n})
	require.Len(t, opts, 1)
	require.Len(t, opts[0].changes, 2)
	assert.Equal(t, "database.tier", opts[0].changes[0].Key)
	tier, err := capacity.ParseTier(opts[0].changes[0].To)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, capacity.MaxConnectionsCeiling(tier), n)
	assert.Equal(t, Change{Key: "database.maxConnections", From: "100", To: strconv.Itoa(n)}, opts[0].changes[1])
}

// TestDirectSubnetRemedyAvoidsOverlap: a wider range that would overlap
// another range of the stack moves to the first free one.
func TestDirectSubnetRemedyAvoidsOverlap(t *testing.T) {
	f, err := config.LoadBytes("Pulumi.remedy.yaml", []byte(remedyStack))
	require.NoError(t, err)
	// 10.9.0.0/26 widened to /12 is 10.0.0.0/12, which holds 10.10.0.0/20
	// and the connector's 10.8.0.0/28.
	_, opts := directSubnetRemedy(f.Stack, capacity.Remedy{Kind: capacity.RemedyDirectSubnetPrefix, Target: "us-east1", Value: 12})
	require.Len(t, opts, 1)
	assert.Equal(t, "10.32.0.0/12", opts[0].changes[0].To)
	// Already as large: nothing to change.
	_, opts = directSubnetRemedy(f.Stack, capacity.Remedy{Kind: capacity.RemedyDirectSubnetPrefix, Target: "us-east1", Value: 26})
	assert.Empty(t, opts)
}

// TestMergeOptionsDeduplicates: a remedy whose edit a lever already makes
// adds no second option; a new one joins the lever as an alternative.
func TestMergeOptionsDeduplicates(t *testing.T) {
	o := option{what: "a", ops: []Op{{Path: []string{"x"}, Value: "1"}}}
	levers := []lever{{name: "l", required: true, options: []option{o}}}
	levers = mergeOptions(levers, "l", []option{{what: "same edit", ops: o.ops}})
	require.Len(t, levers, 1)
	assert.Len(t, levers[0].options, 1)
	levers = mergeOptions(levers, "l", []option{{what: "b", ops: []Op{{Path: []string{"x"}, Value: "2"}}}})
	assert.Len(t, levers[0].options, 2)
	assert.True(t, levers[0].required)
	levers = mergeOptions(levers, "m", []option{o})
	require.Len(t, levers, 2)
	assert.False(t, levers[1].required, "a lever made of remedies is optional")
}

// TestAddRemediesKeepsTheStrongest: of one kind and target, only the
// remedy every failing scenario accepts becomes a candidate; warnings of a
// scenario (advisory) and checks that do not refuse the stack add none.
func TestAddRemediesKeepsTheStrongest(t *testing.T) {
	f, err := config.LoadBytes("Pulumi.remedy.yaml", []byte(remedyStack))
	require.NoError(t, err)
	mc := func(n int) []capacity.Remedy {
		return []capacity.Remedy{{Kind: capacity.RemedyMaxConnections, Target: "db", Value: n},
			{Kind: capacity.RemedyLowerMaxInstances, Target: "api", Value: n / 20}}
	}
	rep := capacity.Report{Findings: []capacity.Finding{
		{Check: capacity.CheckConnectionBudget, Severity: capacity.SeverityFail, Scenario: "cold-start", Remedies: mc(200)},
		{Check: capacity.CheckConnectionBudget, Severity: capacity.SeverityFail, Scenario: "rollout/all", Remedies: mc(300)},
		{Check: capacity.CheckConnectionBudget, Severity: capacity.SeverityWarn, Scenario: "overshoot", Remedies: mc(380)},
		{Check: capacity.CheckEgressHeadroom, Severity: capacity.SeverityFail, Scenario: "cold-start",
			Remedies: []capacity.Remedy{{Kind: capacity.RemedyDirectEgress, Target: "us-central1"}}},
	}}
	levers := addRemedies(nil, f.Stack, rep, map[string]bool{capacity.CheckConnectionBudget: true})
	require.Len(t, levers, 1, "egress-headroom does not refuse the stack here")
	var tos []string
	for _, o := range levers[0].options {
		tos = append(tos, o.changes[0].To)
	}
	assert.ElementsMatch(t, []string{"300", "10"}, tos, "max_connections 300 (not 200, not the advisory 380); maxInstances 10 (not 15)")
}
