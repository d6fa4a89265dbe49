package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/muesli/termenv"
)

// DiffMarker opens the Markdown diff; the PR comment leads with it.
const DiffMarker = "<!-- headroom-diff -->"

// diffLabels are the column labels of known fields; any other field is
// labelled by its JSON name, so new fields need no code.
var diffLabels = map[string]string{
	"id":                    "scenario",
	"successRate":           "startup success",
	"startupSuccessRate":    "startup success",
	"connectP99Seconds":     "connect p99",
	"timeToReadyP99Seconds": "ready p99",
	"peakSlotsUsed":         "peak slots",
	"maxConnections":        "max_connections",
	"severity":              "verdict",
	"coldStartMbps":         "cold-start egress",
	"demandMbps":            "egress at max scale",
	"capacityMinMbps":       "capacity at min",
	"capacityMaxMbps":       "capacity at max",
	"scaleOutsNeeded":       "scale-outs",
	"worstCaseSeconds":      "worst-case connect",
	"connectTimeoutSeconds": "connect timeout",
	"probeWindowSeconds":    "probe window",
	"monthlyUsd":            "per month",
	"maxMonthlyUsd":         "per month at max scale",
}

func diffLabel(field string) string {
	// A per-check verdict: "checks.<check>.severity" → "<check>".
	if strings.HasPrefix(field, "checks.") && strings.HasSuffix(field, ".severity") {
		return strings.TrimSuffix(strings.TrimPrefix(field, "checks."), ".severity")
	}
	base := field
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		base = field[i+1:]
	}
	if l, ok := diffLabels[base]; ok {
		return l
	}
	return field
}

