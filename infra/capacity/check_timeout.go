package capacity

import (
	"fmt"
	"strings"
)

// timeouts is the worst-case connect path of every workload that starts
// or reconnects in the scenario: egress delay (connector scale-out or
// Direct VPC egress warm-up, for new instances only) + queueing behind the
// database's accept rate + handshake, against the time the instance has
// (min(connect timeout, startup probe window)). Slot exhaustion — the
// storm's startup connections plus what is already held exceed the usable
// slots — fails outright. Every term is monotone: more max_connections,
// fewer instances, smaller pools or a longer timeout never make it worse.
func (an *analysis) timeouts() {
	m, sc := an.m, an.sc
	for i, w := range m.workloads {
		if sc.storm[i] == 0 {
			continue
		}
		tb := TimeoutBudget{Workload: w.Name, Region: w.Region, HandshakeSeconds: m.assume.HandshakeSeconds,
			ConnectTimeoutSeconds: w.ConnectTimeoutSeconds, ProbeWindowSeconds: w.window, BudgetSeconds: w.budget, Severity: SeverityOK}
		var causes []string
		direct := false
		if w.egress >= 0 && sc.fresh {
			e := m.egress[w.egress]
			switch e.Kind {
			case EgressConnector:
				_, possible, saturated := m.connectorScaleOut(sc, w.egress)
				if possible > 0 { // possible ≤ needed
					tb.EgressDelaySeconds = float64(possible) * m.assume.ConnectorScaleOutSeconds
					causes = append(causes, fmt.Sprintf("connector %s scale-out %d × %g s = %g s", e.Name, possible, m.assume.ConnectorScaleOutSeconds, tb.EgressDelaySeconds))
				}
				if saturated {
					tb.EgressSaturated = true
					causes = append(causes, fmt.Sprintf("connector %s cannot carry the storm even at %d instances", e.Name, e.maxI))
				}
			case EgressDirect:
				direct = true
				tb.EgressDelaySeconds = m.assume.DirectEgressStartupSeconds
				causes = append(causes, fmt.Sprintf("Direct VPC egress warm-up %g s", tb.EgressDelaySeconds))
			}
		}
		d := sc.target[i]
		if d >= 0 {
			db := m.dbs[d]
			attempts := m.stormAttempts(sc, d)
			held := m.heldConnections(sc, d)
			tb.QueueSeconds = float64(attempts) / db.acceptRate
			if tb.QueueSeconds >= 1 {
				causes = append(causes, fmt.Sprintf("accept queue %d connections ÷ %g/s = %.1f s on %s", attempts, db.acceptRate, tb.QueueSeconds, db.Name))
			}
			server, what := attempts, "startup connections"
			if db.pool.pooled {
				// Clients wait at the poolers; only the server connections
				// the poolers open take slots.
				server, what = m.stormServer(sc, d), fmt.Sprintf("server connections through %d poolers", db.pool.poolers)
			}
			if server+held > db.usable {
				tb.SlotsExhausted = true
				if held > 0 {
					causes = append(causes, fmt.Sprintf("slot exhaustion: %d %s + %d already held > %d usable slots on %s", server, what, held, db.usable, db.Name))
				} else {
					causes = append(causes, fmt.Sprintf("slot exhaustion: %d %s > %d usable slots on %s", server, what, db.usable, db.Name))
				}
			}
			if c := db.pool.clientCap; c > 0 && m.stormClients(sc, d) > c {
				tb.SlotsExhausted = true
				causes = append(causes, fmt.Sprintf("pooler client exhaustion: %d clients > %d = %d poolers × max_client_connections on %s",
					m.stormClients(sc, d), c, db.pool.poolers, db.Name))
			}
		} else {
			tb.HandshakeSeconds = 0
		}
		tb.WorstCaseSeconds = tb.EgressDelaySeconds + tb.QueueSeconds + tb.HandshakeSeconds
		tb.Cause = strings.Join(causes, "; ")
		switch {
		case tb.SlotsExhausted || tb.EgressSaturated || tb.WorstCaseSeconds > tb.BudgetSeconds:
			tb.Severity = SeverityFail
			an.flag(CheckTimeoutBudget, w.Name, SeverityFail,
				"workload %s (%s): worst-case connect %.1f s (egress %.1f s + queue %.1f s + handshake %.2f s) vs budget %.0f s = min(connect timeout %.0f s, probe window %.0f s); cause: %s",
				w.Name, w.Region, tb.WorstCaseSeconds, tb.EgressDelaySeconds, tb.QueueSeconds, tb.HandshakeSeconds, tb.BudgetSeconds,
				w.ConnectTimeoutSeconds, w.window, nonEmpty(tb.Cause, "connect path longer than the budget"))
		case d >= 0 && !ConnectMeets(tb.WorstCaseSeconds, m.targets.ConnectP99Seconds):
			// The criterion is "connection establishment < 30 s".
			tb.Severity = SeverityWarn
			an.flag(CheckTimeoutBudget, w.Name, SeverityWarn, "workload %s (%s): worst-case connect %.1f s is not under the %g s connect target; cause: %s",
				w.Name, w.Region, tb.WorstCaseSeconds, m.targets.ConnectP99Seconds, nonEmpty(tb.Cause, "handshake"))
		}
		if direct && m.assume.DirectEgressStartupSeconds < DirectEgressWarnSeconds &&
			w.budget < DirectEgressWarnSeconds+tb.QueueSeconds+tb.HandshakeSeconds {
			tb.Severity = worst(tb.Severity, SeverityWarn)
			an.flag(CheckTimeoutBudget, w.Name, SeverityWarn,
				"workload %s (%s): Direct VPC egress may delay connections \"a minute or more\" at startup (docs/gcp-limits.md#direct-vpc-egress); the budget %.0f s leaves no room for %d s + the connect path",
				w.Name, w.Region, w.budget, DirectEgressWarnSeconds)
		}
		an.res.Timeouts = append(an.res.Timeouts, tb)
	}
}
