package capacity

import (
	"fmt"
	"math"
	"strings"
)

// egressHeadroom judges each region's egress against the scenario's
// traffic (docs/gcp-limits.md#vpc-connector, #direct-vpc-egress and
// #derived-rules). A connector starts at its minimum in a cold start and at
// the size full-scale traffic took it to otherwise (it never scales in);
// every scale-out it still needs sits on the critical path of the
// instances waiting for it.
func (an *analysis) egressHeadroom() {
	m, sc := an.m, an.sc
	for ei, e := range m.egress {
		if e.Kind != EgressConnector && e.Kind != EgressDirect {
			continue
		}
		h := EgressHeadroom{Region: e.Region, Kind: e.Kind, Name: e.Name, Severity: SeverityOK}
		for _, i := range m.egressUsers(ei) {
			h.DemandMbps += float64(m.workloads[i].maxInst) * math.Max(m.workloads[i].EgressMbpsPerInstance, 0)
		}
		h.ColdStartMbps = m.egressDemandMbps(sc, ei)
		subject := nonEmpty(e.Name, e.Region)
		if e.Kind == EgressDirect {
			for _, i := range m.egressUsers(ei) {
				if m.workloads[i].EgressMbpsPerInstance > DirectEgressPerInstanceMbps {
					an.flag(CheckEgressHeadroom, subject, SeverityWarn,
						"workload %s (%s) expects %g Mbps per instance; Direct VPC egress gives ≈%d Mbps per instance (docs/gcp-limits.md#direct-vpc-egress)",
						m.workloads[i].Name, e.Region, m.workloads[i].EgressMbpsPerInstance, DirectEgressPerInstanceMbps)
					h.Severity = SeverityWarn
				}
			}
			n := 0
			for _, i := range m.egressUsers(ei) {
				n += sc.traffic[i]
			}
			h.CapacityMinMbps = float64(n) * DirectEgressPerInstanceMbps
			h.CapacityMaxMbps = h.CapacityMinMbps
			an.res.Egress = append(an.res.Egress, h)
			continue
		}
		h.MachineType, h.MinInstances, h.MaxInstances = e.machine.Name, e.minI, e.maxI
		if !e.machineOK {
			an.res.Egress = append(an.res.Egress, h) // reported by the topology check
			continue
		}
		start := sc.connStart[ei]
		h.CapacityMinMbps = e.capacityMbps(start)
		h.CapacityMaxMbps = e.capacityMbps(e.maxI)
		needed, possible, saturated := m.connectorScaleOut(sc, ei)
		h.ScaleOutsNeeded, h.Saturated = needed, saturated
		h.ScaleOutOnCriticalPath = needed > 0
		h.ScaleOutSeconds = float64(possible) * m.assume.ConnectorScaleOutSeconds
		if saturated {
			h.Severity = SeverityFail
		} else if h.ScaleOutOnCriticalPath {
			h.Severity = SeverityWarn
			if h.ScaleOutSeconds >= ConnectorScalingCriterionSeconds {
				h.Severity = SeverityFail
			}
		}
		an.res.Egress = append(an.res.Egress, h)
		if h.Severity == SeverityOK {
			continue
		}
		size := fmt.Sprintf("its %d instances", start)
		if start == e.minI {
			size = fmt.Sprintf("minInstances %d", start)
		}
		msg := fmt.Sprintf("connector %s (%s, %s ≈%g Mbps/instance, inferred): egress %g Mbps", e.Name, e.Region, e.machine.Name, e.machine.PerInstanceMbps, h.ColdStartMbps)
		switch {
		case possible > 0:
			msg += fmt.Sprintf(" exceeds %g Mbps at %s, so connector scale-out sits on the startup critical path (%d scale-outs × %g s = %g s, criterion < %d s)",
				h.CapacityMinMbps, size, possible, m.assume.ConnectorScaleOutSeconds, h.ScaleOutSeconds, ConnectorScalingCriterionSeconds)
			if saturated {
				msg += fmt.Sprintf("; it also exceeds %g Mbps at maxInstances %d (connectors max out at %d instances)", h.CapacityMaxMbps, e.maxI, ConnectorMaxInstancesCeiling)
			}
		case saturated:
			msg += fmt.Sprintf(" exceeds %g Mbps at maxInstances %d (connectors max out at %d instances)", h.CapacityMaxMbps, e.maxI, ConnectorMaxInstancesCeiling)
		}
		remedy, fix := connectorRemedy(h.ColdStartMbps, e)
		msg += "; " + remedy + fmt.Sprintf(" (fixes %s)", sc.id)
		an.flagFix(fix, CheckEgressHeadroom, subject, h.Severity, "%s", msg)
	}
}

