package pack

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyRunMaxInstances requires an explicit maxInstanceCount on a Cloud Run service.
const PolicyRunMaxInstances = "cloudrun-max-instances-explicit"

var runMaxInstancesPolicy = policy{
	info: PolicyInfo{
		Name: PolicyRunMaxInstances, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeRunService},
		Description: fmt.Sprintf("A Cloud Run service sets template.scaling.maxInstanceCount (the default of %d breaks "+
			"every connection budget).", capacity.CloudRunDefaultMaxInstances),
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"capacity", "config"},
		Remediation: "Set headroom:workloads[].maxInstances explicitly, sized so the connection budget holds.",
	},
	resource: checkRunMaxInstances,
}

func checkRunMaxInstances(r *policyx.AnalyzerResource, _ Config, f *findings) {
	subject := "service " + resourceName(r)
	n, st := get(r.Properties, "template.scaling.maxInstanceCount").integer()
	minI, minSt := get(r.Properties, "template.scaling.minInstanceCount").integer()
	if st == stMissing {
		// pulumi-gcp v9+: the service-level cap counts as explicit.
		switch sn, sst := get(r.Properties, serviceMaxInstancesPath).integer(); sst {
		case stOK, stUnknown, stInvalid:
			if sst == stUnknown {
				f.unknown(r, serviceMaxInstancesPath)
				return
			}
			n, st = sn, sst
		}
	}
	switch st {
	case stMissing:
		n, st = 0, stOK
	case stUnknown:
		f.unknown(r, "template.scaling.maxInstanceCount")
		return
	case stInvalid:
		f.fail("%s: template.scaling.maxInstanceCount is not an integer", subject)
		return
	}
	if minSt != stOK {
		minI = 0
	}
	if err := capacity.ValidateMaxInstances(minI, n); err != nil {
		f.rule(subject, err, func(field string) string { return "template.scaling." + field[:3] + "InstanceCount" })
		return
	}
	// Direct VPC egress has its own instance quota per revision and region
	// (100–200 by default): advisory, since a project may have raised it.
	if nis, st := get(r.Properties, "template.vpcAccess.networkInterfaces").array(); st == stOK && len(nis) > 0 {
		if err := capacity.DirectEgressInstanceQuotaRisk(n); err != nil {
			var re *capacity.RuleError
			if errors.As(err, &re) {
				f.warn("%s: template.scaling.maxInstanceCount: %s (%s)", subject, re.Reason(), re.Source())
			}
		}
	}
}
