package capacity

import (
	"fmt"
	"math"
	"strings"
)

// The static checks: they do not depend on the moment a stack is judged
// at, so they run once and their findings carry no scenario.

// topology reports inputs the catalog rejects or that do not link up.
func (an *analysis) topology() {
	m := an.m
	if len(m.dbs) == 0 && len(m.workloads) == 0 {
		an.flag(CheckTopologyConsistent, m.topo.Stack, SeverityFail, "topology has no databases and no workloads: nothing to analyze")
	}
	seen := map[string]bool{}
	for _, d := range m.dbs {
		if seen[d.Name] {
			an.flag(CheckTopologyConsistent, d.Name, SeverityFail, "database %q is declared twice", d.Name)
		}
		seen[d.Name] = true
		if d.tierErr != nil {
			an.flag(CheckTopologyConsistent, d.Name, SeverityFail, "database %q: %v", d.Name, d.tierErr)
		} else {
			if err := CheckTierEdition(d.Tier, d.Edition); err != nil {
				an.flag(CheckTopologyConsistent, d.Name, SeverityFail, "database %q: %v", d.Name, err)
			}
			if adv := TierAdvice(d.tier); adv != nil {
				// A shape we infer, not one Google documents: advice.
				an.flag(CheckTopologyConsistent, d.Name, SeverityWarn, "database %q: %v", d.Name, adv)
			}
			if err := ValidateMaxConnections(d.tier, d.MaxConnections); err != nil {
				an.flag(CheckTopologyConsistent, d.Name, SeverityFail, "database %q: %v", d.Name, err)
			} else if adv := MaxConnectionsAdvice(d.tier, d.MaxConnections); adv != nil {
				// Above our inferred ceiling: a judgement, not a GCP limit.
				an.flag(CheckTopologyConsistent, d.Name, SeverityWarn, "database %q: %v", d.Name, adv)
			}
		}
		if d.pool.pooled && d.pool.clientCap == 0 {
			an.flag(CheckConnectionBudget, d.Name, SeverityWarn,
				"%s: Managed Connection Pooling's max_client_connections is unset (Google's default not verified): clients through its %d poolers are not judged, server connections are",
				d.Name, d.pool.poolers)
		}
		if d.ReplicaOf != "" && d.primary < 0 {
			an.flag(CheckTopologyConsistent, d.Name, SeverityFail, "database %q is a replica of %q, which the topology does not contain", d.Name, d.ReplicaOf)
		}
		if a := d.Availability; a != "" && a != AvailabilityZonal && a != AvailabilityRegional {
			an.flag(CheckTopologyConsistent, d.Name, SeverityFail, "database %q: availability %q, want ZONAL or REGIONAL", d.Name, a)
		}
	}
	for _, e := range m.egress {
		subject := e.Name
		if subject == "" {
			subject = e.Region
		}
		switch e.Kind {
		case EgressConnector:
			// Judge the maxInstances written (0: the default), not e.maxI,
			// which the model raises to minInstances for its arithmetic.
			maxI := e.MaxInstances
			if maxI == 0 {
				maxI = ConnectorDefaultMaxInstances
			}
			if err := ValidateConnectorSizing(e.MachineType, e.minI, maxI); err != nil {
				an.flag(CheckTopologyConsistent, subject, SeverityFail, "egress %s (%s): %v", subject, e.Region, err)
			}
			if e.IPCIDRRange != "" {
				if err := ValidateConnectorCIDR(e.IPCIDRRange); err != nil {
					an.flag(CheckTopologyConsistent, subject, SeverityFail, "egress %s (%s): %v", subject, e.Region, err)
				}
			} else if e.SubnetCIDR == "" {
				an.flag(CheckTopologyConsistent, subject, SeverityWarn, "egress %s (%s): connector has neither ipCidrRange nor subnet; it needs an unused /28 (docs/gcp-limits.md#vpc-connector)", subject, e.Region)
			}
		case EgressDirect:
			if e.SubnetCIDR == "" {
				an.flag(CheckTopologyConsistent, subject, SeverityFail, "egress %s (%s): Direct VPC egress needs a subnet range", subject, e.Region)
			}
		case EgressNone:
		default:
			an.flag(CheckTopologyConsistent, subject, SeverityFail, "egress %s (%s): kind %q, want connector, direct or none", subject, e.Region, e.Kind)
		}
	}
	for _, w := range m.workloads {
		subject := w.Name
		if w.db == unknownDatabase {
			an.flag(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s) targets database %q, which the topology does not contain", w.Name, w.Region, w.Database)
		}
		if (w.Egress == EgressConnector || w.Egress == EgressDirect) && w.egress < 0 {
			an.flag(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s) uses %s egress %q, but region %s has none", w.Name, w.Region, w.Egress, w.EgressName, w.Region)
		} else if w.egress >= 0 && w.EgressName != "" && m.egress[w.egress].Name != w.EgressName {
			an.flag(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s) names egress %q; region %s has %q", w.Name, w.Region, w.EgressName, w.Region, m.egress[w.egress].Name)
		}
		if w.Method == MethodPrivateIP && w.db >= 0 && (w.Egress == EgressNone || w.Egress == "") {
			an.flag(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s) connects to %s by private IP but has no VPC egress", w.Name, w.Region, w.Database)
		}
		if err := ValidateConcurrency(w.Concurrency); err != nil {
			an.flag(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s): %v", w.Name, w.Region, err)
		}
		if w.MaxInstances <= 0 {
			an.flag(CheckTopologyConsistent, subject, SeverityWarn, "workload %s (%s): maxInstances unset, Cloud Run's default of %d applies (docs/gcp-limits.md#cloud-run); set it explicitly", w.Name, w.Region, CloudRunDefaultMaxInstances)
		} else if w.MinInstances > w.MaxInstances {
			an.flag(CheckTopologyConsistent, subject, SeverityFail, "workload %s (%s): minInstances %d exceeds maxInstances %d", w.Name, w.Region, w.MinInstances, w.MaxInstances)
		}
		if mainPool := max(w.PoolSize, 0) + max(w.MaxOverflow, 0); w.db >= 0 && w.StartupConnections > mainPool && mainPool > 0 {
			an.flag(CheckTopologyConsistent, subject, SeverityWarn, "workload %s (%s): startupConnections %d exceeds pool %d + overflow %d", w.Name, w.Region, w.StartupConnections, w.PoolSize, w.MaxOverflow)
		}
		if err := ValidateStartupProbe(w.StartupProbe); err != nil {
			an.flag(CheckTimeoutBudget, subject, SeverityFail, "workload %s (%s): %v", w.Name, w.Region, err)
		}
	}
}

