package pack

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
)

// PolicyRunEnvCredentials refuses a Cloud Run service whose plain env
// carries a credential. The detector is contract.Credential, the one the
// stack's validation of headroom:workloads[].env uses.
const PolicyRunEnvCredentials = "cloudrun-env-plaintext-credentials"

var runEnvCredentialsPolicy = policy{
	info: PolicyInfo{
		Name: PolicyRunEnvCredentials, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeRunService},
		Description: "A Cloud Run service carries no credential in a plain env value (a URL with a password, an " +
			"issued-key shape, a value under a …_PASSWORD/…_TOKEN/…_SECRET/…_API_KEY name): credentials come from " +
			"Secret Manager (env valueSource.secretKeyRef). Messages never print the value.",
	},
	meta: Metadata{Severity: SeverityCritical, Tags: []string{"security"},
		Remediation: "Create the secret in Secret Manager and reference it under headroom:workloads[].secrets " +
			"(or env[].valueSource.secretKeyRef in any program); remove the plain value and rotate it, since it is in " +
			"the service's configuration and in Pulumi state."},
	resource: checkRunEnvCredentials,
}

// checkRunEnvCredentials judges every container's plain env values. A
// value that is a Pulumi secret is still plain text in the service's
// configuration, so it is judged like any other; a value that cannot be
// read (computed until apply, or redacted by `pulumi policy analyze
// --file`) is refused when its name alone says it is a credential.
func checkRunEnvCredentials(r *policyx.AnalyzerResource, _ Config, f *findings) {
	containers, st := get(r.Properties, "template.containers").array()
	switch st {
	case stUnknown:
		f.unknown(r, "template.containers")
		return
	case stOK:
	default:
		return
	}
	subject := "service " + resourceName(r)
	for _, c := range containers {
		if !c.IsMap() {
			continue
		}
		envs, st := get(c.AsMap(), "envs").array()
		if st == stUnknown {
			f.unknown(r, "template.containers[].envs")
			continue
		}
		vars := kvList(envs)
		names := make([]string, 0, len(vars))
		for n := range vars {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			v, st := vars[n].text()
			switch st {
			case stUnknown:
				// Computed (another resource's output, e.g. a generated
				// password) or redacted: unreadable, but still plain
				// text in the service's configuration once applied, so a
				// credential's name is enough.
				if _, named := contract.Credential(n, "x"); named {
					f.fail("%s: env %s is a plain env value under a credential's name; read it from Secret Manager (valueSource.secretKeyRef)", subject, n)
				}
				continue
			case stOK:
			default:
				continue // absent: a valueSource reference
			}
			if kind, found := contract.Credential(n, v); found {
				f.fail("%s: env %s looks like a credential (%s; value not shown); read it from Secret Manager (valueSource.secretKeyRef) and rotate it", subject, n, kind)
			}
		}
	}
}
