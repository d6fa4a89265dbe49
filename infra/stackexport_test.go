package infra_test

import (
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
)

func stagingConfig(t *testing.T) *config.File {
	t.Helper()
	f, err := config.LoadFile(filepath.Join("..", "stacks", "Pulumi.staging.yaml"))
	require.NoError(t, err)
	return f
}

// TestCapacityExport: the staging stack exports its database and its own
// demand at full scale, the numbers its plan counts (netra-backend 20 × 15
// = 300, auth-service 10 × 7 = 70: stacks/Pulumi.staging.yaml).
func TestCapacityExport(t *testing.T) {
	f := stagingConfig(t)
	e := infra.CapacityExport("acme/headroom/staging", f.Stack, map[string]string{"staging-shared-postgres": "10.100.0.3"})
	require.Len(t, e.Databases, 1)
	db := e.Databases[0]
	assert.Equal(t, "staging-shared-postgres", db.Name)
	assert.Equal(t, "netra-staging:us-central1:staging-shared-postgres", db.ConnectionName)
	assert.Equal(t, "10.100.0.3", db.PrivateIP)
	assert.Equal(t, 1000, db.MaxConnections)
	assert.NotEmpty(t, db.Edition)
	require.Len(t, e.Demand, 1)
	assert.Equal(t, contract.StackDemand{Stack: "acme/headroom/staging", Database: "staging-shared-postgres", Connections: 370,
		StartupConnections: e.Demand[0].StartupConnections, Services: []string{"auth-service-us-central1", "netra-backend-us-central1"}}, e.Demand[0])

	back, err := contract.DecodeStackExport(contract.EncodeStackExport(e))
	require.NoError(t, err)
	assert.Equal(t, e, back)
}

// TestRepublish: a consumer stack's own demand on this stack's databases
// is carried; what it says of other stacks or of other databases is not;
// a stack without the output is named; a malformed export is an error
// naming the key and the stack.
func TestRepublish(t *testing.T) {
	f := stagingConfig(t)
	e := infra.CapacityExport("acme/headroom/staging", f.Stack, nil)
	appA := contract.EncodeStackExport(contract.StackExport{Stack: "acme/app-a/prod", Demand: []contract.StackDemand{
		{Stack: "acme/app-a/prod", Database: "staging-shared-postgres", Connections: 120},
		{Stack: "acme/app-a/prod", Database: "elsewhere", Connections: 5},
		{Stack: "acme/app-z/prod", Database: "staging-shared-postgres", Connections: 9},
		{Stack: "acme/headroom/staging", Database: "staging-shared-postgres", Connections: 1},
	}})
	notes, err := infra.Republish(&e, []string{"acme/app-a/prod", "acme/app-b/prod"}, []any{appA, nil})
	require.NoError(t, err)
	require.Len(t, e.Demand, 2)
	assert.Equal(t, contract.StackDemand{Stack: "acme/app-a/prod", Database: "staging-shared-postgres", Connections: 120}, e.Demand[1])
	assert.Equal(t, []string{"headroom:consumerStacks[1]: stack acme/app-b/prod has no headroomCapacity output; its demand is not republished"}, notes)

	_, err = infra.Republish(&e, []string{"acme/app-a/prod"}, []any{map[string]any{"version": 1.0}})
	require.EqualError(t, err, "headroom:consumerStacks[0]: stack acme/app-a/prod: headroomCapacity.stack: required")
}

// TestProgramExportsCapacity: the program's stack output decodes, under
// mocks, with the stack's fully-qualified name.
func TestProgramExportsCapacity(t *testing.T) {
	f := stagingConfig(t)
	g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: "staging", Config: f.Values}, infra.Program)
	require.NoError(t, err)
	v, ok := g.Outputs.GetOk(contract.StackRefOutput)
	require.True(t, ok, "stack output %s", contract.StackRefOutput)
	plain := resource.ToResourcePropertyValue(v).Mappable()
	e, err := contract.DecodeStackExport(plain)
	require.NoError(t, err)
	assert.Equal(t, "organization/headroom/staging", e.Stack)
	require.Len(t, e.Databases, 1)
	assert.NotEmpty(t, e.Databases[0].PrivateIP, "the mock's private IP")
	require.Len(t, e.Demand, 1)
	assert.Equal(t, 370, e.Demand[0].Connections)
}

// TestProgramReadsConsumerStacks: each headroom:consumerStacks entry is a
// StackReference of the graph (the mock has no outputs for it, so nothing
// is republished and the run still succeeds).
func TestProgramReadsConsumerStacks(t *testing.T) {
	f := stagingConfig(t)
	vals := map[string]string{}
	for k, v := range f.Values {
		vals[k] = v
	}
	vals["headroom:consumerStacks"] = `["acme/app-a/prod"]`
	g, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: "staging", Config: vals}, infra.Program)
	require.NoError(t, err)
	refs := g.ByType(contract.TypeStackReference)
	require.Len(t, refs, 1)
	assert.Equal(t, "acme/app-a/prod", refs[0].Name)
	v, ok := g.Outputs.GetOk(contract.StackRefOutput)
	require.True(t, ok)
	e, err := contract.DecodeStackExport(resource.ToResourcePropertyValue(v).Mappable())
	require.NoError(t, err)
	assert.Len(t, e.Demand, 1, "only the stack's own demand")
}
