package capacity

import "math"

// Default assumptions. Each is documented with where it comes from; the
// ones Google publishes no number for are ASSUMPTIONS to be replaced by a
// stack's headroom:assumptions or by `headroom calibrate` measurements.
const (
	// DefaultConnectorScaleOutSeconds is the time a Serverless VPC Access
	// connector takes to add one instance. Google publishes no number
	// (docs/gcp-limits.md#assumptions); 30 s is the upper
	// bound of the 10–30 s observed in incident 1278, so the model is
	// pessimistic until calibrated.
	DefaultConnectorScaleOutSeconds = 30
	// DefaultDirectEgressStartupSeconds is the pessimistic warm-up of a new
	// Direct VPC egress instance before outbound connections work: Google
	// warns of "connection establishment delays of a minute or more on
	// instance startup" and teams measured 20–80 s
	// (docs/gcp-limits.md#direct-vpc-egress). 60 s is the documented minute,
	// as pessimistic as the connector's 30 s scale-out, until calibrated. An
	// app's connect deadline must outlast it.
	DefaultDirectEgressStartupSeconds = 60
	// DirectEgressWarnSeconds is Google's "a minute or more"
	// (docs/gcp-limits.md#direct-vpc-egress): the timeout budget warns when
	// a stack's own warm-up assumption is below it.
	DirectEgressWarnSeconds = 60
	// DefaultAcceptRatePerVCPU is how many new connections per second one
	// vCPU of a Cloud SQL for PostgreSQL instance completes. ASSUMPTION (no
	// Google figure, docs/gcp-limits.md#assumptions): PostgreSQL forks one
	// backend per connection and Cloud SQL adds TLS and SCRAM
	// authentication, a few milliseconds of CPU each, i.e. a few hundred per
	// second per vCPU at best; 50/s per vCPU is deliberately conservative
	// (the 1-vCPU tier of the incident gets 50/s, a 96-vCPU one 4,800/s).
	// Shared-core tiers count as one vCPU. `headroom calibrate` measures the
	// real rate (acceptRatePerSecond), which then replaces it.
	DefaultAcceptRatePerVCPU = 50
	// DefaultRevisionLingerSeconds: after traffic moves to a new revision,
	// Cloud Run keeps the old revision's instances for minutes; public
	// reports say up to 10 (docs/gcp-limits.md#cloud-run-rollout). 600 s.
	DefaultRevisionLingerSeconds = 600
	// DefaultMaxInstanceOvershoot: Google says max instances "can be exceeded
	// for a brief period", typically by less than 2×
	// (docs/gcp-limits.md#cloud-run-rollout). The overshoot scenario is
	// judged at 2×, advisory only.
	DefaultMaxInstanceOvershoot = 2.0
	// DefaultHandshakeSeconds is one uncontended connection establishment
	// (TCP + TLS + SCRAM, ≈4 round trips in-region plus the backend fork).
	// ASSUMPTION: 0.1 s, pessimistic against the tens of milliseconds
	// typical in one region; calibrate.
	DefaultHandshakeSeconds = 0.1
	// DefaultRetryInitialSeconds, DefaultRetryMultiplier and
	// DefaultRetryMaxSeconds are a typical application exponential backoff
	// (0.5 s doubling up to 8 s, with jitter); Google recommends exponential
	// backoff on first connect but prescribes no numbers
	// (docs/gcp-limits.md#pooling).
	DefaultRetryInitialSeconds = 0.5
	DefaultRetryMultiplier     = 2 // see DefaultRetryInitialSeconds
	DefaultRetryMaxSeconds     = 8 // see DefaultRetryInitialSeconds
	// DefaultAdminSlackConnections are kept free for migrations and
	// operators (10 connections). Policy choice, not a GCP limit.
	DefaultAdminSlackConnections = 10
	// DefaultRampSeconds is 0: every instance starts at once, the worst case
	// (rollout, regional failover, scale from zero).
	DefaultRampSeconds = 0
	// DefaultSeed fixes the simulation's jitter so every run of every
	// consumer reproduces the same numbers (1278: the incident).
	DefaultSeed = 1278
)

// Default targets: the post-mortem's success criteria
// (docs/incident-1278.md#success-criteria).
const (
	// DefaultStartupSuccessRate: "Staging environment startup success rate >90%".
	DefaultStartupSuccessRate = 0.90
	// DefaultConnectP99Seconds: "Cloud SQL connection establishment <30s
	// under concurrent load".
	DefaultConnectP99Seconds = 30
	// DefaultConnectionUtilization: plan for at most 80 % of usable slots
	// (policy choice leaving room for bursts and failover).
	DefaultConnectionUtilization = 0.80
)

