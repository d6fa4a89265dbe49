package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// Readers shared by a policy's check and the topology extraction: each
// reads a resource's fields as the API applies them.

// replicaState reports whether an instance is a read replica.
func replicaState(p property.Map) status {
	s, st := get(p, "masterInstanceName").str()
	if st == stOK && s == "" {
		return stMissing
	}
	return st
}

// readProbe reads a startup probe's fields, taking the API defaults for the
// absent ones (docs/gcp-limits.md#cloud-run). path names the first field
// that is unknown or not an integer (st says which).
func readProbe(probe property.Map) (p capacity.Probe, path string, st status) {
	for _, x := range []struct {
		key string
		dst *int
		def int
	}{
		{"initialDelaySeconds", &p.InitialDelaySeconds, capacity.StartupProbeDefaultInitialDelaySeconds},
		{"periodSeconds", &p.PeriodSeconds, capacity.StartupProbeDefaultPeriodSeconds},
		{"timeoutSeconds", &p.TimeoutSeconds, capacity.StartupProbeDefaultTimeoutSeconds},
		{"failureThreshold", &p.FailureThreshold, capacity.StartupProbeDefaultFailureThreshold},
	} {
		switch n, fst := get(probe, x.key).integer(); fst {
		case stOK:
			*x.dst = n
		case stMissing:
			*x.dst = x.def
		default:
			return p, x.key, fst
		}
	}
	return p, "", stOK
}

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
