package pack

import (
	"encoding/json"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyRunPublicInvoker refuses, in production, a Cloud Run service that
// anyone may invoke (roles/run.invoker for allUsers or
// allAuthenticatedUsers) unless the service states it is meant to be
// public with the label contract.LabelPublic.
const PolicyRunPublicInvoker = "cloudrun-public-invoker"

// Cloud Run v2 IAM resource types (pulumi-gcp v7).
const (
	TypeRunIAMMember  = contract.TypeRunIAMMember
	TypeRunIAMBinding = contract.TypeRunIAMBinding
	TypeRunIAMPolicy  = contract.TypeRunIAMPolicy
)

var runPublicInvokerPolicy = policy{
	info: PolicyInfo{
		Name: PolicyRunPublicInvoker, Kind: KindStack, Level: LevelMandatory,
		Description: "Production: a Cloud Run service that allUsers or allAuthenticatedUsers may invoke " +
			"(roles/run.invoker through a ServiceIamMember, ServiceIamBinding or ServiceIamPolicy) carries the label " +
			contract.LabelPublic + "=" + contract.LabelPublicValue + " that says it is meant to be public.",
		ConfigKeys: []string{"environment"},
	},
	meta: Metadata{Severity: SeverityHigh, Tags: []string{"security"},
		Remediation: "Remove allUsers from headroom:workloads[].invokers (name the callers instead), or state " +
			"headroom:workloads[].public: true (the label " + contract.LabelPublic + ") if the service is meant for anyone."},
	stack: checkRunPublicInvoker,
}

// invokerGrant is one roles/run.invoker grant read from an IAM resource.
type invokerGrant struct {
	r        *policyx.AnalyzerResource
	service  string // the service's name (short or full resource name)
	location string
	members  []string
}

// runInvokerGrants reads every roles/run.invoker grant of the graph; an
// unknown member, service or policy is reported unknown.
func runInvokerGrants(g *graph, f *findings) []invokerGrant {
	var out []invokerGrant
	for _, urn := range sortedURNs(g) {
		r := g.byURN[urn]
		if r.Type != TypeRunIAMMember && r.Type != TypeRunIAMBinding && r.Type != TypeRunIAMPolicy {
			continue
		}
		name, st := get(r.Properties, "name").str()
		if st == stUnknown {
			f.unknown(r, "name")
			continue
		}
		loc, _ := get(r.Properties, "location").str()
		gr := invokerGrant{r: r, service: lastSegment(name, '/'), location: loc}
		if l := segmentAfter(name, "locations"); l != "" {
			gr.location = l
		}
		switch r.Type {
		case TypeRunIAMPolicy:
			data, st := get(r.Properties, "policyData").str()
			if st == stUnknown {
				f.unknown(r, "policyData")
				continue
			}
			for role, ms := range policyBindings(data) {
				if role == contract.RoleRunInvoker {
					gr.members = append(gr.members, ms...)
				}
			}
		default:
			role, st := get(r.Properties, "role").str()
			if st == stUnknown {
				f.unknown(r, "role")
				continue
			}
			if role != contract.RoleRunInvoker {
				continue
			}
			gr.members = membersOf(r, f)
		}
		out = append(out, gr)
	}
	return out
}

// membersOf reads `member` (IAMMember) or `members` (IAMBinding).
func membersOf(r *policyx.AnalyzerResource, f *findings) []string {
	if m, st := get(r.Properties, "member").str(); st == stOK {
		return []string{m}
	} else if st == stUnknown {
		f.unknown(r, "member")
		return nil
	}
	items, st := get(r.Properties, "members").array()
	if st == stUnknown {
		f.unknown(r, "members")
		return nil
	}
	var out []string
	for _, it := range items {
		if s, st := classify(it).str(); st == stOK {
			out = append(out, s)
		}
	}
	return out
}

// policyBindings reads an IAM policy document's bindings (role → members).
func policyBindings(data string) map[string][]string {
	var doc struct {
		Bindings []struct {
			Role    string   `json:"role"`
			Members []string `json:"members"`
		} `json:"bindings"`
	}
	out := map[string][]string{}
	if json.Unmarshal([]byte(data), &doc) != nil {
		return out
	}
	for _, b := range doc.Bindings {
		out[b.Role] = append(out[b.Role], b.Members...)
	}
	return out
}

func sortedURNs(g *graph) []string {
	out := make([]string, 0, len(g.byURN))
	for u := range g.byURN {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// serviceNamed finds the Cloud Run service a grant names (by name, and by
// location when both say one).
func serviceNamed(g *graph, name, location string) *policyx.AnalyzerResource {
	for _, s := range g.services {
		n, _ := get(s.Properties, "name").str()
		if n == "" {
			n = s.Name
		}
		if lastSegment(n, '/') != name {
			continue
		}
		if l, st := get(s.Properties, "location").str(); st == stOK && location != "" && l != location {
			continue
		}
		return s
	}
	return nil
}

func checkRunPublicInvoker(ev *evaluation, cfg Config, f *findings) {
	if cfg.Env() != capacity.EnvProduction {
		return
	}
	g := ev.ex.g
	for _, gr := range runInvokerGrants(g, f) {
		var public []string
		for _, m := range gr.members {
			if contract.IsPublicMember(m) {
				public = append(public, m)
			}
		}
		if len(public) == 0 {
			continue
		}
		svc := serviceNamed(g, gr.service, gr.location)
		if svc == nil {
			f.out = append(f.out, finding{advisory: true, urn: gr.r.URN,
				msg: "service " + gr.service + ": " + public[0] + " may invoke it, and the service is not in this stack; cannot check its " + contract.LabelPublic + " label"})
			continue
		}
		v, st := get(svc.Properties, "labels."+contract.LabelPublic).str()
		if st == stUnknown {
			f.unknown(svc, "labels."+contract.LabelPublic)
			continue
		}
		if v == contract.LabelPublicValue {
			continue
		}
		f.out = append(f.out, finding{urn: gr.r.URN,
			msg: "service " + gr.service + ": " + public[0] + " may invoke it in production, and it does not say it is public: " +
				"set the label " + contract.LabelPublic + "=" + contract.LabelPublicValue + " (headroom:workloads[].public: true) or name the callers"})
	}
}
