package capacity

import "math"

// This file turns a topology's report into the thresholds of the stack's
// Cloud Monitoring alert policies and dashboard, so what the gate reasoned
// about before the deploy is what the alerts watch after it: one source for
// every number (docs/monitoring.md).

// Alerts are the alerting thresholds of one stack. "Near" a limit means
// beyond the stack's utilization target (Targets.ConnectionUtilization) of
// it: the same headroom the connection budget demands. Every alert fires
// when the observed value is strictly greater than its threshold.
type Alerts struct {
	// Utilization is the stack's utilization target (0–1) the "near"
	// thresholds use.
	Utilization float64
	Databases   []DatabaseAlert
	Connectors  []ConnectorAlert
	Subnets     []SubnetAlert
	Services    []ServiceAlert
}

// DatabaseAlert watches one Cloud SQL instance's server connections.
type DatabaseAlert struct {
	Database string // Cloud SQL instance name
	Region   string
	// MaxConnections is the limit in force (drawn on the dashboard).
	MaxConnections int
	// Backends is the alert threshold: the budget's Allowed, i.e.
	// (max_connections − reserved) × the utilization target.
	Backends int
}

// ConnectorAlert watches one Serverless VPC Access connector.
type ConnectorAlert struct {
	Connector string // connector name
	Region    string
	// MaxInstances is the connector's maximum size; the instances alert
	// fires when the connector runs at it (instances > MaxInstances − 1).
	MaxInstances int
	// CapacityMaxMbps is the connector's throughput at MaxInstances
	// (inferred per-instance figure × MaxInstances).
	CapacityMaxMbps float64
	// ThroughputBytesPerSecond is the throughput alert threshold, per
	// direction: CapacityMaxMbps × the utilization target, in bytes/s.
	ThroughputBytesPerSecond float64
}

// InstancesThreshold is the value the connector's instance count must
// exceed for the "at maximum" alert: MaxInstances − 1.
func (c ConnectorAlert) InstancesThreshold() int { return c.MaxInstances - 1 }

// SubnetAlert watches one Direct VPC egress subnet's free IPs. Cloud
// Monitoring has no metric of a subnet's free addresses, so the alert
// watches the closest documented one: the instance count of the services
// on the subnet, each of which holds about DirectEgressIPsPerInstance IPs.
type SubnetAlert struct {
	Subnet string // subnet name
	Region string
	CIDR   string
	// Services are the Cloud Run services whose instances take IPs from it.
	Services  []string
	UsableIPs int
	// InstanceCapacity is how many instances the subnet's usable IPs carry
	// after one reserved block: ⌊(UsableIPs − DirectEgressIPBlock) ÷
	// DirectEgressIPsPerInstance⌋.
	InstanceCapacity int
	// Instances is the alert threshold on Σ instance count of Services:
	// ⌊InstanceCapacity × the utilization target⌋.
	Instances int
}

// ServiceAlert watches one Cloud Run service's instance count.
type ServiceAlert struct {
	Service      string // Cloud Run service name
	Region       string
	MaxInstances int // maxInstances (Cloud Run's default 100 when unset)
	// Instances is the alert threshold: ⌊MaxInstances × the utilization
	// target⌋.
	Instances int
}

// BytesPerMegabit converts Mbps to bytes per second (10^6 bits ÷ 8).
const BytesPerMegabit = 1e6 / 8

// AlertThresholds computes a stack's alert thresholds from its capacity
// report (the cold-start scenario's analyses, the ones the plan reports).
func AlertThresholds(t Topology) Alerts {
	r := analyze(t)
	m := newModel(t)
	u := m.targets.ConnectionUtilization
	out := Alerts{Utilization: u}
	for _, b := range r.Budgets {
		out.Databases = append(out.Databases, DatabaseAlert{
			Database: b.Database, Region: b.Region, MaxConnections: b.MaxConnections, Backends: b.Allowed,
		})
	}
	for _, h := range r.Egress {
		if h.Kind != EgressConnector {
			continue
		}
		out.Connectors = append(out.Connectors, ConnectorAlert{
			Connector: h.Name, Region: h.Region, MaxInstances: h.MaxInstances, CapacityMaxMbps: h.CapacityMaxMbps,
			ThroughputBytesPerSecond: h.CapacityMaxMbps * u * BytesPerMegabit,
		})
	}
	for ei, e := range m.egress {
		if e.Kind != EgressDirect {
			continue
		}
		s := SubnetAlert{Subnet: e.Name, Region: e.Region, CIDR: e.SubnetCIDR}
		for _, c := range r.DirectIPs {
			if c.Region == e.Region && c.Subnet == e.SubnetCIDR {
				s.UsableIPs = c.UsableIPs
			}
		}
		for _, i := range m.egressUsers(ei) {
			s.Services = append(s.Services, m.workloads[i].Name)
		}
		s.InstanceCapacity = max(s.UsableIPs-DirectEgressIPBlock, 0) / DirectEgressIPsPerInstance
		s.Instances = NearLimit(s.InstanceCapacity, u)
		out.Subnets = append(out.Subnets, s)
	}
	for _, w := range m.workloads {
		out.Services = append(out.Services, ServiceAlert{
			Service: w.Name, Region: w.Region, MaxInstances: w.maxInst,
			Instances: NearLimit(w.maxInst, u),
		})
	}
	return out
}

// NearLimit is ⌊limit × utilization⌋, the "near a limit" threshold.
func NearLimit(limit int, utilization float64) int {
	return int(math.Floor(float64(limit)*utilization + eps))
}
