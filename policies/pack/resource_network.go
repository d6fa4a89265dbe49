package pack

import (
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// Serverless VPC Access instance bounds (gcp-capacity.md §3: "Minimum at
// least 2, maximum at most 10, and max > min"; range "/28").
const (
	connectorMinInstances = 2
	connectorMaxInstances = 10
	connectorPrefixLen    = 28
)

func checkConnectorBounds(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	switch mt, st := get(p, "machineType").str(); st {
	case stOK:
		if _, ok := capacity.LookupConnectorMachine(mt); !ok {
			f.fail("connector %s: machineType %q is not a connector machine type; use f1-micro, e2-micro or e2-standard-4", name, mt)
		}
	case stUnknown:
		f.unknown(r, "machineType")
	case stInvalid:
		f.fail("connector %s: machineType is not a string", name)
	}
	minI, minSt := get(p, "minInstances").integer()
	maxI, maxSt := get(p, "maxInstances").integer()
	if minSt == stMissing {
		minI, minSt = connectorMinInstances, stOK
	}
	if maxSt == stMissing {
		maxI, maxSt = connectorMaxInstances, stOK
	}
	for _, x := range []struct {
		path string
		st   status
	}{{"minInstances", minSt}, {"maxInstances", maxSt}} {
		switch x.st {
		case stUnknown:
			f.unknown(r, x.path)
		case stInvalid:
			f.fail("connector %s: %s is not an integer", name, x.path)
		}
	}
	if minSt == stOK && minI < connectorMinInstances {
		f.fail("connector %s: raise minInstances from %d to ≥ %d (Serverless VPC Access minimum)", name, minI, connectorMinInstances)
	}
	if maxSt == stOK && maxI > connectorMaxInstances {
		f.fail("connector %s: lower maxInstances from %d to ≤ %d (Serverless VPC Access maximum)", name, maxI, connectorMaxInstances)
	}
	if minSt == stOK && maxSt == stOK && minI >= maxI {
		f.fail("connector %s: maxInstances (%d) must be greater than minInstances (%d)", name, maxI, minI)
	}
	cidr, cst := get(p, "ipCidrRange").str()
	sub, sst := get(p, "subnet.name").str()
	switch {
	case cst == stUnknown || sst == stUnknown:
		f.unknown(r, "ipCidrRange/subnet")
	case cst == stOK && cidr != "" && sst == stOK && sub != "":
		f.fail("connector %s: set either ipCidrRange or subnet, not both", name)
	case cst == stOK && cidr != "":
		pfx, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			f.fail("connector %s: ipCidrRange %q is not a CIDR range", name, cidr)
		case pfx.Bits() != connectorPrefixLen || !pfx.Addr().Is4():
			f.fail("connector %s: ipCidrRange %s must be an IPv4 /%d", name, cidr, connectorPrefixLen)
		case pfx.Masked() != pfx:
			f.fail("connector %s: ipCidrRange %s is not aligned; use %s", name, cidr, pfx.Masked())
		}
	case sst == stOK && sub != "":
	default:
		f.fail("connector %s: set ipCidrRange to an unused /28 or subnet to a dedicated /28 subnet", name)
	}
}
