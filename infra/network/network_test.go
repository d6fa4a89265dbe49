package network

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/infra/graph"
)

func validArgs() *Args {
	return &Args{
		Project: "p", Name: "vpc", PrivateServiceAccessRange: "10.100.0.0/16",
		Regions: map[string]RegionArgs{
			"us-central1": {Subnet: "10.10.0.0/20", Egress: EgressConnector, Connector: &ConnectorArgs{
				Name: "c1", IPCIDRRange: "10.8.0.0/28", MachineType: "e2-standard-4", MinInstances: 3, MaxInstances: 10}},
			"us-east1": {Subnet: "10.20.0.0/20", Egress: EgressDirect, DirectSubnet: "10.30.0.0/24"},
		},
	}
}

func TestArgsCheck(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Args)
		want   string
	}{
		{"valid", func(*Args) {}, ""},
		{"no project", func(a *Args) { a.Project = "" }, "project"},
		{"bad psa", func(a *Args) { a.PrivateServiceAccessRange = "nope" }, "privateServiceAccessRange"},
		{"no regions", func(a *Args) { a.Regions = nil }, "regions"},
		{"connector missing", func(a *Args) {
			r := a.Regions["us-central1"]
			r.Connector = nil
			a.Regions["us-central1"] = r
		}, "regions.us-central1.connector"},
		{"direct bad cidr", func(a *Args) {
			r := a.Regions["us-east1"]
			r.DirectSubnet = "10.30.0.0"
			a.Regions["us-east1"] = r
		}, "regions.us-east1.direct.subnet"},
		{"unknown egress", func(a *Args) {
			r := a.Regions["us-east1"]
			r.Egress = "nat"
			a.Regions["us-east1"] = r
		}, "regions.us-east1.egress"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := validArgs()
			tc.mutate(a)
			err := a.check()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNewMixedEgress(t *testing.T) {
	var n *Network
	g, err := graph.Run(graph.RunOptions{Project: "headroom", Stack: "t"}, func(ctx *pulumi.Context) error {
		var err error
		n, err = New(ctx, "net", validArgs())
		return err
	})
	require.NoError(t, err)
	c := g.Counts()
	assert.Equal(t, 1, c[Type])
	assert.Equal(t, 1, c[graph.TypeNetwork])
	assert.Equal(t, 3, c[graph.TypeSubnetwork], "two regional subnets + one Direct VPC egress subnet")
	assert.Equal(t, 1, c[graph.TypeConnector])
	assert.Equal(t, len(RequiredAPIs), c[graph.TypeAPIService])
	e, ok := n.Egress("us-east1")
	require.True(t, ok)
	assert.Equal(t, EgressDirect, e.Mode)
	e, ok = n.Egress("us-central1")
	require.True(t, ok)
	assert.Equal(t, EgressConnector, e.Mode)
	_, ok = n.Egress("europe-west1")
	assert.False(t, ok)

	_, err = graph.Run(graph.RunOptions{Project: "headroom", Stack: "t"}, func(ctx *pulumi.Context) error {
		_, err := New(ctx, "net", nil)
		return err
	})
	require.ErrorContains(t, err, `network "net"`)
}