// builtinCap checks the 100-connections-per-instance cap of Cloud Run's
// built-in Cloud SQL connection (docs/gcp-limits.md#builtin-connection-cap).
func (an *analysis) builtinCap() {
	for _, w := range an.m.workloads {
		if w.Method != MethodBuiltin || w.db == noDatabase {
			continue
		}
		if w.perInst > BuiltinConnectionsPerInstance || w.startup > BuiltinConnectionsPerInstance {
			an.flag(CheckBuiltinConnCap, w.Name, SeverityFail,
				"workload %s (%s): %d connections per instance (startup %d) exceed the built-in Cloud SQL connection's %d per instance (docs/gcp-limits.md#builtin-connection-cap); lower processes × (pool + overflow) to ≤ %d or use the Auth Proxy/connector or private IP",
				w.Name, w.Region, w.perInst, w.startup, BuiltinConnectionsPerInstance, BuiltinConnectionsPerInstance)
		}
	}
}

// probes flags, per workload with a database, a startup probe that cannot
// protect the database connect: a TCP probe passes as soon as the port is
// bound, so an app that binds before connecting is marked ready (and
// receives traffic) while it is still waiting for the database; and a
// connect timeout longer than the probe window, so Cloud Run kills the
// instance first. Warnings: the timeout budget fails where the arithmetic
// proves failure.
func (an *analysis) probes() {
	for _, w := range an.m.workloads {
		if w.db == noDatabase {
			continue
		}
		if w.StartupProbe.Path == "" {
			an.flagFix([]Remedy{{Kind: RemedyHTTPStartupProbe, Target: w.group}}, CheckTimeoutBudget, w.Name, SeverityWarn,
				"workload %s (%s): the startup probe is TCP, which passes as soon as the port is bound, before the database is reachable; a slow or failed connect then reaches users as errors instead of holding the instance back; set startupProbe.path to an HTTP path that tests the database (docs/gcp-limits.md#cloud-run)",
				w.Name, w.Region)
		}
		if w.ConnectTimeoutSeconds > w.window {
			an.flagFix([]Remedy{{Kind: RemedyProbeWindow, Target: w.group, Value: int(math.Ceil(w.ConnectTimeoutSeconds))}}, CheckTimeoutBudget, w.Name, SeverityWarn,
				"workload %s (%s): connect timeout %.0f s outlasts the startup probe window %.0f s, so Cloud Run kills the instance first; lower the timeout to ≤ %.0f s or lengthen the probe",
				w.Name, w.Region, w.ConnectTimeoutSeconds, w.window, w.window)
		}
	}
}

