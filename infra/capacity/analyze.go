package capacity

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// ConnectorScalingCriterionSeconds is the post-mortem's success criterion
// "VPC connector scaling latency <10s" (docs/incident-1278.md): a scale-out on
// the startup critical path that takes 10 s or more fails
// (docs/gcp-limits.md#derived-rules).
const ConnectorScalingCriterionSeconds = 10

// AdminAPIWarnShare warns when a storm uses more than this share of
// the Admin API connect quota (policy choice: same 80 % as connections).
const AdminAPIWarnShare = 0.80

// analysis accumulates a Report. The static checks run once; the others
// run once per scenario, reading demand from it (docs/capacity-model.md).
type analysis struct {
	m *model
	r Report
	// sc and res are the scenario being judged and its result; nil for the
	// static checks.
	sc  *scenario
	res *ScenarioResult
}

// flag records a non-OK verdict of check on subject in the current
// scenario: the message names the scenario, an advisory scenario turns a
// failure into a warning, and the scenario's check verdict is raised.
func (an *analysis) flag(check, subject string, sev Severity, format string, args ...any) {
	if sev == SeverityOK {
		return
	}
	msg := fmt.Sprintf(format, args...)
	f := Finding{Check: check, Subject: subject, Severity: sev, Message: msg}
	if an.sc != nil {
		if an.sc.advisory && sev == SeverityFail {
			f.Severity = SeverityWarn
			msg += " (advisory: Google documents this overshoot as brief)"
		}
		f.Scenario = an.sc.id
		f.Message = an.sc.id + ": " + msg
		an.res.raise(check, f.Severity)
	}
	an.r.Findings = append(an.r.Findings, f)
}

// raise sets check's verdict to the worse of its current one and sev.
func (s *ScenarioResult) raise(check string, sev Severity) {
	for i := range s.Checks {
		if s.Checks[i].Check == check {
			s.Checks[i].Severity = worst(s.Checks[i].Severity, sev)
			return
		}
	}
	s.Checks = append(s.Checks, CheckVerdict{Check: check, Severity: sev})
}

func analyze(t Topology) Report {
	m := newModel(t)
	an := &analysis{m: m}
	an.topology()
	an.builtinCap()
	an.probes()
	an.multiRegion()
	for _, sc := range m.scenarios() {
		an.judge(sc)
	}
	cold := an.r.Scenarios[0]
	an.r.Budgets, an.r.Egress, an.r.DirectIPs = cold.Budgets, cold.Egress, cold.DirectIPs
	an.r.Timeouts, an.r.AdminAPI, an.r.Simulation = cold.Timeouts, cold.AdminAPI, cold.Simulation
	sortFindings(an.r.Findings)
	return an.r
}

// judge evaluates every scenario check in sc.
func (an *analysis) judge(sc *scenario) {
	an.sc = sc
	an.res = &ScenarioResult{ID: sc.id, Kind: sc.kind, Description: sc.desc, Advisory: sc.advisory}
	for _, c := range ScenarioChecks {
		if c == CheckReplicaParity && sc.kind != KindFailover {
			continue
		}
		an.res.Checks = append(an.res.Checks, CheckVerdict{Check: c, Severity: SeverityOK})
	}
	an.budgets()
	an.egressHeadroom()
	an.directIPs()
	an.timeouts()
	an.adminAPI()
	an.res.Simulation = simulateScenario(an.m, sc, SimOptions{})
	an.simulation()
	an.res.Severity = SeverityOK
	for _, c := range an.res.Checks {
		an.res.Severity = worst(an.res.Severity, c.Severity)
	}
	an.r.Scenarios = append(an.r.Scenarios, *an.res)
	an.sc, an.res = nil, nil
}

// sortFindings orders findings by check, subject, severity (fail first),
// scenario and message, so reports and goldens are deterministic.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			strings.Compare(a.Check, b.Check),
			strings.Compare(a.Subject, b.Subject),
			cmp.Compare(severityRank(b.Severity), severityRank(a.Severity)), // fail first
			strings.Compare(a.Scenario, b.Scenario),
			strings.Compare(a.Message, b.Message),
		)
	})
}

func severityRank(s Severity) int {
	switch s {
	case SeverityFail:
		return 2
	case SeverityWarn:
		return 1
	}
	return 0
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func worst(a, b Severity) Severity {
	if severityRank(b) > severityRank(a) {
		return b
	}
	if a == "" {
		return SeverityOK
	}
	return a
}
