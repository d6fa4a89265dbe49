package infra

import (
	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/network"
)

// Topology is the capacity model's view of what Deploy declares for a
// validated stack: the same names, sizes and pool contracts the policy pack
// reads back from the resource graph (tests compare the two through the
// plan's JSON). The program needs it at deploy time, where the graph is not
// available, to draw the model's thresholds into its alerts and dashboard.
func Topology(st config.Stack) capacity.Topology {
	t := capacity.Topology{
		Stack:       st.Name,
		Environment: capacity.Environment(st.Environment),
		Targets:     st.CapacityTargets(),
		Assumptions: st.CapacityAssumptions(),
	}
	d := st.Database
	t.Databases = append(t.Databases, capacity.Database{
		Name: d.Name, Region: d.Region, Tier: d.Tier, Edition: d.Edition,
		Availability: d.Availability, MaxConnections: d.MaxConnections,
		Consumers: st.ConsumersOf("primary"),
	})
	for _, r := range d.Replicas {
		t.Databases = append(t.Databases, capacity.Database{
			Name: r.Name, Region: r.Region, Tier: r.Tier, Edition: d.Edition,
			Availability: r.Availability, MaxConnections: r.MaxConnections, ReplicaOf: d.Name,
			Consumers: st.ConsumersOf(r.Name),
		})
	}
	egress := map[string]capacity.Egress{}
	for _, region := range st.SortedRegions() {
		rc := st.Network.Regions[region]
		switch {
		case rc.Egress == network.EgressConnector && rc.Connector != nil:
			c := rc.Connector
			e := capacity.Egress{
				Region: region, Kind: capacity.EgressConnector, Name: c.Name,
				MachineType: c.MachineType, MinInstances: c.MinInstances, MaxInstances: c.MaxInstances,
				IPCIDRRange: c.IPCIDRRange,
			}
			egress[region] = e
			t.Egress = append(t.Egress, e)
		case rc.Egress == network.EgressDirect && rc.Direct != nil:
			// The pack lists a Direct VPC egress subnet once a service uses
			// it; added below in service order for the same reason.
			egress[region] = capacity.Egress{
				Region: region, Kind: capacity.EgressDirect,
				Name: network.DirectSubnetName(st.Network.Name, region), SubnetCIDR: rc.Direct.Subnet,
			}
		}
	}
	usedDirect := map[string]bool{}
	for _, w := range st.Workloads {
		for _, region := range w.Regions {
			e := egress[region]
			tw := capacity.Workload{
				Name:                  contract.ServiceName(w.Name, region),
				Group:                 w.Name,
				Region:                region,
				Egress:                e.Kind,
				EgressName:            e.Name,
				Method:                capacity.MethodPrivateIP,
				Database:              st.TargetInstance(w),
				MinInstances:          w.MinInstances,
				MaxInstances:          w.MaxInstances,
				Concurrency:           w.Concurrency,
				EgressMbpsPerInstance: w.EgressMbpsPerInstance,
				Deploy:                capacity.DeployStyle(w.Deploy.Style),
				Processes:             w.Processes,
				ExtraPools:            w.CapacityPools(),
				PoolSize:              w.DB.PoolSize,
				MaxOverflow:           w.DB.MaxOverflow,
				StartupConnections:    w.DB.StartupConnections,
				ConnectTimeoutSeconds: w.DB.ConnectTimeoutSeconds,
				StartupProbe: capacity.Probe{
					InitialDelaySeconds: w.StartupProbe.InitialDelaySeconds,
					PeriodSeconds:       w.StartupProbe.PeriodSeconds,
					TimeoutSeconds:      w.StartupProbe.TimeoutSeconds,
					FailureThreshold:    w.StartupProbe.FailureThreshold,
				},
			}
			if tw.Egress == "" {
				tw.Egress = capacity.EgressNone
			}
			if e.Kind == capacity.EgressDirect && !usedDirect[region] {
				usedDirect[region] = true
				t.Egress = append(t.Egress, e)
			}
			t.Workloads = append(t.Workloads, tw)
		}
	}
	return t
}