// diffValue formats one value by the convention of its field name: ratios
// as percentages, *Seconds as seconds, *Mbps as throughput, *Usd as dollars.
func diffValue(field string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		low := strings.ToLower(field)
		switch {
		case strings.HasSuffix(low, "rate") || strings.HasSuffix(low, "utilization"):
			return pct(x)
		case strings.HasSuffix(low, "seconds"):
			return secs(x)
		case strings.HasSuffix(low, "mbps"):
			return mbps(x)
		case strings.HasSuffix(low, "usd"):
			return "$" + strconv.FormatFloat(x, 'f', 2, 64)
		case x == math.Trunc(x) && math.Abs(x) < 1e15:
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return fmt.Sprint(v)
}

// change renders before → after, or the value alone when equal.
func (f FieldChange) render(arrow string) string {
	b, a := diffValue(f.Field, f.Before), diffValue(f.Field, f.After)
	if !f.Changed {
		return a
	}
	return b + arrow + a
}

// columns are the fields shown for a section: every field any row has, in
// first-seen order.
func (t DiffTable) columns() []string {
	var cols []string
	for _, r := range t.Rows {
		for _, f := range r.Fields {
			if !contains(cols, f.Field) {
				cols = append(cols, f.Field)
			}
		}
	}
	return cols
}

func (r DiffRow) field(name string) (FieldChange, bool) {
	for _, f := range r.Fields {
		if f.Field == name {
			return f, true
		}
	}
	return FieldChange{}, false
}

func (d *Diff) verdictLine() string {
	return fmt.Sprintf("%s → %s", strings.ToUpper(diffValue("", d.Verdict.Before)), strings.ToUpper(diffValue("", d.Verdict.After)))
}

func (d *Diff) summaryParts() []string {
	parts := []string{}
	if d.Base.Note != "" {
		parts = append(parts, d.Base.Note)
	}
	n := 0
	for _, s := range d.Sections {
		if len(s.Rows) > 0 {
			n++
		}
	}
	parts = append(parts, fmt.Sprintf("%d section(s) changed", n))
	for _, t := range d.Sections {
		for _, r := range t.Rows {
			if t.ID == "cost" && r.Key == "total" {
				if f, ok := r.field("monthlyUsd"); ok {
					parts = append(parts, "estimated cost "+f.render(" → ")+" a month")
				}
			}
		}
	}
	parts = append(parts, fmt.Sprintf("violations: %d added, %d resolved, %d unchanged",
		len(d.Violations.Added), len(d.Violations.Resolved), d.Violations.Unchanged))
	if d.ThresholdCrossed {
		parts = append(parts, "a threshold was crossed")
	}
	return parts
}

// DiffMarkdown renders the diff as the head of a PR comment.
func DiffMarkdown(w io.Writer, stack string, d *Diff, opts MarkdownOptions) error {
	if opts.HeadingLevel <= 0 {
		opts.HeadingLevel = 2
	}
	m := &mdWriter{b: &strings.Builder{}, h: opts.HeadingLevel}
	m.printf("%s\n", DiffMarker)
	icon := "➖"
	switch {
	case d.Verdict.Changed && d.Verdict.After == VerdictFail:
		icon = "🔻"
	case d.Verdict.Changed:
		icon = "🔺"
	case d.Changed:
		icon = "🔀"
	}
	what := "Capacity change"
	if d.Verdict.Changed {
		what += " " + d.verdictLine()
	}
	m.heading(0, fmt.Sprintf("%s %s: `%s` against `%s`", icon, what, stack, d.Base.Source))
	if !d.Changed {
		m.printf("No capacity change against `%s` (%s): same verdict, figures, violations and resources.\n", d.Base.Source, d.Base.Kind)
		_, err := io.WriteString(w, m.b.String())
		return err
	}
	m.printf("base `%s` (%s) · %s.\n", d.Base.Source, d.Base.Kind, strings.Join(d.summaryParts(), " · "))
	vrows := func(vs []Violation) [][]string {
		rows := [][]string{}
		for _, v := range vs {
			res := "(stack)"
			if v.Resource != "" {
				res = "`" + shortURN(v.Resource) + "`"
			}
			rows = append(rows, []string{sevIcon(v.Level), "`" + v.Policy + "`", res, v.Message})
		}
		return rows
	}
	if len(d.Violations.Added) > 0 {
		m.heading(1, fmt.Sprintf("Violations added (%d)", len(d.Violations.Added)))
		m.table([]string{"Level", "Policy", "Resource", "What to change"}, vrows(d.Violations.Added))
	}
	if len(d.Violations.Resolved) > 0 {
		m.heading(1, fmt.Sprintf("Violations resolved (%d)", len(d.Violations.Resolved)))
		m.table([]string{"Level", "Policy", "Resource", "Was"}, vrows(d.Violations.Resolved))
	}
	for _, t := range d.Sections {
		if len(t.Rows) == 0 {
			continue
		}
		m.heading(1, fmt.Sprintf("%s (%d changed, %d unchanged)", t.Title, len(t.Rows), t.Unchanged))
		cols := t.columns()
		header := []string{diffLabel(t.Key), "change"}
		for _, c := range cols {
			header = append(header, diffLabel(c))
		}
		rows := [][]string{}
		for _, r := range t.Rows {
			cells := []string{"`" + r.Key + "`", r.Status}
			for _, c := range cols {
				f, ok := r.field(c)
				switch {
				case !ok:
					cells = append(cells, "—")
				case isVerdictField(c):
					if f.Changed {
						cells = append(cells, mdSev(f.Before)+" → "+mdSev(f.After))
					} else {
						cells = append(cells, mdSev(f.After))
					}
				case f.Changed:
					cells = append(cells, diffValue(c, f.Before)+" → **"+diffValue(c, f.After)+"**")
				default:
					cells = append(cells, diffValue(c, f.After))
				}
			}
			rows = append(rows, cells)
		}
		m.table(header, rows)
	}
	_, err := io.WriteString(w, m.b.String())
	return err
}

func isVerdictField(c string) bool {
	return c == "severity" || c == "verdict" || strings.HasSuffix(c, ".severity")
}

func mdSev(v any) string {
	if v == nil {
		return "—"
	}
	return sevIcon(fmt.Sprint(v))
}

// DiffText renders the diff for a terminal.
func DiffText(w io.Writer, stack string, d *Diff, opts TextOptions) error {
	p := termenv.Ascii
	if opts.Color {
		p = termenv.ANSI
	}
	t := &textWriter{p: p, b: &strings.Builder{}}
	title := fmt.Sprintf("Headroom capacity change · stack %s against %s (%s)", stack, d.Base.Source, d.Base.Kind)
	if d.Verdict.Changed {
		sev := map[any]string{VerdictPass: "ok", VerdictFail: "fail"}[d.Verdict.After]
		title += " · " + t.style(d.verdictLine(), sevColor(sev), true)
	}
	t.printf("%s\n", title)
	if !d.Changed {
		t.printf("  no change: same verdict, figures, violations and resources\n")
		_, err := io.WriteString(w, t.b.String())
		return err
	}
	t.printf("  %s\n", strings.Join(d.summaryParts(), " · "))
	vlist := func(title, mark string, vs []Violation, color string) {
		if len(vs) == 0 {
			return
		}
		t.section(fmt.Sprintf("%s (%d)", title, len(vs)))
		for _, v := range vs {
			res := ""
			if v.Resource != "" {
				res = "  " + shortURN(v.Resource)
			}
			t.printf("  %s %s %s%s\n", t.style(mark, color, false), v.Level, t.style(v.Policy, "", true), res)
			t.printf("      %s\n", v.Message)
		}
	}
	vlist("Violations added", "+", d.Violations.Added, "1")
	vlist("Violations resolved", "-", d.Violations.Resolved, "2")
	for _, s := range d.Sections {
		if len(s.Rows) == 0 {
			continue
		}
		t.section(fmt.Sprintf("%s (%d changed, %d unchanged)", s.Title, len(s.Rows), s.Unchanged))
		cols := s.columns()
		header := []string{diffLabel(s.Key), "change"}
		for _, c := range cols {
			header = append(header, diffLabel(c))
		}
		rows := []tableRow{}
		for _, r := range s.Rows {
			cells := []tableCell{plain(r.Key), plain(r.Status)}
			sev := ""
			for _, c := range cols {
				f, ok := r.field(c)
				if !ok {
					cells = append(cells, plain("-"))
					continue
				}
				cells = append(cells, plain(f.render(" → ")))
				// Text colors a row's last cell by its severity.
				if isVerdictField(c) && c == cols[len(cols)-1] {
					sev, _ = f.After.(string)
				}
			}
			rows = append(rows, tableRow{Cells: cells, Severity: sev})
		}
		t.table(header, rows)
	}
	_, err := io.WriteString(w, t.b.String())
	return err
}
