package pack

import (
	"fmt"
	"math"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyRunProbeWindow judges the startup probe of a service that declares the DB_* contract.
const PolicyRunProbeWindow = "cloudrun-startup-probe-window"

var runProbeWindowPolicy = policy{
	info: PolicyInfo{
		Name: PolicyRunProbeWindow, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeRunService},
		Description: fmt.Sprintf("A Cloud Run service that uses Headroom's DB_* contract has a startup probe within Cloud Run's limits "+
			"(timeout ≤ period; window initialDelay + period × failureThreshold ≤ %d s) whose window is ≥ its DB connect timeout.",
			capacity.StartupProbeMaxWindowSeconds),
	},
	meta: Metadata{
		Severity: SeverityHigh, Tags: []string{"capacity", "config"},
		Remediation: fmt.Sprintf("Make headroom:workloads[].startupProbe's window (initialDelaySeconds + periodSeconds × "+
			"failureThreshold) ≥ db.connectTimeoutSeconds and ≤ %d s, with timeoutSeconds ≤ periodSeconds.", capacity.StartupProbeMaxWindowSeconds),
	},
	resource: checkRunProbeWindow,
}

// probeField spells a probe rule's field as the resource property.
func probeField(field string) string { return "startupProbe." + field }

func checkRunProbeWindow(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	subject := "service " + resourceName(r)
	env, est := envOf(p)
	if est == stUnknown {
		f.unknown(r, "template.containers[].envs")
		return
	}
	if !hasDBContract(env) {
		return
	}
	pm, st := startupProbe(p)
	switch st {
	case stUnknown:
		f.unknown(r, "template.containers[0].startupProbe")
		return
	case stMissing, stInvalid:
		f.fail("%s: add a startup probe whose window covers the DB connect timeout (Cloud Run's default TCP probe does not wait for the database)", subject)
		return
	}
	probe, path, pst := readProbe(pm)
	switch pst {
	case stUnknown:
		f.unknown(r, "startupProbe."+path)
		return
	case stInvalid:
		f.fail("%s: startupProbe.%s is not an integer", subject, path)
		return
	}
	if err := capacity.ValidateStartupProbe(probe); err != nil {
		f.rule(subject, err, probeField)
	}
	window := capacity.ProbeWindowSeconds(probe)
	if fv, ok := env[envConnectTimeout]; ok {
		s, sst := fv.text()
		switch sst {
		case stOK:
			// A malformed value is cloudrun-db-pool-contract's to report.
			if t, err := capacity.ParseConnectTimeout(s); err == nil && window < t {
				need := int(math.Ceil((t - float64(probe.InitialDelaySeconds)) / float64(probe.PeriodSeconds)))
				f.fail("%s: startup probe window %g s is shorter than DB_CONNECT_TIMEOUT_SECONDS %g s; raise failureThreshold to ≥ %d or lower the timeout",
					subject, window, t, need)
			}
		case stUnknown:
			f.unknown(r, "env "+envConnectTimeout)
		}
	}
}
