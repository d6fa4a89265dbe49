package contract

import (
	"fmt"
	"math"
	"strconv"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// Bound is one key of headroom:targets or headroom:assumptions (and of the
// pack config's capacity-model targets/assumptions, which carry the same
// keys): its name, default and the values it may take. Config validation,
// the pack config and the CLI's flags check a stated value with Check, so
// a value one of them accepts, all of them accept.
type Bound struct {
	// Key is the key under targets or assumptions ("connectP99Seconds").
	Key string
	// Min and Max bound the value; MinOpen and MaxOpen exclude them.
	Min, Max         float64
	MinOpen, MaxOpen bool
	// Integer: only whole numbers.
	Integer bool
	// Default is the model's default (capacity.Default*); NaN when the
	// default is derived (acceptRatePerSecond: from the tier's vCPUs).
	Default float64
	// Doc says what the key is, for schemas and docs.
	Doc string
}

// Check returns nil when v is allowed, else "must be a number in (0, 3600], got 5000"
// (the caller prefixes the key as its user writes it).
func (b Bound) Check(v float64) error {
	low := v >= b.Min
	if b.MinOpen {
		low = v > b.Min
	}
	high := v <= b.Max
	if b.MaxOpen {
		high = v < b.Max
	}
	if math.IsNaN(v) || !low || !high || (b.Integer && v != math.Trunc(v)) {
		return fmt.Errorf("must be %s, got %s", b.Want(), num(v))
	}
	return nil
}

// Want renders the allowed values: "a number in (0, 3600]".
func (b Bound) Want() string {
	lo := "["
	if b.MinOpen {
		lo = "("
	}
	kind := "a number"
	if b.Integer {
		kind = "a whole number"
	}
	hi := "]"
	if b.MaxOpen {
		hi = ")"
	}
	return fmt.Sprintf("%s in %s%s, %s%s", kind, lo, num(b.Min), num(b.Max), hi)
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// maxSeconds bounds every duration a stack or the pack config states: an
// hour is beyond any connection or scale-out time worth modelling.
const maxSeconds = 3600

// Targets: the post-mortem's success criteria.
var (
	// The success target passes strictly above (SuccessMeets), so 1 could
	// never be met: the bound excludes it.
	TargetStartupSuccessRate = Bound{Key: "startupSuccessRate", Min: 0, MinOpen: true, Max: 1, MaxOpen: true,
		Default: capacity.DefaultStartupSuccessRate, Doc: "Cold-start success to beat, 0–1 exclusive (passes strictly above)."}
	TargetConnectP99Seconds = Bound{Key: "connectP99Seconds", Min: 0, MinOpen: true, Max: maxSeconds,
		Default: capacity.DefaultConnectP99Seconds, Doc: "Maximum p99 connection establishment, seconds (passes strictly under)."}
	TargetConnectionUtilization = Bound{Key: "connectionUtilization", Min: 0, MinOpen: true, Max: 1,
		Default: capacity.DefaultConnectionUtilization, Doc: "Share of usable slots demand may use, 0–1."}
)

// Targets lists the target keys in the order stacks and docs state them.
func Targets() []Bound {
	return []Bound{TargetStartupSuccessRate, TargetConnectP99Seconds, TargetConnectionUtilization}
}

// The pass comparison of the two targets a storm is judged by, for the
// model (plan, pack) and the probe alike: success strictly above its target,
// connect p99 strictly under (capacity.SuccessMeets, capacity.ConnectMeets).
const (
	SuccessComparison = ">"
	ConnectComparison = "<"
)

// SuccessMeets reports whether a measured or predicted startup success rate
// passes its target.
func SuccessMeets(measured, target float64) bool { return capacity.SuccessMeets(measured, target) }

// ConnectMeets reports whether a measured or predicted connect p99 passes
// its target.
func ConnectMeets(measured, target float64) bool { return capacity.ConnectMeets(measured, target) }

// Assumptions: overrides of the capacity model's defaults. A zero where
// Min is 0 and the bound is closed means "none" (no ramp, no scale-out
// delay); elsewhere the key must be stated with a usable value or left out.
var (
	AssumeConnectorScaleOutSeconds = Bound{Key: "connectorScaleOutSeconds", Max: maxSeconds,
		Default: capacity.DefaultConnectorScaleOutSeconds, Doc: "Seconds to add one connector instance."}
	AssumeDirectEgressStartupSeconds = Bound{Key: "directEgressStartupSeconds", Max: maxSeconds,
		Default: capacity.DefaultDirectEgressStartupSeconds, Doc: "Direct VPC egress connect delay of a new instance, seconds."}
	AssumeAcceptRatePerSecond = Bound{Key: "acceptRatePerSecond", MinOpen: true, Max: 1e6,
		Default: math.NaN(), Doc: "New connections per second one database instance completes (default: acceptRatePerVCPU × vCPUs)."}
	AssumeAcceptRatePerVCPU = Bound{Key: "acceptRatePerVCPU", MinOpen: true, Max: 1e6,
		Default: capacity.DefaultAcceptRatePerVCPU, Doc: "New connections per second one database vCPU completes."}
	AssumeHandshakeSeconds = Bound{Key: "handshakeSeconds", MinOpen: true, Max: maxSeconds,
		Default: capacity.DefaultHandshakeSeconds, Doc: "Latency of one connection establishment, seconds."}
	AssumeRetryInitialSeconds = Bound{Key: "retryInitialSeconds", MinOpen: true, Max: maxSeconds,
		Default: capacity.DefaultRetryInitialSeconds, Doc: "First retry backoff, seconds."}
	AssumeRetryMaxSeconds = Bound{Key: "retryMaxSeconds", MinOpen: true, Max: maxSeconds,
		Default: capacity.DefaultRetryMaxSeconds, Doc: "Maximum retry backoff, seconds (≥ retryInitialSeconds)."}
	AssumeRetryMultiplier = Bound{Key: "retryMultiplier", Min: 1, Max: 100,
		Default: capacity.DefaultRetryMultiplier, Doc: "Backoff growth factor."}
	AssumeReservedConnections = Bound{Key: "reservedConnections", Max: 100000, Integer: true,
		Default: capacity.DefaultReservedConnections, Doc: "max_connections minus what applications can use."}
	AssumeAdminSlackConnections = Bound{Key: "adminSlackConnections", Max: 100000, Integer: true,
		Default: capacity.DefaultAdminSlackConnections, Doc: "Connections kept free for operators."}
	AssumeRampSeconds = Bound{Key: "rampSeconds", Max: 86400,
		Default: capacity.DefaultRampSeconds, Doc: "Spread of instance starts, seconds (0 = all at once)."}
	AssumeSeed = Bound{Key: "seed", Min: -(1 << 53), Max: 1 << 53, Integer: true,
		Default: capacity.DefaultSeed, Doc: "Simulation seed."}
	AssumeRevisionLingerSeconds = Bound{Key: "revisionLingerSeconds", MinOpen: true, Max: 86400,
		Default: capacity.DefaultRevisionLingerSeconds, Doc: "How long an old revision keeps its pools open after a rollout, seconds."}
	AssumeMaxInstanceOvershoot = Bound{Key: "maxInstanceOvershoot", Min: 1, Max: 100,
		Default: capacity.DefaultMaxInstanceOvershoot, Doc: "How far Cloud Run may briefly exceed max instances (factor)."}
)

// Assumptions lists the assumption keys.
func Assumptions() []Bound {
	return []Bound{AssumeConnectorScaleOutSeconds, AssumeDirectEgressStartupSeconds, AssumeAcceptRatePerSecond,
		AssumeHandshakeSeconds, AssumeRetryInitialSeconds, AssumeRetryMaxSeconds, AssumeRetryMultiplier,
		AssumeReservedConnections, AssumeAdminSlackConnections, AssumeRampSeconds, AssumeSeed,
		AssumeAcceptRatePerVCPU, AssumeRevisionLingerSeconds, AssumeMaxInstanceOvershoot}
}

// CheckRetry is the one rule across two assumption keys: the backoff cap
// is not below the first backoff (either 0 = the model's default).
func CheckRetry(initial, maxSecs float64) error {
	if initial == 0 {
		initial = capacity.DefaultRetryInitialSeconds
	}
	if maxSecs == 0 {
		maxSecs = capacity.DefaultRetryMaxSeconds
	}
	if maxSecs < initial {
		return fmt.Errorf("must be ≥ retryInitialSeconds (%g), got %g", initial, maxSecs)
	}
	return nil
}
