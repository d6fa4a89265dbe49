package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/headroom-dev/headroom/infra/graph"
)

// inventory is a golden file in the shape of Cloud Foundation Fabric's
// tftest inventories (https://github.com/GoogleCloudPlatform/cloud-foundation-fabric,
// tests/): values are a SUBSET of each resource's inputs keyed
// "<type>::<name>", counts per type are exact (0 asserts absence) and every
// declared type must be listed, total is the exact number of resources (a
// new resource type fails the golden), outputs are a subset of the stack
// outputs. `-update`
// writes complete values; trimming a golden by hand keeps it valid.
type inventory struct {
	Values  map[string]map[string]any `yaml:"values"`
	Counts  map[string]int            `yaml:"counts"`
	Total   int                       `yaml:"total"`
	Outputs map[string]any            `yaml:"outputs"`
	// Protected lists the resources with Pulumi's protect option
	// ("<type>::<name>", sorted); exact, like counts.
	Protected []string `yaml:"protected"`
}

func goldenPath(name string) string { return filepath.Join("testdata", "golden", name+".yaml") }

// summarize is the program's inventory: the inputs of every custom
// resource, counts of every type, and the stack outputs.
func summarize(g *graph.Graph) inventory {
	inv := inventory{Values: map[string]map[string]any{}, Counts: g.Counts(), Outputs: graph.Plain(g.Outputs), Protected: []string{}}
	for _, n := range inv.Counts {
		inv.Total += n
	}
	for _, r := range g.Resources {
		if r.Custom {
			inv.Values[r.Type+"::"+r.Name] = graph.Plain(r.Inputs)
		}
		if r.Protect {
			inv.Protected = append(inv.Protected, r.Type+"::"+r.Name)
		}
	}
	sort.Strings(inv.Protected)
	return inv
}

func TestGoldenInventories(t *testing.T) {
	for _, sc := range stackCases {
		t.Run(sc.name, func(t *testing.T) {
			_, g := record(t, sc.path)
			got := summarize(g)
			path := goldenPath(sc.name)
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				data, err := yaml.Marshal(got)
				require.NoError(t, err)
				header := fmt.Sprintf("# Golden inventory of the %s stack's mock run (values/outputs: subset; counts: exact).\n"+
					"# Regenerate: go test ./tests -update\n", sc.name)
				require.NoError(t, os.WriteFile(path, append([]byte(header), data...), 0o644))
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err, "golden missing; run go test ./tests -update")
			var want inventory
			require.NoError(t, yaml.Unmarshal(data, &want), "parse %s", path)

			for key, vals := range want.Values {
				gotVals, ok := got.Values[key]
				if !assert.True(t, ok, "%s: resource %s is not declared", path, key) {
					continue
				}
				for _, d := range subset(key, vals, gotVals) {
					t.Errorf("%s: %s", path, d)
				}
			}
			for typ, n := range want.Counts {
				assert.Equal(t, n, got.Counts[typ], "%s: count of %s", path, typ)
			}
			for typ, n := range got.Counts {
				_, listed := want.Counts[typ]
				assert.True(t, listed, "%s: the program declares %d %s, a type the golden does not list; run go test ./tests -update", path, n, typ)
			}
			assert.Equal(t, want.Total, got.Total, "%s: total resource count", path)
			for _, d := range subset("outputs", want.Outputs, got.Outputs) {
				t.Errorf("%s: %s", path, d)
			}
			assert.Equal(t, want.Protected, got.Protected, "%s: protected resources", path)
		})
	}
}

// subset reports where got does not contain want: maps are compared by
// the keys want has, lists element by element with equal length, scalars
// by value (numbers numerically).
func subset(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want a map, got %v", path, got)}
		}
		var diffs []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diffs = append(diffs, subset(path+"."+k, w[k], gv)...)
		}
		return diffs
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %d elements, got %v", path, len(w), got)}
		}
		var diffs []string
		for i := range w {
			diffs = append(diffs, subset(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return diffs
	default:
		if wn, ok := number(want); ok {
			if gn, ok := number(got); ok && wn == gn {
				return nil
			}
		} else if fmt.Sprint(want) == fmt.Sprint(got) && sameKind(want, got) {
			return nil
		}
		return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func sameKind(a, b any) bool { return fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b) }

func TestSubsetSemantics(t *testing.T) {
	got := map[string]any{
		"name": "pg", "n": 3, "flags": []any{map[string]any{"name": "a", "value": "1"}},
		"nested": map[string]any{"on": true, "x": 1.5},
	}
	tests := []struct {
		name  string
		want  any
		diffs []string
	}{
		{"empty want matches", map[string]any{}, nil},
		{"subset of keys", map[string]any{"name": "pg", "nested": map[string]any{"on": true}}, nil},
		{"int vs float equal", map[string]any{"n": 3.0, "nested": map[string]any{"x": 1.5}}, nil},
		{"wrong scalar", map[string]any{"name": "other"}, []string{"r.name: want other, got pg"}},
		{"missing key", map[string]any{"zone": "a"}, []string{"r.zone: missing"}},
		{"list length", map[string]any{"flags": []any{}}, []string{"r.flags: want 0 elements, got [map[name:a value:1]]"}},
		{"list element subset", map[string]any{"flags": []any{map[string]any{"value": "1"}}}, nil},
		{"type mismatch string vs bool", map[string]any{"nested": map[string]any{"on": "true"}}, []string{"r.nested.on: want true, got true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.diffs, subset("r", tc.want, got))
		})
	}
}

// TestGoldenDetectsDrift guards the golden check itself: a changed value
// in the inventory must be reported.
func TestGoldenDetectsDrift(t *testing.T) {
	_, g := record(t, stackCases[0].path)
	inv := summarize(g)
	var key string
	for k := range inv.Values {
		if strings.HasPrefix(k, graph.TypeConnector+"::") {
			key = k
		}
	}
	require.NotEmpty(t, key)
	want := map[string]any{"maxInstances": 99}
	diffs := subset(key, want, inv.Values[key])
	require.Len(t, diffs, 1)
	assert.Contains(t, diffs[0], "maxInstances: want 99")
}
