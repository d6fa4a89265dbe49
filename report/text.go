package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/muesli/termenv"

	"github.com/headroom-dev/headroom/contract"
)

// TextOptions tunes the terminal rendering.
type TextOptions struct {
	// Color enables ANSI colors. The caller decides (TTY, --no-color,
	// NO_COLOR); the renderer never inspects the terminal itself so its
	// output is reproducible.
	Color bool
	// ChartWidth and ChartHeight bound the cold-start chart (columns,
	// rows); zero takes 60 × 6.
	ChartWidth, ChartHeight int
}

// Text renders the report for a terminal.
func Text(w io.Writer, r Report, opts TextOptions) error {
	p := termenv.Ascii
	if opts.Color {
		p = termenv.ANSI
	}
	if r.Diff != nil {
		// The capacity diff leads; the head's full report follows.
		if err := DiffText(w, r.Stack, r.Diff, opts); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
	}
	t := &textWriter{p: p, b: &strings.Builder{}}
	t.header(r)
	t.reconcileLine(r)
	t.statefulSection(r)
	if r.Resources != nil {
		t.resources(r.Resources)
	}
	if len(r.Scenarios) > 0 {
		t.scenarios(r.Scenarios)
	}
	if r.Capacity != nil {
		t.capacity(r.Capacity)
	}
	if r.Simulation != nil {
		t.simulation(r.Simulation, r.Targets, opts)
	}
	if r.Cost != nil {
		t.cost(r.Cost)
	}
	if r.Preview != nil {
		t.changes("Preview (Pulumi engine)", r.Preview)
	}
	if r.Drift != nil {
		t.changes("Drift: cloud vs recorded state (refresh --preview-only)", &r.Drift.Refresh)
		t.changes("Drift: program vs refreshed state (preview --expect-no-changes)", &r.Drift.Preview)
	}
	titles, cs := reconcileChanges(r)
	for i, c := range cs {
		t.changes(titles[i], c)
	}
	t.violations(r.Violations)
	_, err := io.WriteString(w, t.b.String())
	return err
}

type textWriter struct {
	p termenv.Profile
	b *strings.Builder
}

func (t *textWriter) style(s string, color string, bold bool) string {
	st := termenv.String(s)
	if color != "" {
		st = st.Foreground(t.p.Color(color))
	}
	if bold && t.p != termenv.Ascii {
		st = st.Bold()
	}
	return st.String()
}

// ANSI color numbers: 1 red, 2 green, 3 yellow, 6 cyan, 8 grey.
func sevColor(sev string) string {
	switch sev {
	case "fail", LevelMandatory:
		return "1"
	case "warn", "advisory", "remediate":
		return "3"
	case "ok":
		return "2"
	}
	return ""
}

func (t *textWriter) printf(format string, args ...any) { fmt.Fprintf(t.b, format, args...) }

func (t *textWriter) section(title string) {
	t.printf("\n%s\n", t.style(title, "6", true))
}

func (t *textWriter) header(r Report) {
	verdict, sev := headline(r)
	t.printf("Headroom %s · stack %s (%s) · %s — %d mandatory, %d advisory\n",
		r.Kind, r.Stack, r.Environment, t.style(verdict, sevColor(sev), true),
		r.Mandatory, r.Advisory)
	if r.Drift != nil {
		if r.Drift.Detected {
			t.printf("%s\n", t.style("DRIFT DETECTED", "1", true))
		} else {
			t.printf("%s\n", t.style("no drift", "2", false))
		}
	}
}

func (t *textWriter) resources(res *Resources) {
	t.section(fmt.Sprintf("Resources (%d declared)", res.Total))
	t.table(nil, typeCountRows(res))
	if len(res.Databases) > 0 {
		t.printf("\n")
		t.table([]string{"CLOUD SQL", "REGION", "TIER", "EDITION", "AVAILABILITY", "MAX_CONNECTIONS", "ROLE"}, databaseSizingRows(res))
	}
	if len(res.Egress) > 0 {
		t.printf("\n")
		t.table([]string{"EGRESS", "KIND", "NAME", "SIZING"}, egressSizingRows(res))
	}
	if len(res.Services) > 0 {
		t.printf("\n")
		t.table([]string{"CLOUD RUN", "REGION", "INSTANCES", "CONCURRENCY", "POOL+OVERFLOW", "STARTUP CONNS", "CONNECT TIMEOUT", "EGRESS/METHOD", "DATABASE"}, serviceSizingRows(res))
	}
}

