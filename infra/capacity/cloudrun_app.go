package capacity

// Cloud Run limits of a service's application settings
// (docs/gcp-limits.md#cloud-run-application-settings).
const (
	// RequestTimeoutMaxSeconds: a service's request timeout is 1 s to
	// 60 minutes; unset means 300 s.
	RequestTimeoutMinSeconds     = 1
	RequestTimeoutMaxSeconds     = 3600 // see RequestTimeoutMinSeconds
	RequestTimeoutDefaultSeconds = 300  // see RequestTimeoutMinSeconds
	// Liveness probe fields: initialDelaySeconds 0–3600, periodSeconds
	// 1–3600, timeoutSeconds 1–3600 and at most periodSeconds,
	// failureThreshold ≥ 1; API defaults delay 0, period 10, timeout 1,
	// threshold 3 (the startup probe's defaults, StartupProbeDefault*).
	LivenessProbeMaxInitialDelaySeconds = 3600
	LivenessProbeMaxPeriodSeconds       = 3600 // see LivenessProbeMaxInitialDelaySeconds
	LivenessProbeMaxTimeoutSeconds      = 3600 // see LivenessProbeMaxInitialDelaySeconds
	// LabelsMax: at most 64 labels on a resource; keys 1–63 characters
	// starting with a lowercase letter, values up to 63 characters, both
	// lowercase letters, digits, '_' and '-'.
	LabelsMax      = 64
	LabelMaxLength = 63 // see LabelsMax
)

// ReservedRunEnv are the environment variables Cloud Run sets in every
// service container and refuses in a service's configuration.
var ReservedRunEnv = []string{"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION"}
