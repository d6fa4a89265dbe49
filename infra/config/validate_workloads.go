package config

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/headroom-dev/headroom/infra/capacity"
)

func (d *decoder) workloads(s *Stack) error {
	wp := root("workloads")
	if err := d.required(wp); err != nil {
		return err
	}
	if len(s.Workloads) == 0 {
		return errf(wp, "must list at least one workload")
	}
	seen := map[string]int{}
	for i := range s.Workloads {
		w := &s.Workloads[i]
		p := wp.index(i)
		if !d.has(p) {
			return errf(p, "must be an object describing a workload, got null")
		}
		np := p.field("name")
		if err := d.required(np); err != nil {
			return err
		}
		if len(w.Name) > 63 || !rfc1035.MatchString(w.Name) {
			return bad(np, w.Name)
		}
		if j, dup := seen[w.Name]; dup {
			return errf(np, "%q is already the name of %s; workload names are unique", w.Name, root("workloads").index(j).display)
		}
		seen[w.Name] = i
		ip := p.field("image")
		if err := d.required(ip); err != nil {
			return err
		}
		if w.Image == "" || strings.ContainsAny(w.Image, " \t\r\n") {
			return bad(ip, w.Image)
		}
		rp := p.field("regions")
		if err := d.required(rp); err != nil {
			return err
		}
		if len(w.Regions) == 0 {
			return errf(rp, "must list at least one region")
		}
		for j, r := range w.Regions {
			ep := rp.index(j)
			if !KnownRegion(r) {
				return errf(ep, "unknown region %q; expected a Google Cloud region such as us-central1 (list in docs/config-reference.md)", clip(r))
			}
			if _, ok := s.Network.Regions[r]; !ok {
				return errf(ep, "region %s has no network region: add headroom:network.regions.%s (subnet and egress)", r, r)
			}
			if slices.Contains(w.Regions[:j], r) {
				return errf(ep, "region %s is listed twice", r)
			}
		}
		if err := d.required(p.field("maxInstances")); err != nil {
			return err
		}
		if err := capacity.ValidateMaxInstances(w.MinInstances, w.MaxInstances); err != nil {
			return ruleErr(p, err)
		}
		if !d.has(p.field("concurrency")) || w.Concurrency == 0 {
			w.Concurrency = capacity.ConcurrencyDefault
		}
		if err := capacity.ValidateConcurrency(w.Concurrency); err != nil {
			return ruleErr(p, err)
		}
		if p := p.field("cpu"); w.CPU != "" {
			v, ok := parseCPU(w.CPU)
			if !ok {
				return bad(p, w.CPU)
			}
			if err := capacity.ValidateCPU(v); err != nil {
				return errf(p, "%s, got %q (%s)", err.(*capacity.RuleError).Rule, w.CPU, err.(*capacity.RuleError).Source())
			}
		}
		if p := p.field("memory"); w.Memory != "" && !memoryLimit.MatchString(w.Memory) {
			return bad(p, w.Memory)
		}
		ep := p.field("egressMbpsPerInstance")
		if err := d.required(ep); err != nil {
			return err
		}
		if !(w.EgressMbpsPerInstance > 0) {
			return bad(ep, w.EgressMbpsPerInstance)
		}
		if pp := p.field("processes"); !d.has(pp) {
			w.Processes = 1
		} else if w.Processes < 1 {
			return bad(pp, w.Processes)
		}
		if err := d.workloadDB(s, p.field("db"), &w.DB); err != nil {
			return err
		}
		if err := d.probe(p.field("startupProbe"), &w.StartupProbe); err != nil {
			return err
		}
		style, err := capacity.ParseDeployStyle(w.Deploy.Style)
		if err != nil {
			return bad(p.field("deploy").field("style"), w.Deploy.Style)
		}
		w.Deploy.Style = string(style)
		if err := d.app(s, p, w); err != nil {
			return err
		}
	}
	return nil
}

