package config

import (
	"sort"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PrimaryTarget is the WorkloadDB.Target that selects the primary instance.
const PrimaryTarget = "primary"

// CapacityTargets converts headroom:targets to the capacity model's type.
// Unset targets stay zero, which the model reads as its defaults
// (capacity.DefaultTargets).
func (s Stack) CapacityTargets() capacity.Targets {
	return capacity.Targets{
		StartupSuccessRate:    s.Targets.StartupSuccessRate,
		ConnectP99Seconds:     s.Targets.ConnectP99Seconds,
		ConnectionUtilization: s.Targets.ConnectionUtilization,
	}
}

// CapacityAssumptions converts headroom:assumptions to the capacity model's
// type. Unset assumptions stay zero = model default
// (capacity.DefaultAssumptions).
func (s Stack) CapacityAssumptions() capacity.Assumptions {
	a := s.Assumptions
	return capacity.Assumptions{
		ConnectorScaleOutSeconds:   a.ConnectorScaleOutSeconds,
		DirectEgressStartupSeconds: a.DirectEgressStartupSeconds,
		AcceptRatePerSecond:        a.AcceptRatePerSecond,
		HandshakeSeconds:           a.HandshakeSeconds,
		RetryInitialSeconds:        a.RetryInitialSeconds,
		RetryMaxSeconds:            a.RetryMaxSeconds,
		RetryMultiplier:            a.RetryMultiplier,
		ReservedConnections:        a.ReservedConnections,
		AdminSlackConnections:      a.AdminSlackConnections,
		RampSeconds:                a.RampSeconds,
		Seed:                       a.Seed,
		AcceptRatePerVCPU:          a.AcceptRatePerVCPU,
		RevisionLingerSeconds:      a.RevisionLingerSeconds,
		MaxInstanceOvershoot:       a.MaxInstanceOvershoot,
	}
}

// SortedRegions returns the network's regions (keys of
// headroom:network.regions) in lexical order; every workload region is
// among them (validation).
func (s Stack) SortedRegions() []string {
	r := make([]string, 0, len(s.Network.Regions))
	for k := range s.Network.Regions {
		r = append(r, k)
	}
	sort.Strings(r)
	return r
}

// Replica returns the replica with the given name.
func (s Stack) Replica(name string) (Replica, bool) {
	for _, r := range s.Database.Replicas {
		if r.Name == name {
			return r, true
		}
	}
	return Replica{}, false
}

// TargetInstance is the Cloud SQL instance name a workload connects to:
// the primary's name for target "primary", else the replica's name.
func (s Stack) TargetInstance(w Workload) string {
	if w.DB.Target == "" || w.DB.Target == PrimaryTarget {
		return s.Database.Name
	}
	return w.DB.Target
}

// ConsumersOf lists the database consumers whose target is target
// ("primary" or a replica name), in the capacity model's form.
func (s Stack) ConsumersOf(target string) []capacity.Consumer {
	var out []capacity.Consumer
	for _, c := range s.Database.Consumers {
		if c.Target == target {
			out = append(out, capacity.Consumer{Name: c.Name, Connections: c.Connections})
		}
	}
	return out
}

// CapacityPools lists a workload's extra pools in the capacity model's form.
func (w Workload) CapacityPools() []capacity.Pool {
	var out []capacity.Pool
	for _, p := range w.DB.ExtraPools {
		out = append(out, p.capacity())
	}
	return out
}
