package report

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// The capacity diff (`headroom plan --base`) compares two plans of one stack
// — the base (a git ref's stack file, or a saved JSON plan) and the head —
// over the JSON model, not the Go structs: both sides are JSON documents, and
// each section of the diff is a list of keyed rows found at a path of that
// document. A row that a newer plan adds (a new scenario, a new region) shows
// up without code changes; a section the base does not have (a saved plan
// from an older version) compares against nothing.

// Diff is the change from a base plan to the head plan of one stack.
type Diff struct {
	Base DiffBase `json:"base"`
	// Changed is true when any row or violation differs.
	Changed bool `json:"changed"`
	// ThresholdCrossed is true when the verdict, a severity or verdict cell,
	// or the set of violations changed, or a scenario appeared or went away.
	ThresholdCrossed bool         `json:"thresholdCrossed"`
	Verdict          FieldChange  `json:"verdict"`
	Sections         []DiffTable  `json:"sections"`
	Violations       ViolationSet `json:"violations"`
}

// DiffBase says what the head was compared with.
type DiffBase struct {
	// Source is the --base argument: a git ref or a JSON plan file.
	Source string `json:"source"`
	// Kind is "ref" or "file".
	Kind string `json:"kind"`
	// Note explains a base that could not be planned or had no stack file;
	// the head is then compared with an empty plan.
	Note string `json:"note,omitempty"`
}

// DiffTable is one section of the diff: the rows that differ.
type DiffTable struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Key names the row key (e.g. "database", "scenario").
	Key  string    `json:"key"`
	Rows []DiffRow `json:"rows"`
	// Unchanged counts the rows present and equal on both sides.
	Unchanged int `json:"unchanged"`
}

// Row statuses.
const (
	RowAdded   = "added"
	RowRemoved = "removed"
	RowChanged = "changed"
)

// DiffRow is one keyed row that was added, removed or changed.
type DiffRow struct {
	Key    string        `json:"key"`
	Status string        `json:"status"`
	Fields []FieldChange `json:"fields"`
}

// FieldChange is one field of a row, before → after (null when absent).
type FieldChange struct {
	Field   string `json:"field,omitempty"`
	Before  any    `json:"before"`
	After   any    `json:"after"`
	Changed bool   `json:"changed"`
}

// ViolationSet is the violations added by the head and resolved by it.
type ViolationSet struct {
	Added    []Violation `json:"added"`
	Resolved []Violation `json:"resolved"`
	// Unchanged counts violations of the same policy on the same resource
	// (or the stack) on both sides.
	Unchanged int `json:"unchanged"`
}

// diffSection says where a section's rows are in the JSON model, how they
// are keyed and which fields are compared.
type diffSection struct {
	id, title string
	// paths are tried in order; rows of every path found are merged (the
	// first path wins a duplicate key).
	paths []string
	// keys are the fields joined into the row key ("/"); the first one
	// present names the key column. Alternatives are separated by "|".
	keys []string
	// keyLabel names the key column (default: the key fields' first
	// alternatives joined by "/").
	keyLabel string
	// fields are compared, in order, when present on either side; empty
	// means every scalar field (nested objects flattened as a.b).
	fields []string
	// severityFields are the fields whose change crosses a threshold (and
	// any field ending in ".severity").
	severityFields []string
	// changedPrefixes: fields under these prefixes are shown when they
	// changed (a scenario's per-check verdicts, "checks.<check>.severity").
	changedPrefixes []string
}

