package pack

import (
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
)

// Judging a service at its registration during `pulumi up`.
//
// On a first preview a service's DATABASE_URL interpolates the address of
// an instance that does not exist yet: the preview can only say "cannot
// verify until known". The stack policies run again at the end of the
// update (AnalyzeStack), but by then the service has been created. The
// engine, however, sends every resource to the analyzer's Analyze before it
// creates or updates it, in registration order, with its inputs known: a
// service that interpolates an instance's address registers after that
// instance was created. The pack's Analyzer server (policies/analyzer)
// keeps the resources it was sent, and for each Cloud Run service judges
// the demand-monotone stack policies on the resources seen so far plus the
// service: a mandatory verdict there fails the step before the service is
// created (docs/policies.md#judged-at-registration).
//
// Seen resources are inputs: an instance's address (an output) is not among
// them, so a service whose connection string points at an address is bound
// to the stack's only Cloud SQL primary; with several, it is left to the
// end-of-update check (and to the preview of the next change, when every
// address is known).

// registrationPolicies are judged at registration: their verdict can only
// get worse as more services register (more demand on the same database),
// so a refusal on part of the stack is a refusal of the whole.
var registrationPolicies = []string{PolicyConnectionBudget, PolicyBuiltinConnCap, PolicyAdminAPIQuota}

// RegistrationPrefix starts the message of a verdict given at registration.
const RegistrationPrefix = "judged at registration, before the service is created or updated: "

// JudgeRegistration judges the Cloud Run service r, about to be created or
// updated, with the resources registered before it (seen, by their
// inputs). It returns the mandatory verdicts that concern r or the
// database r binds to; advisory ones are left to the stack check.
func JudgeRegistration(seen []policyx.AnalyzerResource, r policyx.AnalyzerResource, cfg Config) []Violation {
	if r.Type != TypeRunService {
		return nil
	}
	if cfg.Levels == nil {
		cfg.Levels = map[string]string{}
	}
	resources := make([]policyx.AnalyzerResource, 0, len(seen)+1)
	for _, s := range seen {
		if s.URN != r.URN {
			resources = append(resources, s)
		}
	}
	resources = append(resources, r)
	ev := evaluationOf(extractMode(resources, cfg, true))
	// The service's database, if it was bound.
	var dbURN string
	for _, w := range ev.ex.topo.Workloads {
		if w.Name == resourceName(&r) && w.Database != "" {
			for _, inst := range ev.ex.g.instances {
				if inst.name == w.Database {
					dbURN = inst.res.URN
				}
			}
		}
	}
	// How the service was bound, when it was a judgement (the only
	// primary): said in every verdict.
	bound := ""
	for _, n := range ev.ex.notes {
		if n.urn == r.URN && n.info && strings.Contains(n.msg, "bound to Cloud SQL instance") {
			bound = " [" + n.msg + "]"
		}
	}
	var out []Violation
	for _, policy := range registrationPolicies {
		if cfg.Level(policy) != LevelMandatory {
			continue
		}
		f := &findings{}
		lookup(policy).stack(ev, cfg, f)
		for _, fd := range f.out {
			if fd.advisory || (fd.urn != r.URN && (fd.urn != dbURN || dbURN == "")) {
				continue
			}
			out = append(out, Violation{Policy: policy, Level: LevelMandatory, Resource: fd.urn,
				Message: contract.Redact(RegistrationPrefix + "service " + resourceName(&r) + ": " + fd.msg + bound)})
		}
	}
	slices.SortStableFunc(out, func(a, b Violation) int {
		if a.Policy != b.Policy {
			if a.Policy < b.Policy {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}
