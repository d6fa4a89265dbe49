package pack

import (
	"errors"
	"math"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

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

// readProbe reads a startup probe's fields, taking the API defaults for the
// absent ones (docs/gcp-limits.md#cloud-run). path names the first field
// that is unknown or not an integer (st says which).
func readProbe(probe property.Map) (p capacity.Probe, path string, st status) {
	for _, x := range []struct {
		key string
		dst *int
		def int
	}{
		{"initialDelaySeconds", &p.InitialDelaySeconds, capacity.StartupProbeDefaultInitialDelaySeconds},
		{"periodSeconds", &p.PeriodSeconds, capacity.StartupProbeDefaultPeriodSeconds},
		{"timeoutSeconds", &p.TimeoutSeconds, capacity.StartupProbeDefaultTimeoutSeconds},
		{"failureThreshold", &p.FailureThreshold, capacity.StartupProbeDefaultFailureThreshold},
	} {
		switch n, fst := get(probe, x.key).integer(); fst {
		case stOK:
			*x.dst = n
		case stMissing:
			*x.dst = x.def
		default:
			return p, x.key, fst
		}
	}
	return p, "", stOK
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

func checkRunPoolContract(r *policyx.AnalyzerResource, _ Config, f *findings) {
	name := resourceName(r)
	env, est := envOf(r.Properties)
	if est == stUnknown {
		f.unknown(r, "template.containers[].envs")
		return
	}
	if !hasDBContract(env) {
		// A service without Headroom's contract is read through the
		// framework catalog; cloudrun-db-demand-readable reports what
		// cannot be read.
		return
	}
	subject := "service " + name
	checkRunDemandContract(r, env, f)
	ints := map[string]int{}
	for _, k := range []string{envPoolSize, envMaxOverflow, envStartupConns} {
		fv, ok := env[k]
		if !ok {
			f.fail("%s: set env %s (an integer) so the connection budget can be checked", subject, k)
			continue
		}
		n, st := fv.integer()
		switch st {
		case stOK:
			ints[k] = n
		case stUnknown:
			f.unknown(r, "env "+k)
		default:
			s, _ := fv.text()
			f.fail("%s: env %s must be an integer, got %q", subject, k, s)
		}
	}
	pool, ok1 := ints[envPoolSize]
	over, ok2 := ints[envMaxOverflow]
	start, ok3 := ints[envStartupConns]
	if ok1 && ok2 && ok3 {
		if err := capacity.ValidatePool(pool, over, start); err != nil {
			f.rule(subject, err, envOfField)
		}
	}
	// DB_CONNECT_TIMEOUT_SECONDS is a decimal number of seconds, as
	// db.connectTimeoutSeconds in the stack config (one rule in capacity).
	if fv, ok := env[envConnectTimeout]; !ok {
		f.fail("%s: set env %s (a decimal number of seconds) so the timeout budget can be checked", subject, envConnectTimeout)
	} else if s, st := fv.text(); st == stUnknown {
		f.unknown(r, "env "+envConnectTimeout)
	} else if _, err := capacity.ParseConnectTimeout(s); err != nil {
		f.rule(subject, err, envOfField)
	}
	_, hasHost := env[envHost]
	_, hasInst := env[envInstance]
	if !hasHost && !hasInst {
		f.fail("service %s: set env DB_INSTANCE (\"<project>:<region>:<instance>\") or DB_HOST so the pack can tell which instance it uses", name)
	}
}

// envOfField spells a pool rule's field as the env var of the contract.
func envOfField(field string) string {
	if e, ok := envForField[field]; ok {
		return "env " + e
	}
	return field
}

var envForField = map[string]string{
	"poolSize":              envPoolSize,
	"maxOverflow":           envMaxOverflow,
	"startupConnections":    envStartupConns,
	"connectTimeoutSeconds": envConnectTimeout,
}
