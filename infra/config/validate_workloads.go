package config

import (
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
			return errf(np, "%q is already the name of headroom:workloads[%d]; workload names are unique", w.Name, j)
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
		minP, maxP := p.field("minInstances"), p.field("maxInstances")
		if w.MinInstances < 0 {
			return bad(minP, w.MinInstances)
		}
		if err := d.required(maxP); err != nil {
			return err
		}
		if w.MaxInstances < 1 {
			return bad(maxP, w.MaxInstances)
		}
		if w.MinInstances > w.MaxInstances {
			return errf(minP, "must be ≤ maxInstances (%d), got %d", w.MaxInstances, w.MinInstances)
		}
		if p := p.field("concurrency"); !d.has(p) {
			w.Concurrency = runConcurrencyDefault
		} else if w.Concurrency < 1 || w.Concurrency > runConcurrencyMax {
			return bad(p, w.Concurrency)
		}
		if p := p.field("cpu"); w.CPU != "" {
			if !validCPU(w.CPU) {
				return bad(p, w.CPU)
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
	}
	return nil
}

func validCPU(s string) bool {
	if !cpuLimit.MatchString(s) {
		return false
	}
	var v float64
	if m, ok := strings.CutSuffix(s, "m"); ok {
		n, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return false
		}
		v = n / 1000
	} else {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false
		}
		v = n
	}
	return v > 0 && v <= runCPUMax
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
	pp := p.field("poolSize")
	if err := d.required(pp); err != nil {
		return err
	}
	if db.PoolSize < 1 {
		return bad(pp, db.PoolSize)
	}
	if op := p.field("maxOverflow"); db.MaxOverflow < 0 {
		return bad(op, db.MaxOverflow)
	}
	sp := p.field("startupConnections")
	if !d.has(sp) {
		db.StartupConnections = min(defaultStartupConnections, db.PoolSize+db.MaxOverflow)
	}
	if db.StartupConnections < 0 {
		return bad(sp, db.StartupConnections)
	}
	if db.StartupConnections > db.PoolSize+db.MaxOverflow {
		return errf(sp, "must be ≤ poolSize + maxOverflow (%d), got %d", db.PoolSize+db.MaxOverflow, db.StartupConnections)
	}
	cp := p.field("connectTimeoutSeconds")
	if err := d.required(cp); err != nil {
		return err
	}
	if !(db.ConnectTimeoutSeconds > 0) {
		return bad(cp, db.ConnectTimeoutSeconds)
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
		if err := capacity.ValidatePool(pl.capacity()); err != nil {
			field, _, _ := strings.Cut(err.Error(), " ")
			return errf(ip.field(field), "%v", err)
		}
	}
	return nil
}

// probe applies the Cloud Run startup-probe defaults and limits
// (gcp-capacity.md §5).
func (d *decoder) probe(p path, pr *StartupProbe) error {
	if ip := p.field("initialDelaySeconds"); pr.InitialDelaySeconds < 0 || pr.InitialDelaySeconds > probeInitialDelayMax {
		return bad(ip, pr.InitialDelaySeconds)
	}
	pp := p.field("periodSeconds")
	if !d.has(pp) {
		pr.PeriodSeconds = probePeriodDefault
	} else if pr.PeriodSeconds < 1 || pr.PeriodSeconds > probePeriodMax {
		return bad(pp, pr.PeriodSeconds)
	}
	tp := p.field("timeoutSeconds")
	if !d.has(tp) {
		pr.TimeoutSeconds = min(probeTimeoutDefault, pr.PeriodSeconds)
	} else if pr.TimeoutSeconds < 1 || pr.TimeoutSeconds > probeTimeoutMax {
		return bad(tp, pr.TimeoutSeconds)
	}
	// timeout < period ([tf-doc], §5); a 1 s period cannot satisfy it with
	// the 1 s minimum timeout, so it is exempt rather than unusable.
	if pr.TimeoutSeconds >= pr.PeriodSeconds && pr.PeriodSeconds > 1 {
		return errf(tp, "must be < periodSeconds (%d), got %d (gcp-capacity.md §5)", pr.PeriodSeconds, pr.TimeoutSeconds)
	}
	fp := p.field("failureThreshold")
	if !d.has(fp) {
		pr.FailureThreshold = probeFailureDefault
	} else if pr.FailureThreshold < 1 {
		return bad(fp, pr.FailureThreshold)
	}
	if w := pr.FailureThreshold * pr.PeriodSeconds; w > probeWindowMaxSeconds {
		return errf(fp, "failureThreshold × periodSeconds = %d × %d = %d s exceeds Cloud Run's %d s startup-probe window (gcp-capacity.md §5)",
			pr.FailureThreshold, pr.PeriodSeconds, w, probeWindowMaxSeconds)
	}
	if hp := p.field("path"); pr.Path != "" && !strings.HasPrefix(pr.Path, "/") {
		return bad(hp, pr.Path)
	}
	return nil
}