// textRegionWording is the text wording of the egress headroom table.
var textRegionWording = regionWording{
	onCriticalPath: " (on startup path)",
	directIPs: func(b *IPBudget) string {
		return fmt.Sprintf("IPs %d/%d in /%d", b.NeededIPs, b.UsableIPs, b.PrefixLength)
	},
	adminAPI: func(a *AdminAPI) string { return fmt.Sprintf("Admin API %d/%d per min", a.Calls, a.QuotaPerMin) },
}

func (t *textWriter) scenarios(ss []Scenario) {
	t.section(fmt.Sprintf("Scenarios judged (%d): verdict per check; the stack's verdict is the worst", len(ss)))
	t.table(scenarioHeader(true), scenarioRows(ss))
	for _, s := range ss {
		t.printf("  %s: %s\n", s.ID, s.Description)
	}
}

func (t *textWriter) capacity(c *Capacity) {
	t.section("Connection budget per database instance (cold start)")
	t.table([]string{"DATABASE", "REGION", "MAX_CONNECTIONS", "RESERVED", "USABLE", "ALLOWED", "DEMAND", "UTILIZATION", "VERDICT"}, databaseBudgetRows(c))
	for _, d := range c.Databases {
		if len(d.Contributors) == 0 {
			continue
		}
		t.printf("  %s demand: %s\n", d.Database, textCell(demandTerms(d)))
	}
	if len(c.Failover) > 0 {
		t.printf("\n")
		t.table([]string{"PRIMARY", "REPLICA", "PRIMARY DEMAND", "REPLICA ALLOWED", "VERDICT"}, failoverRows(c))
	}

	t.section("Egress headroom per region")
	t.table([]string{"REGION", "EGRESS", "DEMAND", "AT COLD START", "CAPACITY", "SCALE-OUTS NEEDED", "BUDGETS", "VERDICT"}, regionRows(c, textRegionWording))

	t.section("Timeout budget per workload (worst case connect path)")
	t.table([]string{"WORKLOAD", "REGION", "EGRESS DELAY", "QUEUE", "HANDSHAKE", "WORST CASE", "CONNECT TIMEOUT", "PROBE WINDOW", "VERDICT"}, timeoutRows(c))
}

func (t *textWriter) simulation(s *Simulation, tg *Targets, opts TextOptions) {
	t.section("Cold start storm (simulated: every instance starts at once)")
	ok := "ok"
	if tg != nil && !contract.SuccessMeets(s.SuccessRate, tg.StartupSuccessRate) {
		ok = "fail"
	}
	t.printf("  startup success %s%s · %d instances, %d connection attempts, peak slots %d\n",
		t.style(pct(s.SuccessRate), sevColor(ok), true), successTarget(tg), s.Instances, s.Attempts, s.PeakSlotsUsed)
	t.printf("  time to ready p50 %s · p95 %s · p99 %s · connect p99 %s%s\n",
		secs(s.TimeToReadyP50Seconds), secs(s.TimeToReadyP95Seconds), secs(s.TimeToReadyP99Seconds), secs(s.ConnectP99Seconds), connectTarget(tg))
	if len(s.Series) > 0 {
		t.printf("\n")
		t.b.WriteString(Chart(s.Series, s.Instances, opts.ChartWidth, opts.ChartHeight))
	}
	if len(s.Workloads) > 0 {
		t.printf("\n")
		t.table([]string{"WORKLOAD", "REGION", "READY", "SUCCESS"}, workloadSimRows(s, tg))
	}
}

// Chart draws the ready-instances curve as a block-character area chart of
// at most width columns and height rows, with a y axis labelled in instances
// and an x axis in seconds. It is exported for the probe's report.
func Chart(series []Point, instances, width, height int) string {
	if width <= 0 {
		width = 60
	}
	if height <= 0 {
		height = 6
	}
	if len(series) == 0 {
		return ""
	}
	cols := sample(Crop(series), width)
	top := instances
	for _, p := range cols {
		if p.Ready > top {
			top = p.Ready
		}
	}
	if top == 0 {
		top = 1
	}
	blocks := []rune(" ▁▂▃▄▅▆▇█")
	label := fmt.Sprint(top)
	pad := len(label)
	var b strings.Builder
	for row := height - 1; row >= 0; row-- {
		switch row {
		case height - 1:
			fmt.Fprintf(&b, "  %*s ┤", pad, label)
		case 0:
			fmt.Fprintf(&b, "  %*s ┤", pad, "0")
		default:
			fmt.Fprintf(&b, "  %*s │", pad, "")
		}
		for _, p := range cols {
			// eighths of a row filled at this column
			eighths := int(math.Round(float64(p.Ready) / float64(top) * float64(height*8)))
			fill := eighths - row*8
			switch {
			case fill >= 8:
				b.WriteRune(blocks[8])
			case fill <= 0:
				b.WriteRune(' ')
			default:
				b.WriteRune(blocks[fill])
			}
		}
		b.WriteString("\n")
	}
	first, last := fmt.Sprintf("%s", secs(cols[0].Seconds)), secs(cols[len(cols)-1].Seconds)
	gap := len(cols) - utf8.RuneCountInString(first) - utf8.RuneCountInString(last)
	if gap < 1 {
		gap = 1
	}
	fmt.Fprintf(&b, "  %*s └%s\n", pad, "", strings.Repeat("─", len(cols)))
	fmt.Fprintf(&b, "  %*s  %s%s%s  ready instances over time\n", pad, "", first, strings.Repeat(" ", gap), last)
	return b.String()
}

