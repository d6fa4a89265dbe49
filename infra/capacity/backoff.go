package capacity

import "math"

// The definitions the simulator and the probe (probe/) share, so that a
// predicted figure and a measured one mean the same thing: the
// application's retry delay after a failed connection attempt, its jitter
// rule, and the percentile of a sample. The model-vs-PostgreSQL validation
// (docs/model-validation.md) depends on both sides using exactly these.

// RetryDelay is the wait before retry number retry (0-based) of an
// exponential backoff: initial × multiplier^retry, capped at max (max ≤ 0 =
// uncapped; an overflow to +Inf or NaN yields max). Units are the caller's:
// seconds in the simulator, nanoseconds in the probe. Google recommends
// exponential backoff on first connect but prescribes no numbers
// (docs/gcp-limits.md#pooling); the model's defaults are
// DefaultRetryInitialSeconds, DefaultRetryMultiplier and
// DefaultRetryMaxSeconds.
func RetryDelay(initial, multiplier, max float64, retry int) float64 {
	d := initial * math.Pow(multiplier, float64(retry))
	if max > 0 && (d > max || math.IsInf(d, 1) || math.IsNaN(d)) {
		return max
	}
	return d
}

// EqualJitter draws the actual wait from a delay with "equal jitter": half
// fixed, half uniform, i.e. delay × (½ + ½u) for u uniform in [0, 1). It
// keeps a crowd of starting instances from retrying in lockstep; the
// simulator draws u from a hash of the attempt's coordinates, the probe from
// a random source.
func EqualJitter(delay, u float64) float64 { return delay * (0.5 + 0.5*u) }

// Percentile is the nearest-rank percentile of an ascending sample: the
// smallest value with at least a share p (0–1) of the sample at or below it;
// 0 for an empty sample. p ≤ 0 or NaN gives the minimum, p ≥ 1 the maximum.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	switch {
	case n == 0:
		return 0
	case math.IsNaN(p) || p <= 0:
		return sorted[0]
	case p >= 1:
		return sorted[n-1]
	}
	// 0 < p < 1, so 0 < p·n < n (float rounding is monotone and keeps
	// p·n ≤ n): the rank ⌈p·n⌉ is in 1 … n.
	return sorted[int(math.Ceil(p*float64(n)))-1]
}