// diffSections is the catalog of compared sections, in report order. A
// section whose path is absent on both sides is left out, so sections that
// other parts of the model add later only need an entry here.
var diffSections = []diffSection{
	{id: "scenarios", title: "Scenarios (predicted)", paths: []string{"scenarios", "$simulation"},
		keys:           []string{"id|scenario|name"},
		fields:         []string{"verdict", "severity", "successRate", "startupSuccessRate", "connectP99Seconds", "timeToReadyP99Seconds", "peakSlotsUsed", "demand", "allowed"},
		severityFields: []string{"verdict", "severity"}, changedPrefixes: []string{"checks."}},
	{id: "databases", title: "Connection budget per database", paths: []string{"capacity.databases"},
		keys:           []string{"database"},
		fields:         []string{"demand", "allowed", "utilization", "maxConnections", "severity"},
		severityFields: []string{"severity"}},
	{id: "egress", title: "Egress per region", paths: []string{"capacity.regions"},
		keys:           []string{"region"},
		fields:         []string{"coldStartMbps", "demandMbps", "capacityMinMbps", "capacityMaxMbps", "scaleOutsNeeded", "severity"},
		severityFields: []string{"severity"}},
	{id: "timeouts", title: "Timeout budget per workload", paths: []string{"capacity.timeouts"},
		keys:           []string{"workload"},
		fields:         []string{"worstCaseSeconds", "connectTimeoutSeconds", "probeWindowSeconds", "severity"},
		severityFields: []string{"severity"}},
	{id: "cost", title: "Estimated monthly cost (USD, list prices of one region, no discounts)", paths: []string{"cost.lines", "$costTotal"},
		keys: []string{"kind|total", "name"}, keyLabel: "item", fields: []string{"monthlyUsd", "maxMonthlyUsd", "detail"}},
	{id: "resources.databases", title: "Resources: Cloud SQL", paths: []string{"resources.databases"}, keys: []string{"name"}},
	{id: "resources.egress", title: "Resources: VPC egress", paths: []string{"resources.egress"}, keys: []string{"region"}},
	{id: "resources.services", title: "Resources: Cloud Run", paths: []string{"resources.services"}, keys: []string{"name"}},
	{id: "resources.types", title: "Resources: count by type", paths: []string{"resources.byType"}, keys: []string{"type"}},
}

// ToDocument turns a report into its JSON model (what --format json prints).
func ToDocument(r Report) (map[string]any, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return ParseDocument(b)
}

// ParseDocument reads a JSON plan (the output of `headroom plan --format
// json`). Numbers stay json.Number-free float64s, as encoding/json gives.
func ParseDocument(b []byte) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	if k, _ := doc["kind"].(string); k != KindPlan {
		return nil, fmt.Errorf(`"kind" is %q, want "plan" (the output of headroom plan --format json)`, k)
	}
	return doc, nil
}

// Compare computes the diff from base to head. base may be nil (no base
// plan: every row is added).
func Compare(base, head map[string]any, src DiffBase) *Diff {
	d := &Diff{Base: src, Sections: []DiffTable{}}
	vb, _ := lookup(base, "verdict").(string)
	vh, _ := lookup(head, "verdict").(string)
	d.Verdict = FieldChange{Field: "verdict", Before: nilIfEmpty(vb), After: nilIfEmpty(vh), Changed: vb != vh}
	if d.Verdict.Changed {
		d.Changed, d.ThresholdCrossed = true, true
	}
	for _, s := range diffSections {
		rb, okb := sectionRows(base, s)
		rh, okh := sectionRows(head, s)
		if !okb && !okh {
			continue
		}
		t := compareRows(s, rb, rh)
		for _, r := range t.Rows {
			d.Changed = true
			if r.Status != RowChanged && s.id == "scenarios" {
				d.ThresholdCrossed = true
			}
			for _, f := range r.Fields {
				if f.Changed && isSeverityField(s, f.Field) {
					d.ThresholdCrossed = true
				}
			}
		}
		d.Sections = append(d.Sections, t)
	}
	d.Violations = compareViolations(violations(base), violations(head), scenarioIDs(base, head))
	if len(d.Violations.Added)+len(d.Violations.Resolved) > 0 {
		d.Changed, d.ThresholdCrossed = true, true
	}
	return d
}

func isSeverityField(s diffSection, field string) bool {
	return contains(s.severityFields, field) || strings.HasSuffix(field, ".severity")
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// row is one keyed row of a section: key, key column name, flattened fields.
type row struct {
	key    string
	fields map[string]any
	order  []string
}

func sectionRows(doc map[string]any, s diffSection) ([]row, bool) {
	if doc == nil {
		return nil, false
	}
	var out []row
	seen := map[string]bool{}
	found := false
	for _, p := range s.paths {
		var items []any
		if p == "$costTotal" {
			// The cost estimate's total is a row of its own.
			c, ok := lookup(doc, "cost").(map[string]any)
			if !ok {
				continue
			}
			items = []any{map[string]any{"total": "total", "monthlyUsd": c["monthlyUsd"], "maxMonthlyUsd": c["maxMonthlyUsd"], "detail": c["label"]}}
		} else if p == "$simulation" {
			// The cold-start simulation is the "cold-start" scenario of a
			// plan that has no scenario list.
			sim, ok := lookup(doc, "simulation").(map[string]any)
			if !ok {
				continue
			}
			m := map[string]any{"id": "cold-start"}
			for k, v := range sim {
				m[k] = v
			}
			items = []any{m}
		} else {
			v, ok := lookup(doc, p).([]any)
			if !ok {
				continue
			}
			items = v
		}
		found = true
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			r := row{fields: map[string]any{}}
			flatten("", m, r.fields, &r.order)
			var parts []string
			for _, k := range s.keys {
				for _, alt := range strings.Split(k, "|") {
					if v, ok := r.fields[alt]; ok && v != nil && fmt.Sprint(v) != "" {
						parts = append(parts, fmt.Sprint(v))
						break
					}
				}
			}
			r.key = strings.Join(parts, "/")
			if r.key == "" {
				continue
			}
			if seen[r.key] {
				// A later path adds the fields an earlier row lacks (the
				// cold-start simulation's figures on the cold-start scenario).
				for i := range out {
					if out[i].key != r.key {
						continue
					}
					for _, f := range r.order {
						if _, ok := out[i].fields[f]; !ok {
							out[i].fields[f] = r.fields[f]
							out[i].order = append(out[i].order, f)
						}
					}
				}
				continue
			}
			seen[r.key] = true
			out = append(out, r)
		}
	}
	return out, found
}

