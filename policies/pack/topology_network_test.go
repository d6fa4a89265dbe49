package pack

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// egressNamed returns the topology's egress path with that name.
func (ex *extraction) egressNamed(name string) (capacity.Egress, bool) {
	for _, e := range ex.topo.Egress {
		if e.Name == name {
			return e, true
		}
	}
	return capacity.Egress{}, false
}

// TestReadConnectorRegion: the region property wins; when it is absent,
// empty or unknown, the id's locations segment is used; with neither the
// connector is left out of the analyses as an unknown.
func TestReadConnectorRegion(t *testing.T) {
	const idEast = "projects/p/locations/us-east1/connectors/conn"
	cases := []struct {
		name   string
		region any // nil: absent
		id     any // nil: absent
		want   string
	}{
		{name: "region property wins over the id", region: topoRegion, id: idEast, want: topoRegion},
		{name: "region only", region: topoRegion, want: topoRegion},
		{name: "absent region, from the id", id: idEast, want: "us-east1"},
		{name: "empty region, from the id", region: "", id: idEast, want: "us-east1"},
		{name: "unknown region, from the id", region: pt.Computed, id: idEast, want: "us-east1"},
		{name: "no region, unknown id", id: pt.Computed},
		{name: "no region, id without locations", id: "conn"},
		{name: "neither"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := topoConnector("conn", topoRegion)
			delete(props, "region")
			delete(props, "id")
			if c.region != nil {
				props["region"] = c.region
			}
			if c.id != nil {
				props["id"] = c.id
			}
			ex := topoExtract(pt.Resource(TypeConnector, "conn", props))
			require.Len(t, ex.g.connectors, 1)
			e, found := ex.egressNamed("conn")
			if c.want == "" {
				assert.False(t, found, "left out of the topology: %+v", ex.topo.Egress)
				assert.Equal(t, []string{"region"}, ex.unknownPaths())
				assert.Equal(t, "connector left out of the capacity analyses", ex.unknowns[0].Effect)
				return
			}
			require.True(t, found)
			assert.Equal(t, c.want, e.Region)
			assert.Empty(t, ex.unknowns)
		})
	}
}

// TestReadConnectorSubnet: a connector that names a subnet (instead of an
// ipCidrRange) takes the subnet's range when the subnet is in its region
// or has no region.
func TestReadConnectorSubnet(t *testing.T) {
	cases := []struct {
		name         string
		subnetName   any // connector's subnet.name; nil: absent
		subnetRegion string
		want         string
	}{
		{name: "same region", subnetName: "sn", subnetRegion: topoRegion, want: "10.10.0.0/28"},
		{name: "full path", subnetName: "projects/p/regions/us-central1/subnetworks/sn", subnetRegion: topoRegion, want: "10.10.0.0/28"},
		{name: "subnet without region", subnetName: "sn", want: "10.10.0.0/28"},
		{name: "subnet in another region", subnetName: "sn", subnetRegion: "us-east1"},
		{name: "another subnet", subnetName: "other", subnetRegion: topoRegion},
		{name: "empty subnet name", subnetName: "", subnetRegion: topoRegion},
		{name: "unknown subnet name", subnetName: pt.Computed, subnetRegion: topoRegion},
		{name: "no subnet", subnetRegion: topoRegion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := topoConnector("conn", topoRegion)
			delete(props, "ipCidrRange")
			if c.subnetName != nil {
				props["subnet"] = map[string]any{"name": c.subnetName}
			}
			ex := topoExtract(
				pt.Resource(TypeSubnetwork, "sn", pt.Subnet("sn", c.subnetRegion, "10.10.0.0/28", topoNetwork)),
				pt.Resource(TypeConnector, "conn", props),
			)
			e, found := ex.egressNamed("conn")
			require.True(t, found)
			assert.Equal(t, c.want, e.SubnetCIDR)
			assert.Equal(t, "", e.IPCIDRRange)
		})
	}
}

func TestConnectorNamed(t *testing.T) {
	ex := topoExtract(
		pt.Resource(TypeConnector, "c-central", topoConnector("c", topoRegion)),
		pt.Resource(TypeConnector, "c-east", topoConnector("c", "us-east1")),
		// A connector whose region is unknown matches any region.
		pt.Resource(TypeConnector, "d", func() map[string]any {
			m := topoConnector("d", topoRegion)
			m["region"], m["id"] = pt.Computed, pt.Computed
			return m
		}()),
	)
	require.Len(t, ex.g.connectors, 3)
	cases := []struct {
		name, region string
		want         string // logical name; "" = none
	}{
		{name: "c", region: topoRegion, want: "c-central"},
		{name: "c", region: "us-east1", want: "c-east"},
		{name: "c", region: "", want: "c-central"},
		{name: "c", region: "europe-west1"},
		{name: "d", region: "europe-west1", want: "d"},
		{name: "d", region: "", want: "d"},
		{name: "x", region: ""},
	}
	for _, c := range cases {
		got := ex.connectorNamed(c.name, c.region)
		if c.want == "" {
			assert.Nil(t, got, "%s in %q", c.name, c.region)
			continue
		}
		if assert.NotNil(t, got, "%s in %q", c.name, c.region) {
			assert.Equal(t, c.want, got.res.Name, "%s in %q", c.name, c.region)
		}
	}
}

func TestSubnetNamed(t *testing.T) {
	ex := topoExtract(
		pt.Resource(TypeSubnetwork, "s-central", pt.Subnet("s", topoRegion, "10.10.0.0/20", topoNetwork)),
		pt.Resource(TypeSubnetwork, "s-east", pt.Subnet("s", "us-east1", "10.20.0.0/20", topoNetwork)),
		pt.Resource(TypeSubnetwork, "t", pt.Subnet("t", "", "10.30.0.0/20", topoNetwork)),
	)
	require.Len(t, ex.g.subnets, 3)
	assert.Equal(t, topoNetwork, ex.g.subnets[0].network)
	cases := []struct {
		name, region string
		want         string
	}{
		{name: "s", region: topoRegion, want: "s-central"},
		{name: "s", region: "us-east1", want: "s-east"},
		{name: "s", region: "", want: "s-central"},
		{name: "s", region: "europe-west1"},
		{name: "t", region: "europe-west1", want: "t"},
		{name: "t", region: "", want: "t"},
		{name: "x", region: ""},
	}
	for _, c := range cases {
		got := ex.subnetNamed(c.name, c.region)
		if c.want == "" {
			assert.Nil(t, got, "%s in %q", c.name, c.region)
			continue
		}
		if assert.NotNil(t, got, "%s in %q", c.name, c.region) {
			assert.Equal(t, c.want, got.res.Name, "%s in %q", c.name, c.region)
		}
	}
}
