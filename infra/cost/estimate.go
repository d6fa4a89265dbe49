package cost

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
)

// Line kinds.
const (
	KindCloudSQL  = "cloud-sql"
	KindConnector = "connector"
	KindCloudRun  = "cloud-run-min-instances"
)

// Cost is a stack's monthly cost estimate.
type Cost struct {
	// Region, Currency, PricesRead and Label describe the price table.
	Region     string
	Currency   string
	PricesRead string
	Label      string
	// MonthlyUSD is the sum of the priced lines (connectors at their
	// minimum instances); MaxMonthlyUSD has connectors at their maximum.
	MonthlyUSD    float64
	MaxMonthlyUSD float64
	Lines         []Line
	// Unpriced names what has no price in the table (left out of the sums).
	Unpriced []string
}

// Line is one priced resource.
type Line struct {
	Kind   string
	Name   string
	Region string
	// Detail says what was priced (tier, HA, disk, instances …).
	Detail     string
	MonthlyUSD float64
	// MaxMonthlyUSD differs from MonthlyUSD for connectors (they scale out
	// to max instances and never scale in).
	MaxMonthlyUSD float64
	Priced        bool
}

// Estimate prices a stack's configuration with the embedded price table.
// A price table defect (tests catch it) leaves every line unpriced.
func Estimate(st config.Stack) Cost {
	t, err := Prices()
	if err != nil {
		return Cost{Label: err.Error(), Unpriced: []string{"every line: " + err.Error()}}
	}
	return EstimateWith(t, st)
}

// EstimateWith prices a stack's configuration with table t.
func EstimateWith(t Table, st config.Stack) Cost {
	c := Cost{Region: t.Region, Currency: t.Currency, PricesRead: t.Read, Label: t.Label}
	h := t.HoursPerMonth
	disk := float64(st.Database.DiskSizeGb)
	if disk <= 0 {
		disk, _ = t.Lookup(keyDefaultDisk)
	}
	edition := capacity.EffectiveEdition(st.Database.Edition, st.Database.Version)
	c.add(sqlLine(t, h, st.Database.Name, st.Database.Region, st.Database.Tier, edition, st.Database.Availability, disk))
	for _, r := range st.Database.Replicas {
		tier := r.Tier
		if tier == "" {
			tier = st.Database.Tier
		}
		c.add(sqlLine(t, h, r.Name, r.Region, tier, edition, r.Availability, disk))
	}
	for _, region := range st.SortedRegions() {
		rg := st.Network.Regions[region]
		if rg.Egress != "connector" || rg.Connector == nil {
			continue
		}
		c.add(connectorLine(t, h, region, *rg.Connector))
	}
	for _, w := range st.Workloads {
		if w.MinInstances <= 0 {
			continue
		}
		c.add(runLine(t, h, w))
	}
	c.MonthlyUSD = round2(c.MonthlyUSD)
	c.MaxMonthlyUSD = round2(c.MaxMonthlyUSD)
	sort.Strings(c.Unpriced)
	return c
}

func (c *Cost) add(l Line) {
	c.Lines = append(c.Lines, l)
	if !l.Priced {
		c.Unpriced = append(c.Unpriced, fmt.Sprintf("%s %s (%s)", l.Kind, l.Name, l.Detail))
		return
	}
	c.MonthlyUSD += l.MonthlyUSD
	c.MaxMonthlyUSD += l.MaxMonthlyUSD
}

// sqlLine prices one Cloud SQL instance: vCPU and memory per hour by edition
// (or the shared-core hourly price), SSD storage per GB-month, both doubled
// for HA.
func sqlLine(t Table, h float64, name, region, tier, edition, availability string, diskGB float64) Line {
	l := Line{Kind: KindCloudSQL, Name: name, Region: region}
	ha := strings.EqualFold(availability, capacity.AvailabilityRegional)
	mult := 1.0
	if ha {
		m, ok := t.Lookup(keyHA)
		if !ok {
			l.Detail = tier + " HA (no HA multiplier)"
			return l
		}
		mult = m
	}
	haWord := "zonal"
	if ha {
		haWord = "HA"
	}
	pt, err := capacity.ParseTier(tier)
	if err != nil {
		l.Detail = fmt.Sprintf("%s: %v", tier, err)
		return l
	}
	l.Detail = fmt.Sprintf("%s %s %s, %g GB SSD", tier, edition, haWord, diskGB)
	var compute float64
	if pt.SharedCore {
		p, ok := t.Lookup(keySharedCore(pt.Name))
		if !ok {
			return l
		}
		compute = p * h
	} else {
		pv, ok1 := t.Lookup(keyVCPU(pt.Edition, pt.Series))
		pm, ok2 := t.Lookup(keyMemory(pt.Edition, pt.Series))
		if !ok1 || !ok2 {
			return l
		}
		compute = (float64(pt.VCPUs)*pv + pt.MemoryGB*pm) * h
	}
	ssd, ok := t.Lookup(keySSD)
	if !ok {
		return l
	}
	l.MonthlyUSD = round2((compute + diskGB*ssd) * mult)
	l.MaxMonthlyUSD = l.MonthlyUSD
	l.Priced = true
	return l
}