// flatten copies scalar fields; nested objects become a.b; arrays are left
// out (they are lists with their own sections, or series).
func flatten(prefix string, m map[string]any, out map[string]any, order *[]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		switch v := m[k].(type) {
		case map[string]any:
			flatten(name, v, out, order)
		case []any:
			// A list of objects each named by a unique "check", "id" or
			// "name" (a scenario's per-check verdicts) flattens as
			// name.<item>.field; other lists are left out (sections of
			// their own, series, findings with repeated names).
			if items, ok := keyedItems(v); ok {
				ids := make([]string, 0, len(items))
				for id := range items {
					ids = append(ids, id)
				}
				sort.Strings(ids)
				for _, id := range ids {
					flatten(name+"."+id, items[id], out, order)
				}
			}
		default:
			out[name] = v
			*order = append(*order, name)
		}
	}
}

// keyedItems indexes a list of objects by their unique check/id/name;
// long prose fields (message, description) are dropped.
func keyedItems(list []any) (map[string]map[string]any, bool) {
	out := map[string]map[string]any{}
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, false
		}
		id := ""
		for _, k := range []string{"check", "id", "name"} {
			if s, ok := m[k].(string); ok && s != "" {
				id = s
				break
			}
		}
		if id == "" || out[id] != nil || strings.Contains(id, ".") {
			return nil, false
		}
		item := map[string]any{}
		for k, v := range m {
			if k != "message" && k != "description" && k != "check" && k != "id" && k != "name" {
				item[k] = v
			}
		}
		out[id] = item
	}
	return out, len(out) > 0
}

func compareRows(s diffSection, base, head []row) DiffTable {
	firsts := make([]string, len(s.keys))
	for i, k := range s.keys {
		firsts[i] = strings.Split(k, "|")[0]
	}
	t := DiffTable{ID: s.id, Title: s.title, Key: strings.Join(firsts, "/"), Rows: []DiffRow{}}
	if s.keyLabel != "" {
		t.Key = s.keyLabel
	}
	bm := map[string]row{}
	for _, r := range base {
		bm[r.key] = r
	}
	hm := map[string]bool{}
	for _, h := range head {
		hm[h.key] = true
		b, ok := bm[h.key]
		if !ok {
			t.Rows = append(t.Rows, DiffRow{Key: h.key, Status: RowAdded, Fields: fieldChanges(s, nil, h.fields, h.order)})
			continue
		}
		fc := fieldChanges(s, b.fields, h.fields, h.order)
		changed := false
		for _, f := range fc {
			changed = changed || f.Changed
		}
		if !changed {
			t.Unchanged++
			continue
		}
		t.Rows = append(t.Rows, DiffRow{Key: h.key, Status: RowChanged, Fields: fc})
	}
	for _, b := range base {
		if !hm[b.key] {
			t.Rows = append(t.Rows, DiffRow{Key: b.key, Status: RowRemoved, Fields: fieldChanges(s, b.fields, nil, b.order)})
		}
	}
	return t
}

