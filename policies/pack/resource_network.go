package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// connectorInstances reads a connector's min and max instances as the API
// applies them: minInstances defaults to 2; maxInstances falls back to the
// deprecated maxThroughput (100 Mbps per instance), and without either the
// API gives about 3 instances (docs/gcp-limits.md#vpc-connector). explicit
// reports whether maxInstances or maxThroughput was set.
func connectorInstances(p property.Map) (minI int, minSt status, maxI int, maxSt status, explicit bool) {
	minI, minSt = get(p, "minInstances").integer()
	if minSt == stMissing {
		if t, st := get(p, "minThroughput").integer(); st == stOK {
			minI, minSt = capacity.ConnectorInstancesForThroughput(t), stOK
		} else {
			minI, minSt = capacity.ConnectorMinInstancesFloor, stOK
		}
	}
	maxI, maxSt = get(p, "maxInstances").integer()
	explicit = maxSt != stMissing
	if maxSt == stMissing {
		switch t, st := get(p, "maxThroughput").integer(); st {
		case stOK:
			maxI, maxSt, explicit = capacity.ConnectorInstancesForThroughput(t), stOK, true
		case stUnknown:
			maxSt, explicit = stUnknown, true
		default:
			maxI, maxSt = capacity.ConnectorInstancesForThroughput(capacity.ConnectorAPIDefaultMaxThroughputMbps), stOK
		}
	}
	return minI, minSt, maxI, maxSt, explicit
}

func checkConnectorBounds(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	subject := "connector " + resourceName(r)
	mt, mst := get(p, "machineType").str()
	switch mst {
	case stUnknown:
		f.unknown(r, "machineType")
	case stInvalid:
		f.fail("%s: machineType is not a string", subject)
	}
	minI, minSt, maxI, maxSt, explicit := connectorInstances(p)
	for _, x := range []struct {
		path string
		st   status
	}{{"minInstances", minSt}, {"maxInstances", maxSt}} {
		switch x.st {
		case stUnknown:
			f.unknown(r, x.path)
		case stInvalid:
			f.fail("%s: %s is not an integer", subject, x.path)
		}
	}
	if !explicit {
		f.fail("%s: set maxInstances explicitly: without it (or the deprecated maxThroughput) the API gives about %d instances (max throughput %d Mbps), not gcloud's %d, and newer providers refuse the connector (%s#%s)",
			subject, capacity.ConnectorInstancesForThroughput(capacity.ConnectorAPIDefaultMaxThroughputMbps), capacity.ConnectorAPIDefaultMaxThroughputMbps,
			capacity.ConnectorDefaultMaxInstances, capacity.LimitsDoc, capacity.AnchorConnector)
	}
	if minSt == stOK && maxSt == stOK && mst != stUnknown && mst != stInvalid {
		if err := capacity.ValidateConnectorSizing(mt, minI, maxI); err != nil {
			f.rule(subject, err, nil)
		}
	}
	cidr, cst := get(p, "ipCidrRange").str()
	sub, sst := get(p, "subnet.name").str()
	switch {
	case cst == stUnknown || sst == stUnknown:
		f.unknown(r, "ipCidrRange/subnet")
	case cst == stOK && cidr != "" && sst == stOK && sub != "":
		f.fail("%s: set either ipCidrRange or subnet, not both", subject)
	case cst == stOK && cidr != "":
		if err := capacity.ValidateConnectorCIDR(cidr); err != nil {
			f.rule(subject, err, nil)
		}
	case sst == stOK && sub != "":
	default:
		f.fail("%s: set ipCidrRange to an unused /%d or subnet to a dedicated /%d subnet (%s#%s)", subject,
			capacity.ConnectorPrefixLength, capacity.ConnectorPrefixLength, capacity.LimitsDoc, capacity.AnchorConnector)
	}
}
