package probe

// Targets are the success criteria a storm is judged against (the stack's
// headroom:targets; defaults are the post-mortem's: > 90 % startup
// success, connection establishment < 30 s under concurrent load).
type Targets struct {
	StartupSuccessRate float64 `json:"startupSuccessRate"`
	ConnectP99Seconds  float64 `json:"connectP99Seconds"`
}

// DefaultTargets are the post-mortem's success criteria (incident #1278).
var DefaultTargets = Targets{StartupSuccessRate: 0.90, ConnectP99Seconds: 30}

// WithDefaults fills zero fields from DefaultTargets.
func (t Targets) WithDefaults() Targets {
	if t.StartupSuccessRate == 0 {
		t.StartupSuccessRate = DefaultTargets.StartupSuccessRate
	}
	if t.ConnectP99Seconds == 0 {
		t.ConnectP99Seconds = DefaultTargets.ConnectP99Seconds
	}
	return t
}

// Criterion is one pass/fail verdict.
type Criterion struct {
	// Name is "startupSuccessRate" or "connectP99Seconds" (the target keys).
	Name string `json:"name"`
	// Comparison is ">=" or "<=": Measured Comparison Target must hold.
	Comparison string  `json:"comparison"`
	Target     float64 `json:"target"`
	Measured   float64 `json:"measured"`
	Pass       bool    `json:"pass"`
	// Note explains a verdict that the numbers alone do not (no connection
	// at all, storm cut by its deadline).
	Note string `json:"note,omitempty"`
}

// Evaluate judges a storm: startup success rate ≥ target, and the p99 of
// per-connection establishment time (first attempt to success, retries
// included) ≤ target. A storm cut short by its deadline or by Ctrl-C
// passes nothing: its numbers are incomplete.
func Evaluate(r *Result, t Targets) []Criterion {
	t = t.WithDefaults()
	succ := Criterion{Name: "startupSuccessRate", Comparison: ">=", Target: t.StartupSuccessRate, Measured: r.SuccessRate}
	succ.Pass = r.SuccessRate >= t.StartupSuccessRate
	p99 := Criterion{Name: "connectP99Seconds", Comparison: "<=", Target: t.ConnectP99Seconds, Measured: r.ConnectLatency.P99}
	p99.Pass = r.ConnectLatency.P99 <= t.ConnectP99Seconds
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
