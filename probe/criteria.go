package probe

import (
	"github.com/headroom-dev/headroom/infra/capacity"

	"github.com/headroom-dev/headroom/contract"
)

// Targets are the success criteria a storm is judged against: the two of
// the stack's headroom:targets a storm measures.
type Targets struct {
	StartupSuccessRate float64 `json:"startupSuccessRate"`
	ConnectP99Seconds  float64 `json:"connectP99Seconds"`
}

// WithDefaults fills unset fields from the capacity model's default targets
// (capacity.DefaultTargets, the post-mortem's criteria, docs/incident-1278.md), by the model's own
// rule: a success rate outside (0, 1] or a p99 ≤ 0 is unset.
func (t Targets) WithDefaults() Targets {
	d := capacity.Targets{StartupSuccessRate: t.StartupSuccessRate, ConnectP99Seconds: t.ConnectP99Seconds}.WithDefaults()
	return Targets{StartupSuccessRate: d.StartupSuccessRate, ConnectP99Seconds: d.ConnectP99Seconds}
}

// Criterion is one pass/fail verdict.
type Criterion struct {
	// Name is "startupSuccessRate" or "connectP99Seconds" (the target keys).
	Name string `json:"name"`
	// Comparison is ">" or "<": Measured Comparison Target must hold.
	Comparison string  `json:"comparison"`
	Target     float64 `json:"target"`
	Measured   float64 `json:"measured"`
	Pass       bool    `json:"pass"`
	// Note explains a verdict that the numbers alone do not (no connection
	// at all, storm cut by its deadline).
	Note string `json:"note,omitempty"`
}

// Evaluate judges a storm by the model's own comparison (contract.SuccessMeets,
// contract.ConnectMeets): startup success rate strictly above its target,
// and the p99 of per-connection establishment time (first attempt to
// success, retries included) strictly under its target. A storm cut short by its deadline or by Ctrl-C
// passes nothing: its numbers are incomplete.
func Evaluate(r *Result, t Targets) []Criterion {
	t = t.WithDefaults()
	succ := Criterion{Name: contract.TargetStartupSuccessRate.Key, Comparison: contract.SuccessComparison, Target: t.StartupSuccessRate, Measured: r.SuccessRate}
	succ.Pass = contract.SuccessMeets(r.SuccessRate, t.StartupSuccessRate)
	p99 := Criterion{Name: contract.TargetConnectP99Seconds.Key, Comparison: contract.ConnectComparison, Target: t.ConnectP99Seconds, Measured: r.ConnectLatency.P99}
	p99.Pass = contract.ConnectMeets(r.ConnectLatency.P99, t.ConnectP99Seconds)
	if r.ConnectLatency.Count == 0 {
		p99.Pass = false
		p99.Note = "no connection was established"
	}
	if r.Unfinished > 0 {
		note := "storm cut short by --deadline"
		if r.Interrupted {
			note = "storm interrupted"
		}
		for _, c := range []*Criterion{&succ, &p99} {
			c.Pass = false
			if c.Note == "" {
				c.Note = note
			}
		}
	}
	return []Criterion{succ, p99}
}

// Passed reports whether every criterion passed.
func Passed(cs []Criterion) bool {
	for _, c := range cs {
		if !c.Pass {
			return false
		}
	}
	return len(cs) > 0
}