// connectorRemedy names the smallest change that takes scale-out off the
// critical path: a larger minInstances, else a larger machine type, else
// Direct VPC egress. min must stay < max ≤ 10, so min ≤ 9
// (docs/gcp-limits.md#vpc-connector).
func connectorRemedy(mbps float64, e egInfo) (string, []Remedy) {
	need := func(mc ConnectorMachine) int {
		return max(ConnectorMinInstancesFloor, int(math.Ceil(mbps/mc.PerInstanceMbps-eps)))
	}
	direct := Remedy{Kind: RemedyDirectEgress, Target: e.Region}
	if n := need(e.machine); n < ConnectorMaxInstancesCeiling {
		return fmt.Sprintf("raise minInstances to ≥ %d (connectors never scale in, so size the floor for the storm) or use Direct VPC egress", n),
			[]Remedy{{Kind: RemedyConnectorMinInstances, Target: e.Region, Value: n}, direct}
	}
	// Smallest first: e's type and the smaller ones need ≥ n instances, so
	// the first type that fits is larger than e's.
	for _, mc := range connectorMachines {
		if n := need(mc); n < ConnectorMaxInstancesCeiling {
			return fmt.Sprintf("switch machineType to %s with minInstances ≥ %d (≈%g Mbps) or use Direct VPC egress", mc.Name, n, float64(n)*mc.PerInstanceMbps),
				[]Remedy{{Kind: RemedyConnectorMachineType, Target: e.Region, Value: n, MachineType: mc.Name}, direct}
		}
	}
	return "no connector size carries it: use Direct VPC egress", []Remedy{direct}
}

// directIPs checks each Direct VPC egress subnet's IP budget in the
// scenario: every instance that exists holds 2 IPs, for its lifetime plus
// up to 20 minutes, so a rollout needs old + new instances' IPs
// (docs/gcp-limits.md#direct-vpc-egress).
func (an *analysis) directIPs() {
	m, sc := an.m, an.sc
	for ei, e := range m.egress {
		if e.Kind != EgressDirect {
			continue
		}
		c := DirectIPCapacity{Region: e.Region, Subnet: e.SubnetCIDR, Severity: SeverityOK}
		n := m.egressInstances(sc, ei)
		c.NeededIPs = DirectEgressIPsNeeded(n)
		prefix, usable, err := SubnetUsableIPs(e.SubnetCIDR)
		subject := nonEmpty(e.Name, e.Region)
		if err != nil {
			c.Severity = SeverityFail
			an.res.DirectIPs = append(an.res.DirectIPs, c)
			an.flag(CheckDirectEgressIPs, subject, SeverityFail, "Direct VPC egress %s (%s): %v", subject, e.Region, err)
			continue
		}
		c.PrefixLength, c.UsableIPs = prefix, usable
		var why []string
		if prefix > DirectEgressMaxPrefixLength {
			why = append(why, fmt.Sprintf("/%d is smaller than the /%d minimum", prefix, DirectEgressMaxPrefixLength))
		}
		if usable < c.NeededIPs {
			why = append(why, fmt.Sprintf("%d usable IPs < %d needed (2 × %d instances + %d)", usable, c.NeededIPs, n, DirectEgressIPBlock))
		}
		if len(why) > 0 {
			c.Severity = SeverityFail
			want := DirectEgressMaxPrefixLength
			for want > 8 && (1<<(32-want))-SubnetReservedAddresses < c.NeededIPs {
				want--
			}
			an.flagFix([]Remedy{{Kind: RemedyDirectSubnetPrefix, Target: e.Region, Value: want}}, CheckDirectEgressIPs, subject, SeverityFail,
				"Direct VPC egress subnet %s (%s, %s): %s (docs/gcp-limits.md#direct-vpc-egress); use a /%d or larger (fixes %s)",
				subject, e.Region, e.SubnetCIDR, strings.Join(why, "; "), want, sc.id)
		}
		an.res.DirectIPs = append(an.res.DirectIPs, c)
	}
}