// DefaultAssumptions returns the documented default assumptions (see the
// Default* constants for each value's source).
func DefaultAssumptions() Assumptions {
	return Assumptions{
		ConnectorScaleOutSeconds:   DefaultConnectorScaleOutSeconds,
		DirectEgressStartupSeconds: DefaultDirectEgressStartupSeconds,
		AcceptRatePerVCPU:          DefaultAcceptRatePerVCPU,
		RevisionLingerSeconds:      DefaultRevisionLingerSeconds,
		MaxInstanceOvershoot:       DefaultMaxInstanceOvershoot,
		HandshakeSeconds:           DefaultHandshakeSeconds,
		RetryInitialSeconds:        DefaultRetryInitialSeconds,
		RetryMaxSeconds:            DefaultRetryMaxSeconds,
		RetryMultiplier:            DefaultRetryMultiplier,
		ReservedConnections:        DefaultReservedConnections,
		AdminSlackConnections:      DefaultAdminSlackConnections,
		RampSeconds:                DefaultRampSeconds,
		Seed:                       DefaultSeed,
	}
}

// DefaultTargets returns the documented default targets (0.90 / 30 s / 0.80,
// the post-mortem's success criteria).
func DefaultTargets() Targets {
	return Targets{
		StartupSuccessRate:    DefaultStartupSuccessRate,
		ConnectP99Seconds:     DefaultConnectP99Seconds,
		ConnectionUtilization: DefaultConnectionUtilization,
	}
}

// WithDefaults fills zero (or negative, i.e. meaningless) fields from
// DefaultAssumptions. A multiplier below 1 would shrink the backoff and
// is replaced too.
func (a Assumptions) WithDefaults() Assumptions {
	d := DefaultAssumptions()
	// NaN and ±Inf carry no meaning for any assumption: treat them as unset.
	for _, f := range []*float64{&a.ConnectorScaleOutSeconds, &a.DirectEgressStartupSeconds, &a.AcceptRatePerSecond,
		&a.AcceptRatePerVCPU, &a.RevisionLingerSeconds, &a.MaxInstanceOvershoot, &a.HandshakeSeconds, &a.RetryInitialSeconds, &a.RetryMaxSeconds, &a.RetryMultiplier, &a.RampSeconds} {
		if math.IsNaN(*f) || math.IsInf(*f, 0) {
			*f = 0
		}
	}
	if a.ConnectorScaleOutSeconds <= 0 {
		a.ConnectorScaleOutSeconds = d.ConnectorScaleOutSeconds
	}
	if a.DirectEgressStartupSeconds <= 0 {
		a.DirectEgressStartupSeconds = d.DirectEgressStartupSeconds
	}
	a.AcceptRatePerSecond = max(a.AcceptRatePerSecond, 0) // 0 = unset: derived from the tier's vCPUs
	if a.AcceptRatePerVCPU <= 0 {
		a.AcceptRatePerVCPU = d.AcceptRatePerVCPU
	}
	if a.RevisionLingerSeconds <= 0 {
		a.RevisionLingerSeconds = d.RevisionLingerSeconds
	}
	if a.MaxInstanceOvershoot < 1 {
		a.MaxInstanceOvershoot = d.MaxInstanceOvershoot
	}
	if a.HandshakeSeconds <= 0 {
		a.HandshakeSeconds = d.HandshakeSeconds
	}
	if a.RetryInitialSeconds <= 0 {
		a.RetryInitialSeconds = d.RetryInitialSeconds
	}
	if a.RetryMaxSeconds <= 0 {
		a.RetryMaxSeconds = d.RetryMaxSeconds
	}
	a.RetryMaxSeconds = max(a.RetryMaxSeconds, a.RetryInitialSeconds)
	if a.RetryMultiplier < 1 {
		a.RetryMultiplier = d.RetryMultiplier
	}
	if a.ReservedConnections <= 0 {
		a.ReservedConnections = d.ReservedConnections
	}
	if a.AdminSlackConnections <= 0 {
		a.AdminSlackConnections = d.AdminSlackConnections
	}
	if a.RampSeconds < 0 {
		a.RampSeconds = d.RampSeconds
	}
	if a.Seed == 0 {
		a.Seed = d.Seed
	}
	return a
}

// WithDefaults fills zero (or out-of-range) fields from DefaultTargets.
func (t Targets) WithDefaults() Targets {
	d := DefaultTargets()
	for _, f := range []*float64{&t.StartupSuccessRate, &t.ConnectP99Seconds, &t.ConnectionUtilization} {
		if math.IsNaN(*f) || math.IsInf(*f, 0) {
			*f = 0
		}
	}
	if t.StartupSuccessRate <= 0 || t.StartupSuccessRate > 1 {
		t.StartupSuccessRate = d.StartupSuccessRate
	}
	if t.ConnectP99Seconds <= 0 {
		t.ConnectP99Seconds = d.ConnectP99Seconds
	}
	if t.ConnectionUtilization <= 0 || t.ConnectionUtilization > 1 {
		t.ConnectionUtilization = d.ConnectionUtilization
	}
	return t
}

// SuccessMeets is the one pass comparison of a startup success rate against
// its target, for the model and the probe alike: strictly above, as the
// post-mortem's criterion says (">90%"); a rate equal to the target fails.
func SuccessMeets(measured, target float64) bool { return measured > target }

// ConnectMeets is the one pass comparison of a connect p99 against its
// target: strictly under ("<30s"); a p99 equal to the target fails.
func ConnectMeets(measured, target float64) bool { return measured < target }
