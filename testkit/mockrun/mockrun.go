// Package mockrun runs the Pulumi program under Pulumi's mocks (infra/graph)
// and returns the declared resource graph. It is test and plan tooling: the
// deployed program (main.go) must not link it, which tests/walls_test.go checks.
package mockrun

import (
	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
)

// Record runs Program under graph.Run with a loaded stack file's config
// (the engine's string form, so the real Pulumi-config path is exercised)
// and returns the declared resource graph. The stack name is the file's.
func Record(f *config.File) (*graph.Graph, error) {
	return graph.Run(graph.RunOptions{
		Project: infra.ProjectName,
		Stack:   f.Stack.Name,
		Config:  f.Values,
	}, infra.Program)
}
