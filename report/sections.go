package report

import (
	"fmt"
	"strings"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// The sections of a report are computed once here, as rows of typed cells;
// the text and Markdown renderers only decorate the cells (and choose their
// own header labels), so both formats show the same values.

// spanKind says how a renderer decorates a span of a cell.
type spanKind int

const (
	// kindPlain is text every renderer prints as is.
	kindPlain spanKind = iota
	// kindName is a name (a resource, a workload, a type): Markdown puts it
	// in a code span.
	kindName
	// kindStrong is the figure a row is about: Markdown puts it in bold.
	kindStrong
	// kindOp joins two values (a range, a sum, a ratio): text prints it tight
	// ("1–3"), Markdown spaces it ("1 – 3").
	kindOp
	// kindOptional may be empty: text prints nothing, Markdown a dash.
	kindOptional
	// kindVerdict is a severity ("ok", "warn", "fail", …): text prints the
	// word, Markdown the word after an icon.
	kindVerdict
)

// span is a piece of a cell's text.
type span struct {
	Text string
	Kind spanKind
}

// tableCell is one table cell: its spans, printed one after another.
type tableCell []span

// tableRow is one table row. Severity, when set, is how text colors the last
// cell; Markdown shows severities through kindVerdict cells only.
type tableRow struct {
	Cells    []tableCell
	Severity string
}

func plain(s string) tableCell   { return tableCell{{s, kindPlain}} }
func ident(s string) tableCell   { return tableCell{{s, kindName}} }
func num(v any) tableCell        { return plain(fmt.Sprint(v)) }
func verdict(s string) tableCell { return tableCell{{s, kindVerdict}} }

// joined is a op b, e.g. a range "a–b" or a sum "a+b".
func joined(a, op, b string) tableCell {
	return tableCell{{a, kindPlain}, {op, kindOp}, {b, kindPlain}}
}

// renderCell prints a cell's spans, each through render.
func renderCell(c tableCell, render func(span) string) string {
	var b strings.Builder
	for _, s := range c {
		b.WriteString(render(s))
	}
	return b.String()
}

// successTarget and connectTarget annotate the simulated figures with the
// stack's targets, when known.
func successTarget(tg *Targets) string {
	if tg == nil {
		return ""
	}
	return " (target > " + pct(tg.StartupSuccessRate) + ")"
}

func connectTarget(tg *Targets) string {
	if tg == nil {
		return ""
	}
	return " (target < " + secs(tg.ConnectP99Seconds) + ")"
}

func typeCountRows(res *Resources) []tableRow {
	rows := []tableRow{}
	for _, c := range res.ByType {
		rows = append(rows, tableRow{Cells: []tableCell{ident(c.Type), num(c.Count)}})
	}
	return rows
}

func databaseSizingRows(res *Resources) []tableRow {
	rows := []tableRow{}
	for _, d := range res.Databases {
		mc := "tier default"
		if d.MaxConnections > 0 {
			mc = fmt.Sprint(d.MaxConnections)
		}
		role := plain("primary")
		if d.ReplicaOf != "" {
			role = tableCell{{"replica of ", kindPlain}, {d.ReplicaOf, kindName}}
		}
		rows = append(rows, tableRow{Cells: []tableCell{ident(d.Name), plain(d.Region), ident(d.Tier), plain(d.Edition),
			plain(d.Availability), plain(mc), role}})
	}
	return rows
}

func egressSizingRows(res *Resources) []tableRow {
	rows := []tableRow{}
	for _, e := range res.Egress {
		rows = append(rows, tableRow{Cells: []tableCell{plain(e.Region), plain(e.Kind), ident(e.Name), plain(egressSize(e))}})
	}
	return rows
}

func egressSize(e EgressSizing) string {
	switch e.Kind {
	case "connector":
		s := fmt.Sprintf("%s × %d–%d", e.MachineType, e.MinInstances, e.MaxInstances)
		if e.IPCIDRRange != "" {
			s += " " + e.IPCIDRRange
		} else if e.SubnetCIDR != "" {
			s += " subnet " + e.SubnetCIDR
		}
		return s
	case "direct":
		return "subnet " + e.SubnetCIDR
	}
	return "-"
}

func serviceSizingRows(res *Resources) []tableRow {
	rows := []tableRow{}
	for _, s := range res.Services {
		rows = append(rows, tableRow{Cells: []tableCell{ident(s.Name), plain(s.Region),
			joined(fmt.Sprint(s.MinInstances), "–", fmt.Sprint(s.MaxInstances)), num(s.Concurrency),
			joined(fmt.Sprint(s.PoolSize), "+", fmt.Sprint(s.MaxOverflow)), num(s.StartupConnections),
			plain(secs(s.ConnectTimeoutSeconds)), joined(s.Egress, "/", s.Method), ident(s.Database)}})
	}
	return rows
}

func databaseBudgetRows(c *Capacity) []tableRow {
	rows := []tableRow{}
	for _, d := range c.Databases {
		mc := fmt.Sprint(d.MaxConnections)
		if !d.MaxConnectionsExplicit {
			mc += " (tier default)"
		}
		rows = append(rows, tableRow{Cells: []tableCell{ident(d.Database), plain(d.Region), plain(mc), num(d.Reserved), num(d.Usable),
			num(d.Allowed), num(d.Demand), plain(pct(d.Utilization)), verdict(d.Severity)}, Severity: d.Severity})
	}
	return rows
}

// demandTerms is what a database's demand adds up to: each contributor's
// instances × connections per instance, plus the admin slack.
func demandTerms(d DatabaseBudget) tableCell {
	c := tableCell{}
	for _, k := range d.Contributors {
		c = append(c, span{k.Name(), kindName}, span{" ", kindPlain}, span{fmt.Sprint(k.MaxInstances), kindPlain},
			span{"×", kindOp}, span{fmt.Sprint(k.PerInstance), kindPlain}, span{"=", kindOp}, span{fmt.Sprint(k.Connections), kindPlain},
			span{" + ", kindPlain})
	}
	return append(c, span{fmt.Sprintf("admin slack %d", d.AdminSlack), kindPlain})
}

func failoverRows(c *Capacity) []tableRow {
	rows := []tableRow{}
	for _, f := range c.Failover {
		rows = append(rows, tableRow{Cells: []tableCell{ident(f.Primary), ident(f.Replica), num(f.PrimaryDemand), num(f.ReplicaAllowed),
			verdict(f.Severity)}, Severity: f.Severity})
	}
	return rows
}

// regionWording is the prose of the egress headroom table, which the two
// formats word differently.
type regionWording struct {
	// onCriticalPath follows the scale-outs count when one is on the
	// startup path.
	onCriticalPath string
	// directIPs and adminAPI word the region's budgets.
	directIPs func(*IPBudget) string
	adminAPI  func(*AdminAPI) string
}

func regionRows(c *Capacity, w regionWording) []tableRow {
	rows := []tableRow{}
	for _, r := range c.Regions {
		scale := fmt.Sprint(r.ScaleOutsNeeded)
		if r.ScaleOutOnCriticalPath {
			scale += w.onCriticalPath
		}
		extra := []string{}
		if r.DirectIPs != nil {
			extra = append(extra, w.directIPs(r.DirectIPs))
		}
		if r.AdminAPI != nil {
			extra = append(extra, w.adminAPI(r.AdminAPI))
		}
		rows = append(rows, tableRow{Cells: []tableCell{plain(r.Region), {{r.Kind + " ", kindPlain}, {r.Name, kindName}},
			plain(mbps(r.DemandMbps)), plain(mbps(r.ColdStartMbps)), joined(mbps(r.CapacityMinMbps), "–", mbps(r.CapacityMaxMbps)),
			plain(scale), {{strings.Join(extra, "; "), kindOptional}}, verdict(r.Severity)}, Severity: r.Severity})
	}
	return rows
}

func timeoutRows(c *Capacity) []tableRow {
	rows := []tableRow{}
	for _, w := range c.Timeouts {
		rows = append(rows, tableRow{Cells: []tableCell{ident(w.Workload), plain(w.Region), plain(secs(w.EgressDelaySeconds)),
			plain(secs(w.QueueSeconds)), plain(secs(w.HandshakeSeconds)), {{secs(w.WorstCaseSeconds), kindStrong}},
			plain(secs(w.ConnectTimeoutSeconds)), plain(secs(w.ProbeWindowSeconds)), verdict(w.Severity)}, Severity: w.Severity})
	}
	return rows
}

// workloadSimRows are the simulated workloads; a row's severity is "fail"
// when its success rate misses the target.
func workloadSimRows(s *Simulation, tg *Targets) []tableRow {
	rows := []tableRow{}
	for _, w := range s.Workloads {
		st := "ok"
		if tg != nil && w.SuccessRate <= tg.StartupSuccessRate {
			st = "fail"
		}
		rows = append(rows, tableRow{Cells: []tableCell{ident(w.Workload), plain(w.Region),
			joined(fmt.Sprint(w.Ready), "/", fmt.Sprint(w.Instances)), plain(pct(w.SuccessRate))}, Severity: st})
	}
	return rows
}

func stepRows(c *Changes) []tableRow {
	rows := []tableRow{}
	for _, s := range c.Steps {
		rows = append(rows, tableRow{Cells: []tableCell{plain(s.Op), ident(s.Type), ident(s.Name),
			{{strings.Join(s.Diffs, ", "), kindOptional}}}})
	}
	return rows
}

// scenarioColumns are the checks of the scenario × check table, in the
// model's order, with their short header labels.
var scenarioColumns = []struct{ check, label string }{
	{capacity.CheckConnectionBudget, "budget"},
	{capacity.CheckReplicaParity, "replica"},
	{capacity.CheckEgressHeadroom, "egress"},
	{capacity.CheckDirectEgressIPs, "IPs"},
	{capacity.CheckTimeoutBudget, "timeout"},
	{capacity.CheckAdminAPIQuota, "Admin API"},
	{capacity.CheckColdStartSuccess, "storm"},
}

// scenarioRows is the scenario × check table: one row per scenario, a
// verdict per check ("-" where the check does not apply), the scenario's
// worst verdict last.
func scenarioRows(ss []Scenario) []tableRow {
	rows := []tableRow{}
	for _, s := range ss {
		v := map[string]string{}
		for _, c := range s.Checks {
			v[c.Check] = c.Severity
		}
		id := ident(s.ID)
		if s.Advisory {
			id = append(id, span{" (advisory)", kindPlain})
		}
		cells := []tableCell{id}
		for _, col := range scenarioColumns {
			if sev, ok := v[col.check]; ok {
				cells = append(cells, verdict(sev))
			} else {
				cells = append(cells, tableCell{{"", kindOptional}})
			}
		}
		cells = append(cells, verdict(s.Severity))
		rows = append(rows, tableRow{Cells: cells, Severity: s.Severity})
	}
	return rows
}

// scenarioHeader is the header of the scenario × check table.
func scenarioHeader(upper bool) []string {
	h := []string{"Scenario"}
	for _, c := range scenarioColumns {
		h = append(h, c.label)
	}
	h = append(h, "Verdict")
	if upper {
		for i := range h {
			h[i] = strings.ToUpper(h[i])
		}
	}
	return h
}
