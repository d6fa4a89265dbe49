package probe

import (
	"math"
	"slices"
	"time"

	"github.com/headroom-dev/headroom/infra/capacity"
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

// Summarize computes Percentiles of a sample of durations. The percentiles
// are capacity.Percentile's (nearest rank), the simulator's own definition,
// so a measured p95 and a predicted p95 mean the same thing.
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
		P50:   round6(capacity.Percentile(xs, 0.50)),
		P95:   round6(capacity.Percentile(xs, 0.95)),
		P99:   round6(capacity.Percentile(xs, 0.99)),
		Max:   round6(xs[len(xs)-1]),
	}
}

// round6 keeps JSON readable: microsecond resolution is all a wall clock
// measurement of connection establishment can honestly claim.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