// fieldChanges lists the section's fields present on either side. With no
// field list, every scalar field except the key fields is compared, and a
// changed row lists only the fields that changed.
func fieldChanges(s diffSection, b, h map[string]any, order []string) []FieldChange {
	names := resolveFields(s.fields, b, h)
	all := len(s.fields) == 0
	if all {
		names = order
		if h == nil {
			names = nil
			for k := range b {
				names = append(names, k)
			}
			sort.Strings(names)
		}
		// fields only the base has
		for k := range b {
			if _, ok := h[k]; !ok && h != nil && !contains(names, k) {
				names = append(names, k)
			}
		}
	}
	if len(s.changedPrefixes) > 0 && b != nil && h != nil {
		var extra []string
		for _, m := range []map[string]any{b, h} {
			for k := range m {
				for _, p := range s.changedPrefixes {
					if strings.HasPrefix(k, p) && !contains(extra, k) && !reflect.DeepEqual(b[k], h[k]) {
						extra = append(extra, k)
					}
				}
			}
		}
		sort.Strings(extra)
		names = append(names, extra...)
	}
	keyFields := map[string]bool{}
	for _, k := range s.keys {
		for _, alt := range strings.Split(k, "|") {
			keyFields[alt] = true
		}
	}
	out := []FieldChange{}
	for _, n := range names {
		if keyFields[n] {
			continue
		}
		bv, bok := b[n]
		hv, hok := h[n]
		if !bok && !hok {
			continue
		}
		f := FieldChange{Field: n, Before: bv, After: hv, Changed: !reflect.DeepEqual(bv, hv)}
		if all && b != nil && h != nil && !f.Changed {
			continue
		}
		out = append(out, f)
	}
	return out
}

// resolveFields maps listed field names to the flattened names present on
// either side: an exact name, else a nested one ending in ".name" (a
// scenario that nests its figures, e.g. "simulation.successRate").
func resolveFields(fields []string, b, h map[string]any) []string {
	out := []string{}
	for _, n := range fields {
		if _, ok := b[n]; ok {
			out = append(out, n)
			continue
		}
		if _, ok := h[n]; ok {
			out = append(out, n)
			continue
		}
		var cands []string
		for _, m := range []map[string]any{b, h} {
			for k := range m {
				if strings.HasSuffix(k, "."+n) && !contains(cands, k) {
					cands = append(cands, k)
				}
			}
		}
		sort.Strings(cands)
		if len(cands) > 0 && !contains(out, cands[0]) {
			out = append(out, cands[0])
		}
	}
	return out
}

func violations(doc map[string]any) []Violation {
	arr, _ := lookup(doc, "violations").([]any)
	out := []Violation{}
	for _, it := range arr {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		out = append(out, Violation{Policy: str("policy"), Level: str("level"), Message: str("message"), Resource: str("resource")})
	}
	return out
}

// compareViolations matches violations by policy, resource (the URN's
// name, so a renamed stack still matches) and scenario (the "<scenario>: "
// a message starts with, for the scenario ids either plan lists): first
// those with the same message, then the rest one for one in order.
// Messages carry numbers, so a persisting violation whose figures moved is
// unchanged, not added and resolved.
func compareViolations(base, head []Violation, scenarios map[string]bool) ViolationSet {
	key := func(v Violation) string {
		k := v.Policy + "\x00" + shortURN(v.Resource)
		if i := strings.Index(v.Message, ": "); i > 0 && scenarios[v.Message[:i]] {
			k += "\x00" + v.Message[:i]
		}
		return k
	}
	s := ViolationSet{Added: []Violation{}, Resolved: []Violation{}}
	usedB := make([]bool, len(base))
	matchedH := make([]bool, len(head))
	for pass := 0; pass < 2; pass++ {
		for i, h := range head {
			if matchedH[i] {
				continue
			}
			for j, b := range base {
				if usedB[j] || key(b) != key(h) || (pass == 0 && b.Message != h.Message) {
					continue
				}
				usedB[j], matchedH[i] = true, true
				s.Unchanged++
				break
			}
		}
	}
	for i, h := range head {
		if !matchedH[i] {
			s.Added = append(s.Added, h)
		}
	}
	for j, b := range base {
		if !usedB[j] {
			s.Resolved = append(s.Resolved, b)
		}
	}
	return s
}

// scenarioIDs are the scenario ids either document lists.
func scenarioIDs(docs ...map[string]any) map[string]bool {
	ids := map[string]bool{}
	for _, d := range docs {
		list, _ := lookup(d, "scenarios").([]any)
		for _, it := range list {
			if m, ok := it.(map[string]any); ok {
				if id, ok := m["id"].(string); ok && id != "" {
					ids[id] = true
				}
			}
		}
	}
	return ids
}

// lookup walks a dotted path of object keys.
func lookup(doc map[string]any, path string) any {
	var cur any = doc
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Comment policies for --comment-when.
const (
	CommentAlways    = "always"
	CommentChanged   = "changed"
	CommentThreshold = "threshold"
)

// ShouldComment says whether a PR comment is due under policy.
func (d *Diff) ShouldComment(policy string) bool {
	switch policy {
	case CommentChanged:
		return d.Changed
	case CommentThreshold:
		return d.ThresholdCrossed
	}
	return true
}
