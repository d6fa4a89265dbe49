package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Values of headroom:workloads[].cpuAllocation and .executionEnvironment.
const (
	CPUAllocationRequest = "request"
	CPUAllocationAlways  = "always"
	ExecutionGen1        = "gen1"
	ExecutionGen2        = "gen2"
)

var (
	// envName: a POSIX-style variable name (Cloud Run refuses '=' and
	// empty names; the shell and most runtimes need this form).
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// secretID: a Secret Manager secret ID (1–255 letters, digits, '_',
	// '-'), optionally as projects/<project>/secrets/<id>.
	secretID      = regexp.MustCompile(`^(projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/secrets/)?[A-Za-z0-9_-]{1,255}$`)
	secretVersion = regexp.MustCompile(`^(latest|[1-9][0-9]*)$`)
	// iamMember: an IAM principal as a policy binding spells it.
	iamMember = regexp.MustCompile(`^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet):\S+)$`)
	iamRole   = regexp.MustCompile(`^(roles/[A-Za-z0-9_.]+|projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/roles/[A-Za-z0-9_.]+)$`)
	labelKey  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	labelVal  = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
)

// ProgramLabels are the labels the program sets on every service; a
// workload's labels may not set them (headroom-public comes from public).
var ProgramLabels = []string{contract.LabelWorkload, contract.LabelManagedBy, contract.LabelPublic}

// DefaultIngress is the ingress of a workload that does not state one:
// internal in production (nothing is reachable from the internet unless
// said so), all in staging.
func DefaultIngress(env string) string {
	if env == string(capacity.EnvProduction) {
		return contract.IngressInternal
	}
	return contract.IngressAll
}

// app checks a workload's application settings (env, secrets, ingress,
// invokers, command, timeouts, probes, roles, labels) and fills their
// defaults.
func (d *decoder) app(s *Stack, p path, w *Workload) error {
	if err := d.env(p, w); err != nil {
		return err
	}
	if err := d.secretRefs(p, w); err != nil {
		return err
	}
	ip := p.field("ingress")
	if !d.has(ip) || w.Ingress == "" {
		w.Ingress = DefaultIngress(s.Environment)
	} else if _, ok := contract.IngressAPIValue(w.Ingress); !ok {
		return bad(ip, w.Ingress)
	}
	if err := d.invokers(s, p, w); err != nil {
		return err
	}
	if err := workersAgree(p, w); err != nil {
		return err
	}
	if tp := p.field("timeoutSeconds"); w.TimeoutSeconds != 0 && (w.TimeoutSeconds < capacity.RequestTimeoutMinSeconds || w.TimeoutSeconds > capacity.RequestTimeoutMaxSeconds) {
		return bad(tp, w.TimeoutSeconds)
	}
	if cp := p.field("cpuAllocation"); !d.has(cp) || w.CPUAllocation == "" {
		w.CPUAllocation = CPUAllocationRequest
	} else if w.CPUAllocation != CPUAllocationRequest && w.CPUAllocation != CPUAllocationAlways {
		return bad(cp, w.CPUAllocation)
	}
	if ep := p.field("executionEnvironment"); w.ExecutionEnvironment != "" && w.ExecutionEnvironment != ExecutionGen1 && w.ExecutionEnvironment != ExecutionGen2 {
		return bad(ep, w.ExecutionEnvironment)
	}
	if w.LivenessProbe != nil {
		if err := d.liveness(p.field("livenessProbe"), w.LivenessProbe); err != nil {
			return err
		}
	}
	if err := roles(p.field("serviceAccountRoles"), w.ServiceAccountRoles); err != nil {
		return err
	}
	return labels(p.field("labels"), w.Labels)
}

// envNameErr checks a variable name of env or secrets.
func envNameErr(kp path, name string) error {
	switch {
	case !envName.MatchString(name):
		return errf(kp, "must be an environment variable name (letters, digits, '_'; not starting with a digit)")
	case strings.HasPrefix(name, contract.ReservedEnvPrefix):
		return errf(kp, "%s* names belong to the database contract the program writes from headroom:workloads[].db; use another name", contract.ReservedEnvPrefix)
	case slices.Contains(capacity.ReservedRunEnv, name):
		return errf(kp, "is set by Cloud Run itself (reserved: %s; docs/gcp-limits.md#cloud-run-application-settings)", strings.Join(capacity.ReservedRunEnv, ", "))
	}
	return nil
}

// env checks plain variables. A credential-looking value is refused with
// what gave it away, never with the value.
func (d *decoder) env(p path, w *Workload) error {
	ep := p.field("env")
	for _, name := range sortedKeys(w.Env) {
		kp := ep.key(name)
		if err := envNameErr(kp, name); err != nil {
			return err
		}
		if kind, ok := contract.Credential(name, w.Env[name]); ok {
			return errf(kp, "looks like a credential (%s); its value is not shown: store it in Secret Manager and reference it under %s instead", kind, p.field("secrets").display)
		}
	}
	return nil
}

func (d *decoder) secretRefs(p path, w *Workload) error {
	sp := p.field("secrets")
	for _, name := range sortedKeys(w.Secrets) {
		kp := sp.key(name)
		if err := envNameErr(kp, name); err != nil {
			return err
		}
		if _, dup := w.Env[name]; dup {
			return errf(kp, "%s is also set under %s; a variable comes from one place", name, p.field("env").display)
		}
		if !d.has(kp) {
			return errf(kp, "must be an object {secret, version}, got null")
		}
		ref := w.Secrets[name]
		np := kp.field("secret")
		if err := d.required(np); err != nil {
			return err
		}
		if !secretID.MatchString(ref.Secret) {
			return bad(np, ref.Secret)
		}
		if vp := kp.field("version"); !d.has(vp) || ref.Version == "" {
			ref.Version = contract.SecretVersionLatest
		} else if !secretVersion.MatchString(ref.Version) {
			return bad(vp, ref.Version)
		}
		w.Secrets[name] = ref
	}
	return nil
}