// multiRegion requires, in production, an HA primary, a cross-region
// replica, and egress and workloads in at least two regions (the
// post-mortem's multi-region criterion, docs/incident-1278.md; docs/gcp-limits.md#cloud-sql-ha).
func (an *analysis) multiRegion() {
	m := an.m
	if m.topo.Environment != EnvProduction {
		return
	}
	var missing []string
	var fix []Remedy
	for _, d := range m.dbs {
		if d.ReplicaOf != "" {
			continue // a replica (primary ≥ 0 only ever for one)
		}
		if d.Availability != AvailabilityRegional {
			missing = append(missing, fmt.Sprintf("primary %s is %s, not REGIONAL (HA)", d.Name, nonEmpty(d.Availability, AvailabilityZonal)))
			fix = append(fix, Remedy{Kind: RemedyRegionalAvailability, Target: d.Name})
		}
		cross := false
		for _, r := range m.dbs {
			if r.primary >= 0 && m.dbs[r.primary].Name == d.Name && r.Region != d.Region {
				cross = true
			}
		}
		if !cross {
			missing = append(missing, fmt.Sprintf("primary %s has no cross-region replica", d.Name))
			fix = append(fix, Remedy{Kind: RemedyCrossRegionReplica, Target: d.Name})
		}
	}
	egRegions, wlRegions := map[string]bool{}, map[string]bool{}
	for _, e := range m.egress {
		if e.Kind == EgressConnector || e.Kind == EgressDirect {
			egRegions[e.Region] = true
		}
	}
	for _, w := range m.workloads {
		wlRegions[w.Region] = true
	}
	if len(egRegions) < MultiRegionMinRegions {
		missing = append(missing, fmt.Sprintf("VPC egress in %d region(s) %v, want ≥ %d", len(egRegions), sortedKeys(egRegions), MultiRegionMinRegions))
	}
	if len(wlRegions) < MultiRegionMinRegions {
		missing = append(missing, fmt.Sprintf("workloads in %d region(s) %v, want ≥ %d", len(wlRegions), sortedKeys(wlRegions), MultiRegionMinRegions))
	}
	if len(missing) > 0 {
		// Adding regions to the network and workloads is not a remedy kind:
		// it is a design change (suggest does not add regions).
		an.flagFix(fix, CheckMultiRegion, nonEmpty(m.topo.Stack, "production"), SeverityFail, "production is not multi-region redundant: %s", strings.Join(missing, "; "))
	}
}
