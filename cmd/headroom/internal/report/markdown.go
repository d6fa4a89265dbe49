package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MarkdownOptions tunes the Markdown rendering.
type MarkdownOptions struct {
	// HeadingLevel of the report's title (2 → "##"); zero takes 2, so
	// several stacks concatenate into one PR comment under a "#" title.
	HeadingLevel int
	// MaxChartPoints bounds the points of the Mermaid chart; zero takes 40.
	MaxChartPoints int
}

// Marker is the HTML comment that opens every Markdown report; CI uses it to
// find and update the sticky PR comment.
const Marker = "<!-- headroom-report -->"

// Markdown renders the report as GitHub-flavoured Markdown: pipe tables and a
// Mermaid xychart-beta for the cold-start curve, which GitHub renders in PR
// comments.
func Markdown(w io.Writer, r Report, opts MarkdownOptions) error {
	if opts.HeadingLevel <= 0 {
		opts.HeadingLevel = 2
	}
	if opts.MaxChartPoints <= 1 {
		opts.MaxChartPoints = 40
	}
	m := &mdWriter{b: &strings.Builder{}, h: opts.HeadingLevel}
	m.printf("%s\n", Marker)
	icon := map[string]string{VerdictPass: "✅", VerdictFail: "❌"}[r.Verdict]
	m.heading(0, fmt.Sprintf("%s Headroom %s: `%s` — %s", icon, r.Kind, r.Stack, strings.ToUpper(r.Verdict)))
	m.summary(r)
	m.violations(r.Violations)
	if r.Simulation != nil {
		m.simulation(r.Stack, r.Simulation, r.Targets, opts.MaxChartPoints)
	}
	if r.Capacity != nil {
		m.capacity(r.Capacity)
	}
	if r.Resources != nil {
		m.resources(r.Resources)
	}
	if r.Preview != nil {
		m.changes("Preview (Pulumi engine, with the policy pack)", r.Preview)
	}
	if r.Drift != nil {
		m.changes("Drift: cloud vs recorded state", &r.Drift.Refresh)
		m.changes("Drift: program vs refreshed state", &r.Drift.Preview)
	}
	_, err := io.WriteString(w, m.b.String())
	return err
}

type mdWriter struct {
	b *strings.Builder
	h int
}

func (m *mdWriter) printf(format string, args ...any) { fmt.Fprintf(m.b, format, args...) }

func (m *mdWriter) heading(depth int, title string) {
	m.printf("\n%s %s\n\n", strings.Repeat("#", m.h+depth), title)
}

func (m *mdWriter) summary(r Report) {
	parts := []string{fmt.Sprintf("environment **%s**", r.Environment)}
	if r.Resources != nil {
		parts = append(parts, fmt.Sprintf("%d resources declared", r.Resources.Total))
	}
	parts = append(parts, fmt.Sprintf("**%d mandatory**, %d advisory policy violations", r.Mandatory, r.Advisory))
	if r.Simulation != nil {
		s := fmt.Sprintf("simulated cold-start success **%s**", pct(r.Simulation.SuccessRate))
		if r.Targets != nil {
			s += fmt.Sprintf(" (target ≥ %s)", pct(r.Targets.StartupSuccessRate))
		}
		parts = append(parts, s)
	}
	if r.Drift != nil {
		if r.Drift.Detected {
			parts = append(parts, "**drift detected**")
		} else {
			parts = append(parts, "no drift")
		}
	}
	m.printf("%s.\n", strings.Join(parts, " · "))
}

func sevIcon(s string) string {
	switch s {
	case "fail", LevelMandatory:
		return "❌ " + s
	case "warn", "advisory", "remediate":
		return "⚠️ " + s
	case "ok":
		return "✅ ok"
	}
	return s
}

// cell escapes what would break a pipe table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", "<br>")
	return s
}

