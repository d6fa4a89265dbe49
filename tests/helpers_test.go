// Package tests holds Headroom's whole-program tests: the Pulumi program run
// under Pulumi's mocks (infra/graph) for each stack, compared with golden
// inventories and checked by explicit assertions.
package tests

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/testkit/mockrun"
)

var update = flag.Bool("update", false, "rewrite the golden inventories (tests/testdata/golden), the field-incident table (docs/field-incidents.md) and the model-validation table (docs/model-validation.md) from this run")

// stackCase is one stack the program is run for.
type stackCase struct {
	name string // golden file name
	path string // stack file
}

var stackCases = []stackCase{
	{name: "staging", path: config.StackFile("..", "staging")},
	{name: "production", path: config.StackFile("..", "production")},
	{name: "incident", path: filepath.Join("testdata", "incident", "Pulumi.incident.yaml")},
	{name: "probe", path: filepath.Join("testdata", "probe", "Pulumi.probe.yaml")},
}

// record loads a stack file and runs the program for it.
func record(t testing.TB, path string) (*config.File, *graph.Graph) {
	t.Helper()
	f, err := config.LoadFile(path)
	require.NoError(t, err, "load %s", path)
	g, err := mockrun.Record(f)
	require.NoError(t, err, "mock run of %s", path)
	return f, g
}

// in returns the plain value at a dotted path of a resource's inputs
// ("settings.ipConfiguration.sslMode"); nil when absent.
func in(r graph.Resource, path ...string) any {
	return dig(graph.Plain(r.Inputs), path...)
}

// out is in for outputs.
func out(r graph.Resource, path ...string) any {
	return dig(graph.Plain(r.Outputs), path...)
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// list returns v as a list of maps (for arrays of objects).
func list(v any) []map[string]any {
	arr, _ := v.([]any)
	var outl []map[string]any
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			outl = append(outl, m)
		}
	}
	return outl
}
