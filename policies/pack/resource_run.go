package pack

import (
	"math"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Cloud Run's default max instances is 100 (gcp-capacity.md §5).
const cloudRunDefaultMaxInstances = 100

func checkRunMaxInstances(r *policyx.AnalyzerResource, _ Config, f *findings) {
	name := resourceName(r)
	switch n, st := get(r.Properties, "template.scaling.maxInstanceCount").integer(); st {
	case stOK:
		if n <= 0 {
			f.fail("service %s: set template.scaling.maxInstanceCount > 0 (0 means Cloud Run's default of %d)", name, cloudRunDefaultMaxInstances)
		}
	case stMissing:
		f.fail("service %s: set template.scaling.maxInstanceCount explicitly (Cloud Run's default of %d breaks every connection budget)", name, cloudRunDefaultMaxInstances)
	case stUnknown:
		f.unknown(r, "template.scaling.maxInstanceCount")
	case stInvalid:
		f.fail("service %s: template.scaling.maxInstanceCount is not an integer", name)
	}
}

// Startup probe limits (gcp-capacity.md §5): failureThreshold ×
// periodSeconds ≤ 240 s, initialDelaySeconds ≤ 240 s, timeout < period.
const probeWindowMaxSeconds = 240

func checkRunProbeWindow(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	env, est := envOf(p)
	if est == stUnknown {
		f.unknown(r, "template.containers[].envs")
		return
	}
	if !hasDBContract(env) {
		return
	}
	probe, st := startupProbe(p)
	switch st {
	case stUnknown:
		f.unknown(r, "template.containers[0].startupProbe")
		return
	case stMissing, stInvalid:
		f.fail("service %s: add a startup probe whose window covers the DB connect timeout (Cloud Run's default TCP probe does not wait for the database)", name)
		return
	}
	vals := map[string]int{"initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 1, "failureThreshold": 3}
	for k := range vals {
		switch n, st := get(probe, k).integer(); st {
		case stOK:
			vals[k] = n
		case stUnknown:
			f.unknown(r, "startupProbe."+k)
			return
		case stInvalid:
			f.fail("service %s: startupProbe.%s is not an integer", name, k)
			return
		}
	}
	delay, period, timeout, threshold := vals["initialDelaySeconds"], vals["periodSeconds"], vals["timeoutSeconds"], vals["failureThreshold"]
	if period*threshold > probeWindowMaxSeconds {
		f.fail("service %s: lower startupProbe periodSeconds × failureThreshold from %d s to ≤ %d s (Cloud Run limit)", name, period*threshold, probeWindowMaxSeconds)
	}
	if delay > probeWindowMaxSeconds {
		f.fail("service %s: lower startupProbe initialDelaySeconds from %d to ≤ %d", name, delay, probeWindowMaxSeconds)
	}
	if timeout >= period {
		f.fail("service %s: startupProbe timeoutSeconds (%d) must be less than periodSeconds (%d)", name, timeout, period)
	}
	window := delay + period*threshold
	if fv, ok := env[envConnectTimeout]; ok {
		switch t, st := fv.num(); st {
		case stOK:
			if float64(window) < t {
				need := int(math.Ceil((t - float64(delay)) / float64(period)))
				f.fail("service %s: startup probe window %d s is shorter than DB_CONNECT_TIMEOUT_SECONDS %g s; raise failureThreshold to ≥ %d or lower the timeout",
					name, window, t, need)
			}
		case stUnknown:
			f.unknown(r, "env "+envConnectTimeout)
		}
	}
}

func checkRunPoolContract(r *policyx.AnalyzerResource, _ Config, f *findings) {
	p := r.Properties
	name := resourceName(r)
	env, est := envOf(p)
	if est == stUnknown {
		f.unknown(r, "template.containers[].envs")
		return
	}
	usesSQL := false
	if vols, st := get(p, "template.volumes").array(); st == stOK {
		for _, v := range vols {
			if v.IsMap() {
				if _, st := get(v.AsMap(), "cloudSqlInstance").obj(); st == stOK {
					usesSQL = true
				}
			}
		}
	}
	if !hasDBContract(env) && !usesSQL {
		return // a service without a database
	}
	checkRunDemandContract(r, env, f)
	ints := map[string]int{}
	for _, k := range []string{envPoolSize, envMaxOverflow, envStartupConns, envConnectTimeout} {
		fv, ok := env[k]
		if !ok {
			f.fail("service %s: set env %s (integer) so the connection budget can be checked", name, k)
			continue
		}
		n, st := fv.integer()
		switch st {
		case stOK:
			if n < 0 {
				f.fail("service %s: env %s must be ≥ 0, is %d", name, k, n)
			}
			ints[k] = n
		case stUnknown:
			f.unknown(r, "env "+k)
		default:
			s, _ := fv.str()
			f.fail("service %s: env %s must be an integer string, is %q", name, k, s)
		}
	}
	if n, ok := ints[envPoolSize]; ok && n < 1 {
		f.fail("service %s: env %s must be ≥ 1", name, envPoolSize)
	}
	if n, ok := ints[envConnectTimeout]; ok && n < 1 {
		f.fail("service %s: env %s must be ≥ 1", name, envConnectTimeout)
	}
	if s, ok := ints[envStartupConns]; ok {
		pool, ok1 := ints[envPoolSize]
		over, ok2 := ints[envMaxOverflow]
		if ok1 && ok2 && s > pool+over {
			f.fail("service %s: DB_STARTUP_CONNECTIONS (%d) exceeds DB_POOL_SIZE + DB_MAX_OVERFLOW (%d)", name, s, pool+over)
		}
	}
	_, hasHost := env[envHost]
	_, hasInst := env[envInstance]
	if !hasHost && !hasInst {
		f.fail("service %s: set env DB_INSTANCE (\"<project>:<region>:<instance>\") or DB_HOST so the pack can tell which instance it uses", name)
	}
}
