package config

import "slices"

// Probe is headroom:probe (opt-in): a Cloud Run job per region of one
// workload whose tasks each play one starting instance of it, behind the
// same VPC egress, with the same service account and IAM database user
// (docs/probe.md "On Cloud Run Jobs").
type Probe struct {
	// Enabled declares the job; default false.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Image is the headroom binary's container image (Dockerfile at the
	// repository root); required when enabled.
	Image string `yaml:"image" json:"image"`
	// Workload is the workload whose starting instances the tasks play;
	// default: the first workload.
	Workload string `yaml:"workload" json:"workload"`
	// TaskCount is the number of tasks (instances played) per region;
	// default: the workload's maxInstances (the full cold-start storm).
	TaskCount int `yaml:"taskCount" json:"taskCount"`
	// Parallelism is how many tasks run at once; default: TaskCount (all
	// at once, like a cold start).
	Parallelism int `yaml:"parallelism" json:"parallelism"`
}

// ProbeWorkload is the workload the probe job plays, with the probe's
// defaults applied (task count, parallelism); ok is false when the probe
// is disabled.
func (s Stack) ProbeWorkload() (w Workload, p Probe, ok bool) {
	p = s.Probe
	if !p.Enabled || len(s.Workloads) == 0 {
		return Workload{}, p, false
	}
	w = s.Workloads[0]
	for _, x := range s.Workloads {
		if x.Name == p.Workload {
			w = x
		}
	}
	if p.TaskCount == 0 {
		p.TaskCount = max(w.MaxInstances, 1)
	}
	if p.Parallelism == 0 {
		p.Parallelism = p.TaskCount
	}
	return w, p, true
}

func (d *decoder) probeJob(s *Stack) error {
	pp := root("probe")
	p := s.Probe
	if p.TaskCount < 0 {
		return bad(pp.field("taskCount"), p.TaskCount)
	}
	if p.Parallelism < 0 {
		return bad(pp.field("parallelism"), p.Parallelism)
	}
	if !p.Enabled {
		return nil
	}
	if p.Image == "" {
		return errf(pp.field("image"), "required when probe.enabled is true; expected the headroom container image (see the Dockerfile)")
	}
	if p.Workload != "" && !slices.ContainsFunc(s.Workloads, func(w Workload) bool { return w.Name == p.Workload }) {
		return errf(pp.field("workload"), "no workload named %q", clip(p.Workload))
	}
	if _, eff, _ := s.ProbeWorkload(); eff.Parallelism > eff.TaskCount {
		return errf(pp.field("parallelism"), "must be ≤ taskCount (%d), got %d", eff.TaskCount, eff.Parallelism)
	}
	return nil
}
