package pack

import (
	"sort"
	"strings"

	"github.com/headroom-dev/headroom/contract"
)

// PolicySecretAccessorScope refuses a secret that a Cloud Run service
// reads as env when anyone besides the identities of the services reading
// it is granted roles/secretmanager.secretAccessor on it (on the secret,
// or on the whole project).
const PolicySecretAccessorScope = "secret-accessor-scope"

// IAM resource types that grant secretAccessor (pulumi-gcp v7).
const (
	TypeSecretIAMMember   = contract.TypeSecretIAMMember
	TypeSecretIAMBinding  = contract.TypeSecretIAMBinding
	TypeSecretIAMPolicy   = contract.TypeSecretIAMPolicy
	TypeProjectIAMMember  = contract.TypeIAMMember
	TypeProjectIAMBinding = contract.TypeProjectIAMBinding
)

var secretAccessorScopePolicy = policy{
	info: PolicyInfo{
		Name: PolicySecretAccessorScope, Kind: KindStack, Level: LevelMandatory,
		Description: "A secret a Cloud Run service reads as env (valueSource.secretKeyRef) is readable " +
			"(roles/secretmanager.secretAccessor, on the secret or on the project) by the identities of the services " +
			"that read it and by no one else.",
	},
	meta: Metadata{Severity: SeverityHigh, Tags: []string{"security"},
		Remediation: "Grant roles/secretmanager.secretAccessor per secret to the reading service's own service " +
			"account only (headroom:workloads[].secrets does this); remove project-wide grants and grants to other principals."},
	stack: checkSecretAccessorScope,
}

// secretKey normalizes a secret reference ("id" or
// "projects/<p>/secrets/<id>[/versions/<v>]") to its ID.
func secretKey(ref string) string {
	if s := segmentAfter(ref, "secrets"); s != "" {
		return s
	}
	return ref
}

// secretReaders maps each secret read as env by a service to the members
// of the services reading it ("serviceAccount:<email>"), and the services.
func secretReaders(g *graph, f *findings) (map[string]map[string]bool, map[string][]string) {
	readers := map[string]map[string]bool{}
	services := map[string][]string{}
	for _, s := range g.services {
		containers, st := get(s.Properties, "template.containers").array()
		if st != stOK {
			continue
		}
		var refs []string
		for _, c := range containers {
			if !c.IsMap() {
				continue
			}
			envs, st := get(c.AsMap(), "envs").array()
			if st != stOK {
				continue
			}
			for _, e := range envs {
				if !e.IsMap() {
					continue
				}
				ref, st := get(e.AsMap(), "valueSource.secretKeyRef.secret").str()
				if st == stUnknown {
					f.unknown(s, "template.containers[].envs[].valueSource.secretKeyRef.secret")
				}
				if st == stOK && ref != "" {
					refs = append(refs, secretKey(ref))
				}
			}
		}
		if len(refs) == 0 {
			continue
		}
		sa, st := get(s.Properties, "template.serviceAccount").str()
		if st == stUnknown {
			f.unknown(s, "template.serviceAccount")
			continue
		}
		for _, ref := range refs {
			if readers[ref] == nil {
				readers[ref] = map[string]bool{}
			}
			if sa != "" {
				readers[ref]["serviceAccount:"+sa] = true
			}
			services[ref] = append(services[ref], resourceName(s))
		}
	}
	return readers, services
}

func checkSecretAccessorScope(ev *evaluation, _ Config, f *findings) {
	g := ev.ex.g
	readers, services := secretReaders(g, f)
	if len(readers) == 0 {
		return
	}
	for _, urn := range sortedURNs(g) {
		r := g.byURN[urn]
		var secrets []string // the secrets the grant covers
		switch r.Type {
		case TypeSecretIAMMember, TypeSecretIAMBinding, TypeSecretIAMPolicy:
			id, st := get(r.Properties, "secretId").str()
			if st == stUnknown {
				f.unknown(r, "secretId")
				continue
			}
			if _, read := readers[secretKey(id)]; !read {
				continue
			}
			secrets = []string{secretKey(id)}
		case TypeProjectIAMMember, TypeProjectIAMBinding:
			for s := range readers {
				secrets = append(secrets, s)
			}
			sort.Strings(secrets)
		default:
			continue
		}
		var members []string
		if r.Type == TypeSecretIAMPolicy {
			data, st := get(r.Properties, "policyData").str()
			if st == stUnknown {
				f.unknown(r, "policyData")
				continue
			}
			members = policyBindings(data)[contract.RoleSecretAccessor]
		} else {
			role, st := get(r.Properties, "role").str()
			if st == stUnknown {
				f.unknown(r, "role")
				continue
			}
			if role != contract.RoleSecretAccessor {
				continue
			}
			members = membersOf(r, f)
		}
		for _, s := range secrets {
			for _, m := range members {
				if readers[s][m] {
					continue
				}
				scope := "on the secret"
				if r.Type == TypeProjectIAMMember || r.Type == TypeProjectIAMBinding {
					scope = "on the whole project"
				}
				f.out = append(f.out, finding{urn: r.URN,
					msg: "secret " + s + " (read as env by service " + strings.Join(services[s], ", ") + ") is also readable by " + m +
						" (" + contract.RoleSecretAccessor + " " + scope + "); grant it only to the reading service's own service account"})
			}
		}
	}
}