// Crop drops the flat tail of a series: everything after the last change
// of Ready or Failed, keeping a margin of a fifth of the active span (at
// least two samples) so the plateau is still visible. A storm that settles
// in 2 s is not drawn over a 120 s horizon.
func Crop(series []Point) []Point {
	if len(series) < 3 {
		return series
	}
	last := series[len(series)-1]
	end := 0
	for i, p := range series {
		if p.Ready != last.Ready || p.Failed != last.Failed {
			end = i + 1
		}
	}
	end += max(2, end/5)
	end = max(end, 11) // a readable minimum width: 12 samples
	if end >= len(series) {
		return series
	}
	return series[:end+1]
}

// sample picks at most n points spread evenly over the series, always
// keeping the first and the last.
func sample(series []Point, n int) []Point {
	if len(series) <= n {
		return series
	}
	out := make([]Point, 0, n)
	for i := 0; i < n; i++ {
		idx := int(math.Round(float64(i) * float64(len(series)-1) / float64(n-1)))
		out = append(out, series[idx])
	}
	return out
}

func (t *textWriter) changes(title string, c *Changes) {
	t.section(title)
	if len(c.Summary) > 0 {
		t.printf("  %s\n", summaryLine(c.Summary))
	}
	if len(c.PolicyPacks) > 0 {
		t.printf("  policy packs: %s\n", packsLine(c.PolicyPacks))
	}
	if len(c.Steps) == 0 {
		t.printf("  no changes\n")
	} else {
		t.table([]string{"OP", "TYPE", "NAME", "CHANGED PROPERTIES"}, stepRows(c))
	}
	for _, e := range c.Errors {
		t.printf("  %s %s\n", t.style("error:", "1", true), e)
	}
}

func (t *textWriter) violations(vs []Violation) {
	t.section("Policies")
	if len(vs) == 0 {
		t.printf("  %s every policy passed\n", t.style("✓", "2", false))
		return
	}
	for _, g := range groupByLevel(vs) {
		t.printf("  %s (%d)\n", t.style(strings.ToUpper(g.Level), sevColor(g.Level), true), len(g.Violations))
		mark := "!"
		if g.Level == LevelMandatory {
			mark = "✗"
		}
		for _, v := range g.Violations {
			res := ""
			if v.Resource != "" {
				res = "  " + shortURN(v.Resource)
			}
			t.printf("    %s %s%s\n", t.style(mark, sevColor(g.Level), false), t.style(v.Policy, "", true), res)
			t.printf("      %s\n", v.Message)
		}
	}
}

// textCell prints a cell as plain text: every span as is.
func textCell(c tableCell) string {
	return renderCell(c, func(s span) string { return s.Text })
}

// table prints rows under an optional header with columns aligned on the
// plain text; a row's severity colors its last cell.
func (t *textWriter) table(header []string, rows []tableRow) {
	if len(rows) == 0 {
		t.printf("  none\n")
		return
	}
	all := [][]string{}
	if header != nil {
		all = append(all, header)
	}
	for _, r := range rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = textCell(c)
		}
		all = append(all, cells)
	}
	widths := []int{}
	for _, r := range all {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			if n := utf8.RuneCountInString(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	line := func(r []string, rowSev string, head bool) {
		t.b.WriteString("  ")
		for i, c := range r {
			cell := c
			if i < len(r)-1 {
				cell += strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2)
			}
			switch {
			case head:
				cell = t.style(cell, "8", false)
			case rowSev != "" && i == len(r)-1:
				cell = t.style(cell, sevColor(rowSev), rowSev == "fail")
			}
			t.b.WriteString(cell)
		}
		t.b.WriteString("\n")
	}
	if header != nil {
		line(all[0], "", true)
		all = all[1:]
	}
	for i, r := range all {
		line(r, rows[i].Severity, false)
	}
}