// parseCPU reads a CPU limit ("1", "0.5", "1000m") in vCPUs.
func parseCPU(s string) (float64, bool) {
	if !cpuLimit.MatchString(s) {
		return 0, false
	}
	if m, ok := strings.CutSuffix(s, "m"); ok {
		n, err := strconv.ParseFloat(m, 64)
		return n / 1000, err == nil
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

func (d *decoder) workloadDB(s *Stack, p path, db *WorkloadDB) error {
	if err := d.required(p); err != nil {
		return err
	}
	tp := p.field("target")
	if !d.has(tp) {
		db.Target = PrimaryTarget
	}
	if db.Target != PrimaryTarget {
		if _, ok := s.Replica(db.Target); !ok {
			names := []string{}
			for _, r := range s.Database.Replicas {
				names = append(names, r.Name)
			}
			expected := `"primary"`
			if len(names) > 0 {
				expected += " or a replica: " + strings.Join(names, ", ")
			} else {
				expected += " (headroom:database.replicas is empty)"
			}
			return errf(tp, "names no replica: got %q, expected %s", clip(db.Target), expected)
		}
	}
	if dp := p.field("database"); !d.has(dp) {
		db.Database = defaultDatabaseName
	} else if db.Database == "" {
		return bad(dp, db.Database)
	}
	if err := d.required(p.field("poolSize")); err != nil {
		return err
	}
	if !d.has(p.field("startupConnections")) {
		db.StartupConnections = min(defaultStartupConnections, db.PoolSize+db.MaxOverflow)
	}
	if err := capacity.ValidatePool(db.PoolSize, db.MaxOverflow, db.StartupConnections); err != nil {
		return ruleErr(p, err)
	}
	if err := d.required(p.field("connectTimeoutSeconds")); err != nil {
		return err
	}
	if err := capacity.ValidateConnectTimeoutSeconds(db.ConnectTimeoutSeconds); err != nil {
		return ruleErr(p, err)
	}
	return d.extraPools(p.field("extraPools"), db.ExtraPools)
}

// extraPools checks the further pools a process opens besides the main one
// (the pool rule is capacity.ValidatePool's).
func (d *decoder) extraPools(p path, pools []Pool) error {
	names := map[string]int{"main": -1}
	for i := range pools {
		pl := &pools[i]
		ip := p.index(i)
		if !d.has(ip) {
			return errf(ip, "must be an object {name, poolSize, maxOverflow, startupConnections}, got null")
		}
		np := ip.field("name")
		if err := d.required(np); err != nil {
			return err
		}
		if _, dup := names[pl.Name]; dup || pl.Name == "" {
			return bad(np, pl.Name)
		}
		names[pl.Name] = i
		if err := d.required(ip.field("poolSize")); err != nil {
			return err
		}
		if !d.has(ip.field("startupConnections")) {
			pl.StartupConnections = min(defaultStartupConnections, max(pl.PoolSize, 0)+max(pl.MaxOverflow, 0))
		}
		if err := capacity.ValidatePool(pl.PoolSize, pl.MaxOverflow, pl.StartupConnections); err != nil {
			var re *capacity.RuleError
			if errors.As(err, &re) {
				return errf(ip.field(re.Field), "%s", re.Reason())
			}
			return errf(ip, "%v", err)
		}
	}
	return nil
}

// probe applies Cloud Run's startup-probe field defaults and checks the
// probe with the capacity catalog's rule (docs/gcp-limits.md#cloud-run).
func (d *decoder) probe(p path, pr *StartupProbe) error {
	if !d.has(p.field("periodSeconds")) {
		pr.PeriodSeconds = capacity.StartupProbeDefaultPeriodSeconds
	}
	if !d.has(p.field("timeoutSeconds")) {
		pr.TimeoutSeconds = min(capacity.StartupProbeDefaultTimeoutSeconds, pr.PeriodSeconds)
	}
	if !d.has(p.field("failureThreshold")) {
		pr.FailureThreshold = capacity.StartupProbeDefaultFailureThreshold
	}
	if err := capacity.ValidateStartupProbe(pr.Capacity()); err != nil {
		return ruleErr(p, err)
	}
	if hp := p.field("path"); pr.Path != "" && !strings.HasPrefix(pr.Path, "/") {
		return bad(hp, pr.Path)
	}
	return nil
}

// Capacity is the probe in the capacity model's terms.
func (p StartupProbe) Capacity() capacity.Probe {
	return capacity.Probe{
		InitialDelaySeconds: p.InitialDelaySeconds,
		PeriodSeconds:       p.PeriodSeconds,
		TimeoutSeconds:      p.TimeoutSeconds,
		FailureThreshold:    p.FailureThreshold,
	}
}
