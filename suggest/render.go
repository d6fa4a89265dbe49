package suggest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/headroom-dev/headroom/report"
)

// SchemaJSON is the JSON Schema of `headroom suggest --format json`.
//
//go:embed suggest.schema.json
var SchemaJSON []byte

// Marker opens the Markdown rendering (the PR comment section).
const Marker = "<!-- headroom-suggest -->"

func pct(v float64) string { return fmt.Sprintf("%.1f %%", v*100) }

func delta(v float64) string {
	if v >= 0 {
		return "+" + report.USD(v)
	}
	return report.USD(v)
}

func dbLine(s Suggestion) string {
	var parts []string
	for _, d := range s.Databases {
		parts = append(parts, fmt.Sprintf("%s demand %d ≤ allowed %d (max_connections %d)", d.Database, d.Demand, d.Allowed, d.MaxConnections))
	}
	return strings.Join(parts, "; ")
}

// Text renders the result for a terminal.
func Text(w io.Writer, r Result) error {
	if r.Kind == KindResources {
		return textResources(w, r)
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	if r.Verdict == report.VerdictPass {
		p("Headroom suggest · stack %s · PASS — nothing needs to change (%s/month estimated)\n", r.Stack, report.USD(r.MonthlyUSD))
		_, err := io.WriteString(w, b.String())
		return err
	}
	p("Headroom suggest · stack %s · FAIL as it is (%s) · now %s/month\n", r.Stack, strings.Join(r.Violations, ", "), report.USD(r.MonthlyUSD))
	p("  %d candidate(s), %d re-planned, %d passing, %.2f s; every fix below was re-planned and passes\n", r.Candidates, r.Planned, r.Passed, r.Seconds)
	if len(r.Suggestions) == 0 {
		p("\nNo passing fix found within the search (see docs/cost.md for what it does not explore).\n")
	}
	for _, s := range r.Suggestions {
		p("\n#%d  %s/month (%s)  %s\n", s.Rank, report.USD(s.MonthlyUSD), delta(s.DeltaUSD), s.Summary)
		for _, c := range s.Changes {
			p("    %s: %s → %s\n", c.Key, nonEmpty(c.From, "(unset)"), c.To)
		}
		p("    after: cold-start success %s, connect p99 %.1f s; %s\n", pct(s.SuccessRate), s.ConnectP99, dbLine(s))
		for _, g := range s.GivesUp {
			p("    gives up: %s\n", g)
		}
		for _, u := range s.Unpriced {
			p("    unpriced: %s\n", u)
		}
	}
	if len(r.Suggestions) > 0 {
		p("\nPatch of the best fix (headroom suggest --format patch --out fix.patch; git apply fix.patch):\n\n%s", r.Suggestions[0].Diff)
	}
	p("\nCosts: %s.\n", r.CostLabel)
	_, err := io.WriteString(w, b.String())
	return err
}

// Markdown renders the result for a pull-request comment, with GitHub
// suggestion blocks for the best fix.
func Markdown(w io.Writer, r Result) error {
	if r.Kind == KindResources {
		return markdownResources(w, r)
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("%s\n", Marker)
	if r.Verdict == report.VerdictPass {
		p("### ✅ Headroom suggest: `%s` — nothing needs to change\n\nEstimated %s/month.\n", r.Stack, report.USD(r.MonthlyUSD))
		_, err := io.WriteString(w, b.String())
		return err
	}
	p("### 🛠️ Headroom suggest: `%s` — fixes that pass, cheapest first\n\n", r.Stack)
	p("Refused as it is (%s), estimated %s/month now. Every fix below was applied to `%s` and re-planned: it passes.\n\n",
		codeList(r.Violations), report.USD(r.MonthlyUSD), r.File)
	if len(r.Suggestions) == 0 {
		p("_No passing fix found within the search._\n")
	} else {
		p("| # | Monthly | Δ | Fix | After | Gives up |\n|---|---|---|---|---|---|\n")
		for _, s := range r.Suggestions {
			p("| %d | %s | %s | %s | success %s, p99 %.1f s | %s |\n", s.Rank, report.USD(s.MonthlyUSD), delta(s.DeltaUSD),
				mdCell(s.Summary), pct(s.SuccessRate), s.ConnectP99, mdCell(nonEmpty(strings.Join(s.GivesUp, "; "), "—")))
		}
		best := r.Suggestions[0]
		p("\n#### Best fix: %s\n\n", mdCell(best.Summary))
		for _, h := range best.Hunks {
			p("`%s` lines %d–%d:\n\n```suggestion\n%s\n```\n\n", h.Path, h.StartLine, h.EndLine, h.Suggestion)
		}
		p("<details><summary>Patch (<code>git apply</code>)</summary>\n\n```diff\n%s```\n\n</details>\n", best.Diff)
	}
	p("\n_Costs: %s._\n", r.CostLabel)
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func codeList(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = "`" + x + "`"
	}
	return strings.Join(out, ", ")
}

// JSON writes the result as indented JSON (suggest.schema.json).
func JSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Patch writes the best fix's unified diff (empty when there is none).
func Patch(w io.Writer, r Result) error {
	if len(r.Suggestions) == 0 {
		return nil
	}
	_, err := io.WriteString(w, r.Suggestions[0].Diff)
	return err
}
