package report

import (
	"fmt"
	"sort"
	"strings"
)

// Stateful returns the replacements and deletions of stateful resources the
// report's engine operations announce, one per resource: the applied or
// previewed changes (Preview) win over the drift check's.
func (r Report) Stateful() []StatefulChange {
	seen := map[string]bool{}
	var out []StatefulChange
	add := func(c *Changes) {
		if c == nil {
			return
		}
		for _, s := range c.Stateful {
			if !seen[s.URN] {
				seen[s.URN] = true
				out = append(out, s)
			}
		}
	}
	add(r.Preview)
	if r.Drift != nil {
		add(&r.Drift.Preview)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

func allowedWord(c StatefulChange) string {
	if c.Protected {
		return "protected: the engine refuses (pulumi state unprotect first)"
	}
	if c.Allowed {
		return "allowed (--allow-replace)"
	}
	return "not allowed"
}

func statefulRows(cs []StatefulChange) []tableRow {
	rows := []tableRow{}
	for _, c := range cs {
		sev := "fail"
		if c.Allowed {
			sev = "warn"
		}
		rows = append(rows, tableRow{Cells: []tableCell{plain(strings.ToUpper(c.Op)), ident(c.Type), ident(c.Name),
			{{strings.Join(c.Properties, ", "), kindOptional}}, plain(allowedWord(c))}, Severity: sev})
	}
	return rows
}

// statefulSection is printed right under the title: nobody should scroll
// to learn that a database would be replaced.
func (t *textWriter) statefulSection(r Report) {
	cs := r.Stateful()
	if len(cs) == 0 {
		return
	}
	t.printf("%s\n", t.style(fmt.Sprintf("⚠ %d STATEFUL RESOURCE(S) WOULD BE REPLACED OR DELETED", len(cs)), "1", true))
	t.table([]string{"OP", "TYPE", "NAME", "FORCED BY", "ALLOWED"}, statefulRows(cs))
	for _, c := range cs {
		t.printf("  %s: %s\n", c.Name, c.Reason)
	}
}

func (t *textWriter) reconcileLine(r Report) {
	if r.Reconcile == nil {
		return
	}
	rc := r.Reconcile
	sev := map[string]string{ResultInSync: "ok", ResultReconciled: "ok", ResultDrift: "warn"}[rc.Result]
	if sev == "" {
		sev = "fail"
	}
	mode := ""
	if rc.DryRun {
		mode = " (dry run)"
	}
	t.printf("%s%s, exit %d: %s\n", t.style(strings.ToUpper(rc.Result), sevColor(sev), true), mode, rc.ExitCode, rc.Reason)
	t.printf("  started %s, finished %s\n", rc.StartedAt.Format("2006-01-02T15:04:05Z"), rc.FinishedAt.Format("2006-01-02T15:04:05Z"))
}

func (m *mdWriter) statefulSection(r Report) {
	cs := r.Stateful()
	if len(cs) == 0 {
		return
	}
	m.printf("\n> [!CAUTION]\n> **%d stateful resource(s) would be replaced or deleted.** ", len(cs))
	m.printf("Each is refused unless named in `--allow-replace`.\n\n")
	m.table([]string{"Op", "Type", "Name", "Forced by", "Allowed"}, mdRows(statefulRows(cs)))
	for _, c := range cs {
		m.printf("- `%s`: %s\n", c.Name, cell(c.Reason))
	}
}

func (m *mdWriter) reconcileLine(r Report) {
	if r.Reconcile == nil {
		return
	}
	rc := r.Reconcile
	mode := ""
	if rc.DryRun {
		mode = " (dry run)"
	}
	m.printf("\nReconcile result: **%s**%s, exit %d — %s (%s → %s).\n", rc.Result, mode, rc.ExitCode, cell(rc.Reason),
		rc.StartedAt.Format("2006-01-02T15:04:05Z"), rc.FinishedAt.Format("2006-01-02T15:04:05Z"))
}

// reconcileChanges are the engine operations of a reconcile run besides
// the drift check and the re-apply: the refresh and the check afterwards.
func reconcileChanges(r Report) (titles []string, cs []*Changes) {
	if r.Reconcile == nil {
		return nil, nil
	}
	if r.Reconcile.Refresh != nil {
		titles = append(titles, "Reconcile: refresh (the cloud's state recorded)")
		cs = append(cs, r.Reconcile.Refresh)
	}
	if v := r.Reconcile.Verify; v != nil {
		titles = append(titles, "Reconcile: check afterwards, cloud vs state", "Reconcile: check afterwards, program vs state")
		cs = append(cs, &v.Refresh, &v.Preview)
	}
	return titles, cs
}

// headline is the word a report's title gives and its severity (ok, warn,
// fail): the policy verdict, except that a reconcile run says its result
// and an up refused by change safety says REFUSED (the JSON verdict stays
// the policy verdict).
func headline(r Report) (string, string) {
	if rc := r.Reconcile; rc != nil {
		switch rc.Result {
		case ResultInSync, ResultReconciled:
			return strings.ToUpper(rc.Result), "ok"
		case ResultDrift:
			return "DRIFT", "warn"
		}
		return strings.ToUpper(rc.Result), "fail"
	}
	if r.Kind == KindUp && r.Preview != nil && !r.Failed() {
		for _, c := range r.Preview.Stateful {
			if !c.Allowed || c.Protected {
				return "REFUSED", "fail"
			}
		}
	}
	if r.Failed() {
		return strings.ToUpper(VerdictFail), "fail"
	}
	return strings.ToUpper(VerdictPass), "ok"
}
