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
	if r.Diff != nil {
		// The capacity diff leads; the head's full report follows.
		if err := DiffMarkdown(w, r.Stack, r.Diff, opts); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	m := &mdWriter{b: &strings.Builder{}, h: opts.HeadingLevel}
	m.printf("%s\n", Marker)
	word, sev := headline(r)
	icon := map[string]string{"ok": "✅", "warn": "⚠️", "fail": "❌"}[sev]
	m.heading(0, fmt.Sprintf("%s Headroom %s: `%s` — %s", icon, r.Kind, r.Stack, word))
	m.summary(r)
	m.reconcileLine(r)
	m.statefulSection(r)
	m.violations(r.Violations)
	if len(r.Scenarios) > 0 {
		m.scenarios(r.Scenarios)
	}
	if r.Simulation != nil {
		m.simulation(r.Stack, r.Simulation, r.Targets, opts.MaxChartPoints)
	}
	if r.Capacity != nil {
		m.capacity(r.Capacity)
	}
	if r.Cost != nil {
		m.cost(r.Cost)
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
	titles, cs := reconcileChanges(r)
	for i, c := range cs {
		m.changes(titles[i], c)
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
		parts = append(parts, s+successTarget(r.Targets))
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

// mdCell prints a cell as Markdown: names in code spans, the key figure in
// bold, operators spaced, an empty optional span as a dash, verdicts with
// their icon.
func mdCell(c tableCell) string {
	return renderCell(c, func(s span) string {
		switch s.Kind {
		case kindName:
			return "`" + s.Text + "`"
		case kindStrong:
			return "**" + s.Text + "**"
		case kindOp:
			return " " + s.Text + " "
		case kindOptional:
			if s.Text == "" {
				return "—"
			}
		case kindVerdict:
			return sevIcon(s.Text)
		}
		return s.Text
	})
}

// mdRows prints rows as Markdown cells.
func mdRows(rows []tableRow) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r.Cells))
		for j, c := range r.Cells {
			out[i][j] = mdCell(c)
		}
	}
	return out
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
	m.table([]string{"Startup success", "Ready p50", "Ready p95", "Ready p99", "Connect p99", "Instances", "Peak slots"},
		[][]string{{pct(s.SuccessRate) + successTarget(tg), secs(s.TimeToReadyP50Seconds), secs(s.TimeToReadyP95Seconds),
			secs(s.TimeToReadyP99Seconds), secs(s.ConnectP99Seconds) + connectTarget(tg), fmt.Sprint(s.Instances), fmt.Sprint(s.PeakSlotsUsed)}})
	if len(s.Series) > 0 {
		legend := "Blue: ready instances over time."
		if tg != nil && tg.StartupSuccessRate > 0 {
			legend += fmt.Sprintf(" Grey: the %s target (%d of %d).", pct(tg.StartupSuccessRate),
				int(math.Ceil(tg.StartupSuccessRate*float64(s.Instances))), s.Instances)
		}
		m.printf("%s\n\n%s\n", Mermaid(stack, s, tg, maxPoints), legend)
	}
	if len(s.Workloads) > 0 {
		m.table([]string{"Workload", "Region", "Ready", "Success"}, mdRows(workloadSimRows(s, tg)))
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

// mdRegionWording is the Markdown wording of the egress headroom table.
var mdRegionWording = regionWording{
	onCriticalPath: " (on the startup path)",
	directIPs: func(b *IPBudget) string {
		return fmt.Sprintf("IPs %d of %d (/%d)", b.NeededIPs, b.UsableIPs, b.PrefixLength)
	},
	adminAPI: func(a *AdminAPI) string { return fmt.Sprintf("Admin API %d of %d/min", a.Calls, a.QuotaPerMin) },
}

func (m *mdWriter) scenarios(ss []Scenario) {
	m.heading(1, fmt.Sprintf("Scenarios judged (%d)", len(ss)))
	m.printf("Every check runs in every scenario; the stack's verdict is the worst over them.\n\n")
	m.table(scenarioHeader(false), mdRows(scenarioRows(ss)))
	m.printf("\n")
	for _, s := range ss {
		m.printf("- `%s`: %s\n", s.ID, cell(s.Description))
	}
}

func (m *mdWriter) capacity(c *Capacity) {
	m.heading(1, "Connection budget per database instance (cold start)")
	m.table([]string{"Database", "Region", "max_connections", "Reserved", "Usable", "Allowed", "Demand", "Utilization", "Verdict"}, mdRows(databaseBudgetRows(c)))
	for _, d := range c.Databases {
		if len(d.Contributors) == 0 {
			continue
		}
		m.printf("- `%s` demand = %s\n", d.Database, mdCell(demandTerms(d)))
	}
	m.printf("\n")
	if len(c.Failover) > 0 {
		m.table([]string{"Primary", "Replica (promoted)", "Primary demand", "Replica allowed", "Verdict"}, mdRows(failoverRows(c)))
	}

	m.heading(1, "Egress headroom per region")
	m.table([]string{"Region", "Egress", "Demand", "At cold start", "Capacity (min – max)", "Scale-outs needed", "Budgets", "Verdict"}, mdRows(regionRows(c, mdRegionWording)))

	m.heading(1, "Timeout budget per workload")
	m.table([]string{"Workload", "Region", "Egress delay", "Queue", "Handshake", "Worst case", "Connect timeout", "Probe window", "Verdict"}, mdRows(timeoutRows(c)))
}

func (m *mdWriter) resources(res *Resources) {
	m.heading(1, fmt.Sprintf("Resources declared (%d)", res.Total))
	m.printf("<details><summary>Counts by type and sizing</summary>\n\n")
	m.table([]string{"Type", "Count"}, mdRows(typeCountRows(res)))
	if len(res.Databases) > 0 {
		m.table([]string{"Cloud SQL", "Region", "Tier", "Edition", "Availability", "max_connections", "Role"}, mdRows(databaseSizingRows(res)))
	}
	if len(res.Egress) > 0 {
		m.table([]string{"Region", "Egress", "Name", "Sizing"}, mdRows(egressSizingRows(res)))
	}
	if len(res.Services) > 0 {
		m.table([]string{"Cloud Run", "Region", "Instances", "Concurrency", "Pool + overflow", "Startup conns", "Connect timeout", "Egress / method", "Database"}, mdRows(serviceSizingRows(res)))
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
		m.table([]string{"Op", "Type", "Name", "Changed properties"}, mdRows(stepRows(c)))
	}
	for _, e := range c.Errors {
		m.printf("> **error:** %s\n", cell(e))
	}
}
