package probe

import (
	"math"
	"slices"
	"time"
)

// Percentiles summarises a sample of durations, in seconds.
type Percentiles struct {
	Count int     `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Percentile returns the p-th percentile (0–100) of an ascending sample by
// the nearest-rank method (the smallest value with at least p % of the
// sample at or below it), 0 for an empty sample. It is the definition the
// capacity model's simulator uses, so a measured p95 and a predicted p95
// mean the same thing. p outside [0,100] is clamped.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if math.IsNaN(p) || p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	i := int(math.Ceil(p/100*float64(n))) - 1
	return sorted[min(max(i, 0), n-1)]
}

// Summarize computes Percentiles of a sample of durations.
func Summarize(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	xs := make([]float64, len(ds))
	sum := 0.0
	for i, d := range ds {
		xs[i] = d.Seconds()
		sum += xs[i]
	}
	slices.Sort(xs)
	return Percentiles{
		Count: len(xs),
		Min:   round6(xs[0]),
		Mean:  round6(sum / float64(len(xs))),
		P50:   round6(Percentile(xs, 50)),
		P95:   round6(Percentile(xs, 95)),
		P99:   round6(Percentile(xs, 99)),
		Max:   round6(xs[len(xs)-1]),
	}
}

// round6 keeps JSON readable: microsecond resolution is all a wall clock
// measurement of connection establishment can honestly claim.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