func (m *mdWriter) table(header []string, rows [][]string) {
	if len(rows) == 0 {
		// A header-only table renders as an empty grid; say it instead.
		m.printf("_None._\n\n")
		return
	}
	m.printf("| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
	}
	m.printf("|%s|\n", strings.Join(seps, "|"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = cell(c)
		}
		m.printf("| %s |\n", strings.Join(cells, " | "))
	}
	m.printf("\n")
}

func (m *mdWriter) violations(vs []Violation) {
	m.heading(1, "Policy results")
	if len(vs) == 0 {
		m.printf("✅ Every policy passed.\n")
		return
	}
	for _, g := range groupByLevel(vs) {
		m.printf("**%s** (%d)\n\n", sevIcon(g.Level), len(g.Violations))
		rows := [][]string{}
		for _, v := range g.Violations {
			res := "(stack)"
			if v.Resource != "" {
				res = "`" + shortURN(v.Resource) + "`"
			}
			rows = append(rows, []string{"`" + v.Policy + "`", res, v.Message})
		}
		m.table([]string{"Policy", "Resource", "What to change"}, rows)
	}
}

func (m *mdWriter) simulation(stack string, s *Simulation, tg *Targets, maxPoints int) {
	m.heading(1, "Cold start storm (simulated)")
	target, ctarget := "", ""
	if tg != nil {
		target = " (target ≥ " + pct(tg.StartupSuccessRate) + ")"
		ctarget = " (target ≤ " + secs(tg.ConnectP99Seconds) + ")"
	}
	m.table([]string{"Startup success", "Ready p50", "Ready p95", "Ready p99", "Connect p99", "Instances", "Peak slots"},
		[][]string{{pct(s.SuccessRate) + target, secs(s.TimeToReadyP50Seconds), secs(s.TimeToReadyP95Seconds),
			secs(s.TimeToReadyP99Seconds), secs(s.ConnectP99Seconds) + ctarget, fmt.Sprint(s.Instances), fmt.Sprint(s.PeakSlotsUsed)}})
	if len(s.Series) > 0 {
		legend := "Blue: ready instances over time."
		if tg != nil && tg.StartupSuccessRate > 0 {
			legend += fmt.Sprintf(" Grey: the %s target (%d of %d).", pct(tg.StartupSuccessRate),
				int(math.Ceil(tg.StartupSuccessRate*float64(s.Instances))), s.Instances)
		}
		m.printf("%s\n\n%s\n", Mermaid(stack, s, tg, maxPoints), legend)
	}
	if len(s.Workloads) > 0 {
		rows := [][]string{}
		for _, w := range s.Workloads {
			rows = append(rows, []string{"`" + w.Workload + "`", w.Region, fmt.Sprintf("%d / %d", w.Ready, w.Instances), pct(w.SuccessRate)})
		}
		m.table([]string{"Workload", "Region", "Ready", "Success"}, rows)
	}
}

// Mermaid returns a fenced Mermaid xychart-beta block: the ready-instances
// curve (cropped to where it settles, sampled to at most maxPoints points on
// a numeric seconds axis) and, when targets are known, a flat line at the
// instance count the success target requires. The init directive fixes the
// colors so the curve (blue) and the target (grey) are told apart: xychart
// has no legend.
func Mermaid(stack string, s *Simulation, tg *Targets, maxPoints int) string {
	pts := sample(Crop(s.Series), maxPoints)
	ys := make([]string, len(pts))
	top := s.Instances
	for i, p := range pts {
		ys[i] = fmt.Sprint(p.Ready)
		if p.Ready > top {
			top = p.Ready
		}
	}
	if top == 0 {
		top = 1
	}
	last := 0.0
	if len(pts) > 0 {
		last = pts[len(pts)-1].Seconds
	}
	var b strings.Builder
	b.WriteString("```mermaid\n")
	b.WriteString(`%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#0969da, #8c959f"}}}}%%` + "\n")
	b.WriteString("xychart-beta\n")
	fmt.Fprintf(&b, "    title %q\n", fmt.Sprintf("Ready instances, %d starting at once (%s)", s.Instances, stack))
	fmt.Fprintf(&b, "    x-axis \"seconds since the storm started\" 0 --> %s\n", strconv.FormatFloat(math.Ceil(last), 'f', 0, 64))
	fmt.Fprintf(&b, "    y-axis \"ready instances\" 0 --> %d\n", top)
	fmt.Fprintf(&b, "    line [%s]\n", strings.Join(ys, ", "))
	if tg != nil && tg.StartupSuccessRate > 0 {
		need := int(math.Ceil(tg.StartupSuccessRate * float64(s.Instances)))
		flat := make([]string, len(pts))
		for i := range flat {
			flat[i] = fmt.Sprint(need)
		}
		fmt.Fprintf(&b, "    line [%s]\n", strings.Join(flat, ", "))
	}
	b.WriteString("```\n")
	return b.String()
}

