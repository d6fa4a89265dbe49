package report

import (
	"sort"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PlanInput is what the offline plan knows about one stack.
type PlanInput struct {
	Stack       string
	Environment string
	// Counts are declared resources by Pulumi type token.
	Counts map[string]int
	// Topology and Capacity are the policy pack's view of the stack (the
	// same code `pulumi preview --policy-pack` runs).
	Topology   capacity.Topology
	Capacity   capacity.Report
	Violations []Violation
}

// FromPlan builds the report of `headroom plan`.
func FromPlan(in PlanInput) Report {
	r := Report{
		Kind:        KindPlan,
		Stack:       in.Stack,
		Environment: in.Environment,
		Violations:  append([]Violation(nil), in.Violations...),
	}
	if r.Environment == "" {
		r.Environment = string(in.Topology.Environment)
	}
	// The pack fills defaults into the topology it returns; the report shows
	// what the verdicts were judged against.
	t := in.Topology.Targets
	r.Targets = &Targets{
		StartupSuccessRate:    t.StartupSuccessRate,
		ConnectP99Seconds:     t.ConnectP99Seconds,
		ConnectionUtilization: t.ConnectionUtilization,
	}
	r.Resources = resources(in.Counts, in.Topology)
	r.Capacity = capacityOf(in.Capacity)
	r.Simulation = simulation(in.Capacity.Simulation)
	r.Scenarios = scenarios(in.Capacity)
	r.Finalize()
	return r
}

func resources(counts map[string]int, t capacity.Topology) *Resources {
	res := &Resources{ByType: []TypeCount{}, Databases: []DatabaseSizing{}, Egress: []EgressSizing{}, Services: []ServiceSizing{}}
	for typ, n := range counts {
		res.ByType = append(res.ByType, TypeCount{Type: typ, Count: n})
		res.Total += n
	}
	sort.Slice(res.ByType, func(i, j int) bool { return res.ByType[i].Type < res.ByType[j].Type })
	for _, d := range t.Databases {
		edition := d.Edition
		if edition == "" {
			edition = "ENTERPRISE"
		}
		res.Databases = append(res.Databases, DatabaseSizing{
			Name: d.Name, Region: d.Region, Tier: d.Tier, Edition: edition,
			Availability: d.Availability, MaxConnections: d.MaxConnections, ReplicaOf: d.ReplicaOf,
		})
	}
	for _, e := range t.Egress {
		res.Egress = append(res.Egress, EgressSizing{
			Region: e.Region, Kind: string(e.Kind), Name: e.Name, MachineType: e.MachineType,
			MinInstances: e.MinInstances, MaxInstances: e.MaxInstances,
			IPCIDRRange: e.IPCIDRRange, SubnetCIDR: e.SubnetCIDR,
		})
	}
	sort.SliceStable(res.Egress, func(i, j int) bool { return res.Egress[i].Region < res.Egress[j].Region })
	for _, w := range t.Workloads {
		res.Services = append(res.Services, ServiceSizing{
			Name: w.Name, Region: w.Region, Egress: string(w.Egress), Method: string(w.Method),
			Database: w.Database, MinInstances: w.MinInstances, MaxInstances: w.MaxInstances,
			Concurrency: w.Concurrency, PoolSize: w.PoolSize, MaxOverflow: w.MaxOverflow,
			StartupConnections: w.StartupConnections, ConnectTimeoutSeconds: w.ConnectTimeoutSeconds,
		})
	}
	sort.SliceStable(res.Services, func(i, j int) bool {
		a, b := res.Services[i], res.Services[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Region < b.Region
	})
	return res
}

func capacityOf(c capacity.Report) *Capacity {
	out := &Capacity{Databases: []DatabaseBudget{}, Failover: []Failover{}, Regions: []RegionEgress{}, Timeouts: []Timeout{}}
	for _, b := range c.Budgets {
		db := DatabaseBudget{
			Database: b.Database, Region: b.Region, MaxConnections: b.MaxConnections,
			MaxConnectionsExplicit: b.MaxConnectionsExplicit, Reserved: b.Reserved,
			AdminSlack: b.AdminSlack, Usable: b.Usable, Allowed: b.Allowed, Demand: b.Demand,
			Utilization: round(b.Utilization, 4), Severity: sevString(b.Severity),
			Contributors: []Contributor{},
		}
		for _, k := range b.Contributors {
			db.Contributors = append(db.Contributors, Contributor{
				Workload: k.Workload, Region: k.Region, MaxInstances: k.MaxInstances,
				PerInstance: k.PerInstance, Connections: k.Connections,
			})
		}
		out.Databases = append(out.Databases, db)
	}
	for _, f := range c.Failover {
		out.Failover = append(out.Failover, Failover{
			Primary: f.Primary, Replica: f.Replica, PrimaryDemand: f.PrimaryDemand,
			ReplicaAllowed: f.ReplicaAllowed, Severity: sevString(f.Severity),
		})
	}
	// Egress, Direct VPC egress IPs and Admin API bursts are all per
	// region; the report joins them so a reader sees one row per region.
	idx := map[string]int{}
	region := func(name string) *RegionEgress {
		if i, ok := idx[name]; ok {
			return &out.Regions[i]
		}
		idx[name] = len(out.Regions)
		out.Regions = append(out.Regions, RegionEgress{Region: name, Kind: string(capacity.EgressNone), Severity: sevString("")})
		return &out.Regions[len(out.Regions)-1]
	}
	for _, e := range c.Egress {
		r := region(e.Region)
		r.Kind, r.Name = string(e.Kind), e.Name
		r.DemandMbps, r.ColdStartMbps = round(e.DemandMbps, 2), round(e.ColdStartMbps, 2)
		r.CapacityMinMbps, r.CapacityMaxMbps = round(e.CapacityMinMbps, 2), round(e.CapacityMaxMbps, 2)
		r.ScaleOutsNeeded, r.ScaleOutOnCriticalPath = e.ScaleOutsNeeded, e.ScaleOutOnCriticalPath
		r.Severity = sevString(e.Severity)
	}
	for _, d := range c.DirectIPs {
		region(d.Region).DirectIPs = &IPBudget{
			Subnet: d.Subnet, PrefixLength: d.PrefixLength, UsableIPs: d.UsableIPs,
			NeededIPs: d.NeededIPs, Severity: sevString(d.Severity),
		}
	}
	for _, a := range c.AdminAPI {
		if !a.Applicable {
			continue
		}
		region(a.Region).AdminAPI = &AdminAPI{Calls: a.Calls, QuotaPerMin: a.QuotaPerMin, Severity: sevString(a.Severity)}
	}
	sort.SliceStable(out.Regions, func(i, j int) bool { return out.Regions[i].Region < out.Regions[j].Region })
	for _, t := range c.Timeouts {
		out.Timeouts = append(out.Timeouts, Timeout{
			Workload: t.Workload, Region: t.Region,
			EgressDelaySeconds: round(t.EgressDelaySeconds, 2), QueueSeconds: round(t.QueueSeconds, 2),
			HandshakeSeconds: round(t.HandshakeSeconds, 3), WorstCaseSeconds: round(t.WorstCaseSeconds, 2),
			ConnectTimeoutSeconds: round(t.ConnectTimeoutSeconds, 2), ProbeWindowSeconds: round(t.ProbeWindowSeconds, 2),
			Severity: sevString(t.Severity),
		})
	}
	return out
}

func simulation(s capacity.SimResult) *Simulation {
	out := &Simulation{
		Instances: s.Instances, Attempts: s.Attempts, SuccessRate: round(s.SuccessRate, 4),
		TimeToReadyP50Seconds: round(s.TimeToReadyP50Seconds, 2),
		TimeToReadyP95Seconds: round(s.TimeToReadyP95Seconds, 2),
		TimeToReadyP99Seconds: round(s.TimeToReadyP99Seconds, 2),
		ConnectP50Seconds:     round(s.ConnectP50Seconds, 3),
		ConnectP95Seconds:     round(s.ConnectP95Seconds, 3),
		ConnectP99Seconds:     round(s.ConnectP99Seconds, 3),
		PeakSlotsUsed:         s.PeakSlotsUsed,
		Workloads:             []WorkloadSim{},
		Series:                []Point{},
	}
	for _, w := range s.PerWorkload {
		out.Workloads = append(out.Workloads, WorkloadSim{
			Workload: w.Workload, Region: w.Region, Instances: w.Instances, Ready: w.Ready,
			SuccessRate: round(w.SuccessRate, 4),
		})
	}
	for _, p := range s.Series {
		out.Series = append(out.Series, Point{Seconds: round(p.Seconds, 3), Ready: p.Ready, Failed: p.Failed, SlotsInUse: p.SlotsInUse})
	}
	return out
}

// scenarios lists the scenarios judged, in the model's order, with their
// check verdicts and findings.
func scenarios(c capacity.Report) []Scenario {
	out := []Scenario{}
	idx := map[string]int{}
	for _, s := range c.Scenarios {
		sc := Scenario{ID: s.ID, Kind: string(s.Kind), Description: s.Description, Advisory: s.Advisory,
			Severity: sevString(s.Severity), Checks: []ScenarioCheck{}, Findings: []Finding{}}
		for _, ch := range s.Checks {
			sc.Checks = append(sc.Checks, ScenarioCheck{Check: ch.Check, Severity: sevString(ch.Severity)})
		}
		idx[s.ID] = len(out)
		out = append(out, sc)
	}
	for _, f := range c.Findings {
		if i, ok := idx[f.Scenario]; ok {
			out[i].Findings = append(out[i].Findings, Finding{Check: f.Check, Subject: f.Subject,
				Severity: sevString(f.Severity), Scenario: f.Scenario, Message: f.Message})
		}
	}
	return out
}
