package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// evaluation is the stack-level view shared by every stack policy: the
// topology extracted once and the capacity model's report on it.
type evaluation struct {
	ex     *extraction
	report capacity.Report
	// modelErr is set when the capacity model failed on this topology.
	modelErr error
	// subjects maps a finding subject to the URNs of the resources of each
	// kind with that name, so a finding is reported on the resource its
	// check is about, never on a namesake of another kind.
	subjects map[subjectKind]map[string][]string
}

// subjectKind is the kind of resource a capacity check's subjects name.
type subjectKind int

const (
	kindInstance subjectKind = iota
	kindService
	kindEgress // a connector or a Direct VPC egress subnet
)

// subjectKinds lists, per check, the kinds its finding subjects name, in
// the order they are tried.
func subjectKinds(check string) []subjectKind {
	switch check {
	case capacity.CheckConnectionBudget, capacity.CheckReplicaParity, capacity.CheckMultiRegion:
		return []subjectKind{kindInstance, kindService, kindEgress}
	case capacity.CheckTimeoutBudget, capacity.CheckColdStartSuccess, capacity.CheckBuiltinConnCap:
		return []subjectKind{kindService, kindInstance, kindEgress}
	case capacity.CheckEgressHeadroom, capacity.CheckDirectEgressIPs:
		return []subjectKind{kindEgress, kindService, kindInstance}
	}
	return []subjectKind{kindInstance, kindService, kindEgress}
}

func newEvaluation(resources []policyx.AnalyzerResource, cfg Config) *evaluation {
	return evaluationOf(extract(resources, cfg))
}

// evaluationOf runs the capacity model on an extraction.
func evaluationOf(ex *extraction) *evaluation {
	ev := &evaluation{ex: ex, subjects: map[subjectKind]map[string][]string{}}
	ev.report, ev.modelErr = analyzeSafely(ev.ex.topo)
	g := ev.ex.g
	add := func(k subjectKind, name string, r *policyx.AnalyzerResource) {
		if name == "" || r == nil {
			return
		}
		if ev.subjects[k] == nil {
			ev.subjects[k] = map[string][]string{}
		}
		ev.subjects[k][name] = append(ev.subjects[k][name], r.URN)
	}
	for _, i := range g.instances {
		add(kindInstance, i.name, i.res)
	}
	for _, s := range g.services {
		add(kindService, resourceName(s), s)
	}
	for _, c := range g.connectors {
		add(kindEgress, c.egress.Name, c.res)
	}
	for _, s := range g.subnets {
		add(kindEgress, s.name, s.res)
	}
	return ev
}

// subjectURN is the URN a finding of check about subject is reported on:
// the one resource of the check's kind with that name; the stack (empty)
// when no resource or more than one has it.
func (ev *evaluation) subjectURN(check, subject string) string {
	for _, k := range subjectKinds(check) {
		switch urns := ev.subjects[k][subject]; len(urns) {
		case 0:
			continue
		case 1:
			return urns[0]
		default:
			return ""
		}
	}
	return ""
}

// analyzeSafely runs the capacity model, turning a panic into an error so a
// defect in the model fails the capacity-model policy instead of killing the
// analyzer process mid-deployment.
func analyzeSafely(t capacity.Topology) (rep capacity.Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("capacity model failed: %v", r)
		}
	}()
	return capacity.Analyze(t), nil
}

// stackCheck judges the whole stack.
type stackCheck func(ev *evaluation, cfg Config, f *findings)

// reportFindings turns the capacity report's findings of one policy into
// verdicts: fail at the policy's level, warn at advisory.
func reportFindings(ev *evaluation, policy string, f *findings) {
	for _, fd := range ev.report.Findings {
		if checkPolicy(fd.Check) != policy || ev.ex.emptyForUnknowns(fd.Check) {
			continue
		}
		msg := fd.Message
		if msg == "" {
			msg = fmt.Sprintf("%s: %s", fd.Check, fd.Subject)
		}
		v := finding{msg: msg, urn: ev.subjectURN(fd.Check, fd.Subject)}
		switch fd.Severity {
		case capacity.SeverityFail:
		case capacity.SeverityWarn:
			v.advisory = true
		default:
			continue
		}
		f.out = append(f.out, v)
	}
}