func (m *mdWriter) capacity(c *Capacity) {
	m.heading(1, "Connection budget per database instance")
	rows := [][]string{}
	for _, d := range c.Databases {
		mc := fmt.Sprint(d.MaxConnections)
		if !d.MaxConnectionsExplicit {
			mc += " (tier default)"
		}
		rows = append(rows, []string{"`" + d.Database + "`", d.Region, mc, fmt.Sprint(d.Reserved), fmt.Sprint(d.Usable),
			fmt.Sprint(d.Allowed), fmt.Sprint(d.Demand), pct(d.Utilization), sevIcon(d.Severity)})
	}
	m.table([]string{"Database", "Region", "max_connections", "Reserved", "Usable", "Allowed", "Demand", "Utilization", "Verdict"}, rows)
	for _, d := range c.Databases {
		if len(d.Contributors) == 0 {
			continue
		}
		parts := []string{}
		for _, k := range d.Contributors {
			parts = append(parts, fmt.Sprintf("`%s` %d × %d = %d", k.Name(), k.MaxInstances, k.PerInstance, k.Connections))
		}
		m.printf("- `%s` demand = %s + admin slack %d\n", d.Database, strings.Join(parts, " + "), d.AdminSlack)
	}
	if len(c.Failover) > 0 {
		m.printf("\n")
		rows = nil
		for _, f := range c.Failover {
			rows = append(rows, []string{"`" + f.Primary + "`", "`" + f.Replica + "`", fmt.Sprint(f.PrimaryDemand), fmt.Sprint(f.ReplicaAllowed), sevIcon(f.Severity)})
		}
		m.table([]string{"Primary", "Replica (promoted)", "Primary demand", "Replica allowed", "Verdict"}, rows)
	} else {
		m.printf("\n")
	}

	m.heading(1, "Egress headroom per region")
	rows = nil
	for _, r := range c.Regions {
		scale := fmt.Sprint(r.ScaleOutsNeeded)
		if r.ScaleOutOnCriticalPath {
			scale += " (on the startup path)"
		}
		extra := []string{}
		if r.DirectIPs != nil {
			extra = append(extra, fmt.Sprintf("IPs %d of %d (/%d)", r.DirectIPs.NeededIPs, r.DirectIPs.UsableIPs, r.DirectIPs.PrefixLength))
		}
		if r.AdminAPI != nil {
			extra = append(extra, fmt.Sprintf("Admin API %d of %d/min", r.AdminAPI.Calls, r.AdminAPI.QuotaPerMin))
		}
		if len(extra) == 0 {
			extra = []string{"—"}
		}
		rows = append(rows, []string{r.Region, r.Kind + " `" + r.Name + "`", mbps(r.DemandMbps), mbps(r.ColdStartMbps),
			mbps(r.CapacityMinMbps) + " – " + mbps(r.CapacityMaxMbps), scale, strings.Join(extra, "; "), sevIcon(r.Severity)})
	}
	m.table([]string{"Region", "Egress", "Demand", "At cold start", "Capacity (min – max)", "Scale-outs needed", "Budgets", "Verdict"}, rows)

	m.heading(1, "Timeout budget per workload")
	rows = nil
	for _, w := range c.Timeouts {
		rows = append(rows, []string{"`" + w.Workload + "`", w.Region, secs(w.EgressDelaySeconds), secs(w.QueueSeconds),
			secs(w.HandshakeSeconds), "**" + secs(w.WorstCaseSeconds) + "**", secs(w.ConnectTimeoutSeconds), secs(w.ProbeWindowSeconds), sevIcon(w.Severity)})
	}
	m.table([]string{"Workload", "Region", "Egress delay", "Queue", "Handshake", "Worst case", "Connect timeout", "Probe window", "Verdict"}, rows)
}

