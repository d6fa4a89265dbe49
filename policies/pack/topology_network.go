package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

func readSubnet(r *policyx.AnalyzerResource) *subnet {
	s := &subnet{res: r, name: resourceName(r)}
	s.region, _ = get(r.Properties, "region").str()
	s.cidr, _ = get(r.Properties, "ipCidrRange").str()
	net, _ := get(r.Properties, "network").str()
	s.network = lastSegment(net, '/')
	return s
}

func readPSA(r *policyx.AnalyzerResource) *psaRange {
	p := r.Properties
	if purpose, _ := get(p, "purpose").str(); purpose != "VPC_PEERING" {
		return nil
	}
	// The range itself (address/prefixLength) is read by cidr-overlap,
	// which reports it when unknown.
	pr := &psaRange{res: r}
	net, _ := get(p, "network").str()
	pr.network = lastSegment(net, '/')
	return pr
}

func (ex *extraction) readConnector(r *policyx.AnalyzerResource) *connector {
	p := r.Properties
	c := &connector{res: r, complete: true}
	e := capacity.Egress{Kind: capacity.EgressConnector, Name: resourceName(r)}
	region, st := get(p, "region").str()
	if st != stOK || region == "" {
		if id, st := get(p, "id").str(); st == stOK {
			region = segmentAfter(id, "locations")
		}
	}
	e.Region = region
	if e.Region == "" {
		c.complete = false
		ex.unknown(r, "region", "connector left out of the capacity analyses")
	}
	switch s, st := get(p, "machineType").str(); st {
	case stOK:
		e.MachineType = s
	case stMissing:
		e.MachineType = capacity.ConnectorDefaultMachineType // API default (docs/gcp-limits.md#vpc-connector)
	default:
		c.complete = false
		ex.unknown(r, "machineType", "connector left out of the capacity analyses")
	}
	// The API's defaults: min 2, max from maxThroughput or about 3 instances.
	minI, minSt, maxI, maxSt, _ := connectorInstances(p)
	for _, x := range []struct {
		path string
		n    int
		st   status
		dst  *int
	}{{"minInstances", minI, minSt, &e.MinInstances}, {"maxInstances", maxI, maxSt, &e.MaxInstances}} {
		switch x.st {
		case stOK:
			*x.dst = x.n
		case stUnknown:
			c.complete = false
			ex.unknown(r, x.path, "connector left out of the capacity analyses")
		default:
			c.complete = false
			ex.problem(r, false, "connector %s: %s is not an integer", e.Name, x.path)
		}
	}
	e.IPCIDRRange, _ = get(p, "ipCidrRange").str()
	if sn, st := get(p, "subnet.name").str(); st == stOK && sn != "" {
		if s := ex.subnetNamed(lastSegment(sn, '/'), e.Region); s != nil && e.Region != "" { // no region: left out above
			e.SubnetCIDR = s.cidr
		}
	}
	net, _ := get(p, "network").str()
	c.network = lastSegment(net, '/')
	c.egress = e
	return c
}

// sameRegion: a name refers to a resource in its region; an unset region
// on either side matches any.
func sameRegion(have, want string) bool {
	return want == "" || have == "" || have == want
}

func (ex *extraction) connectorNamed(name, region string) *connector {
	for _, c := range ex.g.connectors {
		if c.egress.Name == name && sameRegion(c.egress.Region, region) {
			return c
		}
	}
	return nil
}

func (ex *extraction) subnetNamed(name, region string) *subnet {
	for _, s := range ex.g.subnets {
		if s.name == name && sameRegion(s.region, region) {
			return s
		}
	}
	return nil
}
