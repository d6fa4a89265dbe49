package pack

import (
	"fmt"
	"net/netip"

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

// stackChecks are stack policies registered by their own files.
var stackChecks = map[string]stackCheck{}

func stackCheckFor(policy string) stackCheck {
	if c, ok := stackChecks[policy]; ok {
		return c
	}
	switch policy {
	case PolicyCapacityModel:
		return checkCapacityModel
	case PolicyCIDROverlap:
		return checkCIDROverlap
	case PolicyDemandReadable:
		return checkDemandReadable
	}
	return func(ev *evaluation, _ Config, f *findings) { reportFindings(ev, policy, f) }
}

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

func checkCapacityModel(ev *evaluation, cfg Config, f *findings) {
	for _, u := range ev.ex.unknowns {
		u := u
		f.out = append(f.out, finding{msg: u.Message(), urn: u.Resource, advisory: true, unknown: &u})
	}
	for _, is := range ev.ex.issues {
		f.out = append(f.out, finding{msg: is.msg, urn: is.urn, advisory: is.advisory})
	}
	if ev.modelErr != nil {
		f.fail("%v", ev.modelErr)
	}
	reportFindings(ev, PolicyCapacityModel, f)
}

type cidrEntry struct {
	label   string
	prefix  netip.Prefix
	network string
	urn     string
}

func checkCIDROverlap(ev *evaluation, _ Config, f *findings) {
	g := ev.ex.g
	var entries []cidrEntry
	add := func(kind, name, cidr, network string, r *policyx.AnalyzerResource, path string, st status) {
		switch st {
		case stUnknown:
			f.unknown(r, path)
			return
		case stOK:
		default:
			return
		}
		pfx, err := netip.ParsePrefix(cidr)
		if err != nil {
			f.out = append(f.out, finding{msg: fmt.Sprintf("%s %s: %q is not a CIDR range", kind, name, cidr), urn: r.URN})
			return
		}
		entries = append(entries, cidrEntry{label: fmt.Sprintf("%s %s (%s)", kind, name, pfx), prefix: pfx.Masked(), network: network, urn: r.URN})
	}
	for _, s := range g.subnets {
		cidr, st := get(s.res.Properties, "ipCidrRange").str()
		add("subnet", s.name, cidr, s.network, s.res, "ipCidrRange", st)
		if sec, sst := get(s.res.Properties, "secondaryIpRanges").array(); sst == stOK {
			for _, rng := range sec {
				if rng.IsMap() {
					c, cst := get(rng.AsMap(), "ipCidrRange").str()
					n, _ := get(rng.AsMap(), "rangeName").str()
					add("secondary range", s.name+"/"+n, c, s.network, s.res, "secondaryIpRanges[].ipCidrRange", cst)
				}
			}
		}
	}
	for _, c := range g.connectors {
		cidr, st := get(c.res.Properties, "ipCidrRange").str()
		if st == stMissing || (st == stOK && cidr == "") {
			continue // uses a subnet, which is checked as a subnet
		}
		add("connector", c.egress.Name, cidr, c.network, c.res, "ipCidrRange", st)
	}
	for _, p := range g.psa {
		a, st1 := get(p.res.Properties, "address").str()
		l, st2 := get(p.res.Properties, "prefixLength").integer()
		st := st1
		if st2 != stOK {
			st = st2
		}
		add("private services range", resourceName(p.res), fmt.Sprintf("%s/%d", a, l), p.network, p.res, "address/prefixLength", st)
	}
	for i := range entries {
		for j := i + 1; j < len(entries); j++ {
			a, b := entries[i], entries[j]
			if a.network != "" && b.network != "" && a.network != b.network {
				continue
			}
			if a.prefix.Overlaps(b.prefix) {
				f.out = append(f.out, finding{
					msg: fmt.Sprintf("%s overlaps %s; move one of them to an unused range", a.label, b.label),
					urn: b.urn,
				})
			}
		}
	}
}
