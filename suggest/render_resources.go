package suggest

import (
	"fmt"
	"io"
	"strings"

	"github.com/headroom-dev/headroom/report"
)

// Renderings of a Result of KindResources: each fix as property edits of
// resources (no patch: there is no stack file), then the advice.

func textResources(w io.Writer, r Result) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	if r.Verdict == report.VerdictPass {
		p("Headroom suggest · stack %s (%s) · PASS — nothing needs to change (%s/month estimated)\n", r.Stack, r.File, report.USD(r.MonthlyUSD))
		_, err := io.WriteString(w, b.String())
		return err
	}
	p("Headroom suggest · stack %s (%s) · FAIL as it is (%s) · now %s/month\n", r.Stack, r.File, strings.Join(r.Violations, ", "), report.USD(r.MonthlyUSD))
	p("  %d candidate(s), %d re-planned, %d passing, %.2f s; every fix below was applied to the resources, re-judged and passes\n",
		r.Candidates, r.Planned, r.Passed, r.Seconds)
	if len(r.Suggestions) == 0 {
		p("\nNo passing fix found within the search (see docs/cost.md for what it does not explore).\n")
	}
	for _, s := range r.Suggestions {
		p("\n#%d  %s/month (%s)  %s\n", s.Rank, report.USD(s.MonthlyUSD), delta(s.DeltaUSD), s.Summary)
		for _, c := range s.ResourceChanges {
			p("    %s `%s`: %s %s → %s\n", shortType(c.Type), c.Resource, c.Setting, c.From, c.To)
		}
		p("    after: cold-start success %s, connect p99 %.1f s; %s\n", pct(s.SuccessRate), s.ConnectP99, dbLine(s))
		for _, g := range s.GivesUp {
			p("    gives up: %s\n", g)
		}
		for _, u := range s.Unpriced {
			p("    unpriced: %s\n", u)
		}
	}
	if len(r.Advice) > 0 {
		p("\nNot verified (no property edit can make these; set them where named):\n")
		for _, a := range r.Advice {
			p("  - %s: %s\n", a.Resource, a.What)
		}
	}
	p("\nCosts: %s.\n", r.CostLabel)
	_, err := io.WriteString(w, b.String())
	return err
}

func markdownResources(w io.Writer, r Result) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("%s\n", Marker)
	if r.Verdict == report.VerdictPass {
		p("### ✅ Headroom suggest: `%s` — nothing needs to change\n\nEstimated %s/month.\n", r.Stack, report.USD(r.MonthlyUSD))
		_, err := io.WriteString(w, b.String())
		return err
	}
	p("### 🛠️ Headroom suggest: `%s` — fixes that pass, cheapest first\n\n", r.Stack)
	p("Refused as it is (%s), estimated %s/month now. Every fix below was applied to the resources of `%s` and re-judged: it passes.\n\n",
		codeList(r.Violations), report.USD(r.MonthlyUSD), r.File)
	if len(r.Suggestions) == 0 {
		p("_No passing fix found within the search._\n")
	}
	for _, s := range r.Suggestions {
		p("**#%d** %s/month (%s): %s\n\n| Resource | Setting | From | To |\n|---|---|---|---|\n", s.Rank, report.USD(s.MonthlyUSD), delta(s.DeltaUSD), mdCell(s.Summary))
		for _, c := range s.ResourceChanges {
			p("| %s `%s` | %s | %s | %s |\n", shortType(c.Type), mdCell(c.Resource), mdCell(c.Setting), mdCell(c.From), mdCell(c.To))
		}
		if len(s.GivesUp) > 0 {
			p("\nGives up: %s\n", mdCell(strings.Join(s.GivesUp, "; ")))
		}
		p("\n")
	}
	if len(r.Advice) > 0 {
		p("**Not verified** (no property edit can make these):\n\n")
		for _, a := range r.Advice {
			p("- `%s`: %s\n", a.Resource, a.What)
		}
	}
	p("\n_Costs: %s._\n", r.CostLabel)
	_, err := io.WriteString(w, b.String())
	return err
}

// shortType is a type token's last part ("DatabaseInstance").
func shortType(t string) string {
	if i := strings.LastIndexByte(t, ':'); i >= 0 {
		return t[i+1:]
	}
	return t
}