func (m *mdWriter) resources(res *Resources) {
	m.heading(1, fmt.Sprintf("Resources declared (%d)", res.Total))
	m.printf("<details><summary>Counts by type and sizing</summary>\n\n")
	rows := [][]string{}
	for _, c := range res.ByType {
		rows = append(rows, []string{"`" + c.Type + "`", fmt.Sprint(c.Count)})
	}
	m.table([]string{"Type", "Count"}, rows)
	if len(res.Databases) > 0 {
		rows = nil
		for _, d := range res.Databases {
			mc := "tier default"
			if d.MaxConnections > 0 {
				mc = fmt.Sprint(d.MaxConnections)
			}
			role := "primary"
			if d.ReplicaOf != "" {
				role = "replica of `" + d.ReplicaOf + "`"
			}
			rows = append(rows, []string{"`" + d.Name + "`", d.Region, "`" + d.Tier + "`", d.Edition, d.Availability, mc, role})
		}
		m.table([]string{"Cloud SQL", "Region", "Tier", "Edition", "Availability", "max_connections", "Role"}, rows)
	}
	if len(res.Egress) > 0 {
		rows = nil
		for _, e := range res.Egress {
			rows = append(rows, []string{e.Region, e.Kind, "`" + e.Name + "`", egressSize(e)})
		}
		m.table([]string{"Region", "Egress", "Name", "Sizing"}, rows)
	}
	if len(res.Services) > 0 {
		rows = nil
		for _, s := range res.Services {
			rows = append(rows, []string{"`" + s.Name + "`", s.Region, fmt.Sprintf("%d – %d", s.MinInstances, s.MaxInstances),
				fmt.Sprint(s.Concurrency), fmt.Sprintf("%d + %d", s.PoolSize, s.MaxOverflow), fmt.Sprint(s.StartupConnections),
				secs(s.ConnectTimeoutSeconds), s.Egress + " / " + s.Method, "`" + s.Database + "`"})
		}
		m.table([]string{"Cloud Run", "Region", "Instances", "Concurrency", "Pool + overflow", "Startup conns", "Connect timeout", "Egress / method", "Database"}, rows)
	}
	m.printf("</details>\n")
}

func (m *mdWriter) changes(title string, c *Changes) {
	m.heading(1, title)
	if len(c.Summary) > 0 {
		m.printf("Steps: %s.", summaryLine(c.Summary))
	}
	if len(c.PolicyPacks) > 0 {
		m.printf(" Policy packs: %s.", packsLine(c.PolicyPacks))
	}
	m.printf("\n\n")
	if len(c.Steps) == 0 {
		m.printf("No changes.\n")
	} else {
		rows := [][]string{}
		for _, s := range c.Steps {
			d := strings.Join(s.Diffs, ", ")
			if d == "" {
				d = "—"
			}
			rows = append(rows, []string{s.Op, "`" + s.Type + "`", "`" + s.Name + "`", d})
		}
		m.table([]string{"Op", "Type", "Name", "Changed properties"}, rows)
	}
	for _, e := range c.Errors {
		m.printf("> **error:** %s\n", cell(e))
	}
}