// connectorLine prices a connector's instances (billed as Compute Engine
// VMs of its machine type): at minInstances, and at maxInstances as the
// ceiling (connectors never scale in).
func connectorLine(t Table, h float64, region string, cn config.Connector) Line {
	machine := cn.MachineType
	if machine == "" {
		machine = capacity.ConnectorDefaultMachineType
	}
	minI, maxI := cn.MinInstances, cn.MaxInstances
	if minI == 0 {
		minI = capacity.ConnectorDefaultMinInstances
	}
	if maxI == 0 {
		maxI = capacity.ConnectorDefaultMaxInstances
	}
	l := Line{Kind: KindConnector, Name: cn.Name, Region: region,
		Detail: fmt.Sprintf("%s × %d (up to %d)", machine, minI, maxI)}
	p, ok := t.Lookup(keyConnector(machine))
	if !ok {
		return l
	}
	l.MonthlyUSD = round2(p * h * float64(minI))
	l.MaxMonthlyUSD = round2(p * h * float64(maxI))
	l.Priced = true
	return l
}

// runLine prices a workload's minimum instances in each of its regions:
// instances × (vCPU × vCPU-second + GiB × GiB-second) × seconds per month,
// at the idle rates (request-based billing) or the instance rates (CPU
// always allocated).
func runLine(t Table, h float64, w config.Workload) Line {
	n := w.MinInstances * len(w.Regions)
	l := Line{Kind: KindCloudRun, Name: w.Name, Region: strings.Join(w.Regions, ",")}
	vcpu, ok1 := t.Lookup(keyRunVCPU)
	gib, ok2 := t.Lookup(keyRunMemoryGiB)
	if w.CPU != "" {
		v, err := ParseCPU(w.CPU)
		vcpu, ok1 = v, err == nil
	}
	if w.Memory != "" {
		v, err := ParseMemoryGiB(w.Memory)
		gib, ok2 = v, err == nil
	}
	// Request-based billing charges an idle min instance at the idle
	// rates; instance-based billing (CPU always allocated) charges its
	// whole lifetime at the instance rates (docs/gcp-limits.md#cloud-run-application-settings).
	state, kv, km := "idle", keyRunIdleVCPU, keyRunIdleGiB
	if w.CPUAllocation == config.CPUAllocationAlways {
		state, kv, km = "CPU always allocated", keyRunInstanceVCPU, keyRunInstanceGiB
	}
	l.Detail = fmt.Sprintf("%d min instance(s) × %g vCPU, %g GiB %s", n, vcpu, gib, state)
	pv, ok3 := t.Lookup(kv)
	pm, ok4 := t.Lookup(km)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return l
	}
	l.MonthlyUSD = round2(float64(n) * (vcpu*pv + gib*pm) * h * 3600)
	l.MaxMonthlyUSD = l.MonthlyUSD
	l.Priced = true
	return l
}

// ParseCPU parses a Cloud Run CPU limit: "1", "2", "0.5", "1000m".
func ParseCPU(s string) (float64, error) {
	num, milli := strings.CutSuffix(s, "m")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 || strings.ContainsAny(num, "eExXpP_+-") {
		return 0, fmt.Errorf("cpu %q: want a positive number of vCPUs such as 1, 2 or 1000m", s)
	}
	if milli {
		v /= 1000
	}
	return v, nil
}

// ParseMemoryGiB parses a Cloud Run memory limit (<n>Mi, <n>Gi, <n>M, <n>G)
// into GiB.
func ParseMemoryGiB(s string) (float64, error) {
	units := []struct {
		suffix string
		gib    float64
	}{{"Mi", 1.0 / 1024}, {"Gi", 1}, {"M", 1e6 / (1 << 30)}, {"G", 1e9 / (1 << 30)}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(num, 10, 32)
		if err != nil || n == 0 {
			break
		}
		return float64(n) * u.gib, nil
	}
	return 0, fmt.Errorf("memory %q: want <n>Mi, <n>Gi, <n>M or <n>G with n ≥ 1", s)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
