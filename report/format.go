package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// pct formats a 0–1 ratio as a percentage with one decimal.
func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + " %" }

// secs formats seconds compactly: 45 s, 2.5 s, 0.012 s.
func secs(v float64) string {
	switch {
	case v == 0:
		return "0 s"
	case v < 0.1:
		return strconv.FormatFloat(v, 'f', 3, 64) + " s"
	case v < 100 && v != float64(int(v)):
		return strconv.FormatFloat(v, 'f', 1, 64) + " s"
	default:
		return strconv.FormatFloat(v, 'f', 0, 64) + " s"
	}
}

// mbps formats a throughput.
func mbps(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10) + " Mbps"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " Mbps"
}

// shortURN keeps the last component of a Pulumi URN (the resource name);
// other strings pass through.
func shortURN(s string) string {
	if strings.HasPrefix(s, "urn:pulumi:") {
		if i := strings.LastIndex(s, "::"); i >= 0 {
			return s[i+2:]
		}
	}
	return s
}

// LevelGroup is the violations of one enforcement level.
type LevelGroup struct {
	Level      string
	Violations []Violation
}

// groupByLevel groups sorted violations by level, blocking levels first.
func groupByLevel(vs []Violation) []LevelGroup {
	var out []LevelGroup
	for _, v := range vs {
		if len(out) == 0 || out[len(out)-1].Level != v.Level {
			out = append(out, LevelGroup{Level: v.Level})
		}
		out[len(out)-1].Violations = append(out[len(out)-1].Violations, v)
	}
	return out
}

// summaryLine renders an op → count map deterministically.
func summaryLine(m map[string]int) string {
	return joinSorted(m, func(k string, n int) string { return fmt.Sprintf("%d %s", n, k) })
}

// packsLine renders a pack → version map deterministically.
func packsLine(m map[string]string) string {
	return joinSorted(m, func(k, v string) string { return k + "@" + v })
}

// joinSorted formats each entry of m in key order, comma-separated.
func joinSorted[V any](m map[string]V, format func(string, V) string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, format(k, m[k]))
	}
	return strings.Join(parts, ", ")
}