func (d *decoder) invokers(s *Stack, p path, w *Workload) error {
	ip := p.field("invokers")
	for j, m := range w.Invokers {
		mp := ip.index(j)
		if !iamMember.MatchString(m) {
			return bad(mp, m)
		}
		if slices.Contains(w.Invokers[:j], m) {
			return errf(mp, "%s is listed twice", m)
		}
		if !contract.IsPublicMember(m) {
			continue
		}
		if w.Ingress == contract.IngressInternal {
			return errf(mp, "%s cannot invoke a service whose ingress is %s (set %s to %s or %s, or name who may call it)",
				m, contract.IngressInternal, p.field("ingress").display, contract.IngressAll, contract.IngressInternalAndCloudLBs)
		}
		if s.Environment == string(capacity.EnvProduction) && !w.Public {
			return errf(mp, "%s makes a production service public; state %s: true if it is meant to be", m, p.field("public").display)
		}
	}
	return nil
}

// workersAgree: the worker count the container states for itself (args,
// GUNICORN_CMD_ARGS, WEB_CONCURRENCY) must be the processes the connection
// budget counts.
func workersAgree(p path, w *Workload) error {
	n, src, found, err := contract.WorkerCount(w.Command, w.Args, w.Env)
	key := p.field("args")
	if src == contract.WorkersFromGunicornCmdArgs || src == contract.WorkersFromWebConcurrency {
		key = p.field("env").key(src)
	}
	if err != nil {
		return errf(key, "%v", err)
	}
	if found && n != w.Processes {
		return errf(key, "starts %d worker processes but %s is %d: the connection budget must count what will run (make them equal)",
			n, p.field("processes").display, w.Processes)
	}
	return nil
}

func (d *decoder) liveness(p path, lp *LivenessProbe) error {
	if err := d.required(p.field("path")); err != nil {
		return err
	}
	if !strings.HasPrefix(lp.Path, "/") {
		return bad(p.field("path"), lp.Path)
	}
	if !d.has(p.field("periodSeconds")) {
		lp.PeriodSeconds = capacity.StartupProbeDefaultPeriodSeconds
	}
	if !d.has(p.field("timeoutSeconds")) {
		lp.TimeoutSeconds = min(capacity.StartupProbeDefaultTimeoutSeconds, lp.PeriodSeconds)
	}
	if !d.has(p.field("failureThreshold")) {
		lp.FailureThreshold = capacity.StartupProbeDefaultFailureThreshold
	}
	switch {
	case lp.InitialDelaySeconds < 0 || lp.InitialDelaySeconds > capacity.LivenessProbeMaxInitialDelaySeconds:
		return bad(p.field("initialDelaySeconds"), lp.InitialDelaySeconds)
	case lp.PeriodSeconds < 1 || lp.PeriodSeconds > capacity.LivenessProbeMaxPeriodSeconds:
		return bad(p.field("periodSeconds"), lp.PeriodSeconds)
	case lp.TimeoutSeconds < 1 || lp.TimeoutSeconds > capacity.LivenessProbeMaxTimeoutSeconds || lp.TimeoutSeconds > lp.PeriodSeconds:
		return bad(p.field("timeoutSeconds"), lp.TimeoutSeconds)
	case lp.FailureThreshold < 1:
		return bad(p.field("failureThreshold"), lp.FailureThreshold)
	}
	return nil
}

func roles(p path, rs []string) error {
	for j, r := range rs {
		rp := p.index(j)
		if !iamRole.MatchString(r) {
			return bad(rp, r)
		}
		if slices.Contains(rs[:j], r) {
			return errf(rp, "%s is listed twice", r)
		}
		if r == contract.RoleSecretAccessor {
			return errf(rp, "%s on the whole project would let the workload read every secret; list the secrets under headroom:workloads[].secrets and the program grants it on each", r)
		}
	}
	return nil
}

func labels(p path, ls map[string]string) error {
	if len(ls) > capacity.LabelsMax-len(ProgramLabels) {
		return errf(p, "has %d labels; at most %d (Google Cloud allows %d, the program sets %d)", len(ls), capacity.LabelsMax-len(ProgramLabels), capacity.LabelsMax, len(ProgramLabels))
	}
	for _, k := range sortedKeys(ls) {
		kp := p.key(k)
		if !labelKey.MatchString(k) || strings.HasPrefix(k, "goog") {
			return errf(kp, "must be a label key (lowercase letters, digits, '_', '-'; starts with a letter; ≤ %d characters; not goog…)", capacity.LabelMaxLength)
		}
		if slices.Contains(ProgramLabels, k) {
			return errf(kp, "is set by the program; remove it (headroom-public comes from headroom:workloads[].public)")
		}
		if !labelVal.MatchString(ls[k]) {
			return bad(kp, ls[k])
		}
	}
	return nil
}

// SecretEnvVersion is a secret reference's version as Cloud Run takes it.
func (r SecretRef) SecretEnvVersion() string {
	if r.Version == "" {
		return contract.SecretVersionLatest
	}
	return r.Version
}

// RequestTimeout is the request timeout as the Cloud Run v2 API spells it ("300s").
func (w Workload) RequestTimeout() string {
	if w.TimeoutSeconds <= 0 {
		return ""
	}
	return strconv.Itoa(w.TimeoutSeconds) + "s"
}
