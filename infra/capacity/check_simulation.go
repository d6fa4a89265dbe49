package capacity

import (
	"fmt"
	"strings"
)

// simulation turns the scenario's storm simulation into findings that
// name what the failed instances were waiting for. The simulation is not
// monotone (a partial-pool deadlock can make one more slot or a longer
// timeout lower success, docs/capacity-model.md "Known limits"), so it is
// mandatory only where a monotone rule (connection budget, timeout budget
// with slot exhaustion and accept queue, egress headroom, IPs, Admin API)
// already fails in the same scenario — it then explains that failure —
// and advisory everywhere else. The stack's verdict therefore never
// depends on the simulation alone. The post-mortem's criteria (docs/incident-1278.md) are strict:
// success must be above the target ("> 90 %") and connect p99 under it
// ("< 30 s").
func (an *analysis) simulation() {
	m, s := an.m, an.res.Simulation
	subject := nonEmpty(m.topo.Stack, "stack")
	sev := SeverityWarn
	for _, c := range an.res.Checks {
		if c.Check != CheckColdStartSuccess && c.Severity == SeverityFail {
			sev = SeverityFail
		}
	}
	if s.Skipped != "" {
		an.flag(CheckColdStartSuccess, subject, sev, "storm not simulated: %s", s.Skipped)
		return
	}
	if s.Instances == 0 {
		return
	}
	if !SuccessMeets(s.SuccessRate, m.targets.StartupSuccessRate) {
		ready := 0
		for _, w := range s.PerWorkload {
			ready += w.Ready
		}
		var causes []string
		f := s.Failures
		if f.EgressWait > 0 && len(s.PerRegion) == 0 {
			// No connector took part: the instances waited for Direct VPC
			// egress to connect (in a stack with connectors, the connectors
			// that delayed instances are named below).
			causes = append(causes, fmt.Sprintf("%d waited for Direct VPC egress to connect (%g s warm-up)", f.EgressWait, m.assume.DirectEgressStartupSeconds))
		} else if f.EgressWait > 0 {
			var rs []string
			for _, r := range s.PerRegion {
				if r.ScaleOuts > 0 || r.DelayedInstances > 0 {
					rs = append(rs, fmt.Sprintf("%s %s: %d → %d instances, %d scale-outs × %g s, waits up to %.0f s", r.Region, r.Egress,
						r.ConnectorInstancesStart, r.ConnectorInstancesEnd, r.ScaleOuts, m.assume.ConnectorScaleOutSeconds, r.MaxEgressWaitSeconds))
				}
			}
			causes = append(causes, fmt.Sprintf("%d waited on connector scale-out on the critical path (%s)", f.EgressWait, strings.Join(rs, "; ")))
		}
		if f.SlotExhaustion > 0 {
			var ds []string
			for _, d := range s.PerDatabase {
				if d.Refused > 0 {
					ds = append(ds, fmt.Sprintf("%s: %d usable slots, peak %d, %d attempts refused", d.Database, d.Usable, d.PeakSlots, d.Refused))
				}
			}
			causes = append(causes, fmt.Sprintf("%d hit slot exhaustion (\"too many clients\"; %s)", f.SlotExhaustion, strings.Join(ds, "; ")))
		}
		if f.AcceptQueue > 0 {
			causes = append(causes, fmt.Sprintf("%d queued behind the database accept rate", f.AcceptQueue))
		}
		if f.AdminQuota > 0 {
			causes = append(causes, fmt.Sprintf("%d waited for Admin API connect quota", f.AdminQuota))
		}
		if f.BuiltinCap > 0 {
			causes = append(causes, fmt.Sprintf("%d need more than %d built-in connections", f.BuiltinCap, BuiltinConnectionsPerInstance))
		}
		if f.NoDatabase > 0 {
			causes = append(causes, fmt.Sprintf("%d target a missing database", f.NoDatabase))
		}
		if f.Horizon > 0 {
			causes = append(causes, fmt.Sprintf("%d unresolved at the %g s horizon", f.Horizon, s.HorizonSeconds))
		}
		an.flag(CheckColdStartSuccess, subject, sev,
			"predicted storm success %.1f%% (%d of %d instances ready) is not above the %.1f%% target; failed: %s",
			100*s.SuccessRate, ready, s.Instances, 100*m.targets.StartupSuccessRate, nonEmpty(strings.Join(causes, "; "), "unknown"))
	}
	if !ConnectMeets(s.ConnectP99Seconds, m.targets.ConnectP99Seconds) {
		an.flag(CheckColdStartSuccess, subject, sev,
			"predicted connect p99 %.1f s is not under the %g s target (p50 %.1f s, p95 %.1f s)", s.ConnectP99Seconds, m.targets.ConnectP99Seconds, s.ConnectP50Seconds, s.ConnectP95Seconds)
	}
}
