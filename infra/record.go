package infra

import (
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
)

// ProjectName is the Pulumi project name (Pulumi.yaml `name:`); it is part
// of every URN.
const ProjectName = "headroom"

// Record runs Program under graph.Run with a loaded stack file's config
// (the engine's string form, so the real Pulumi-config path is exercised)
// and returns the declared resource graph. The stack name is the file's.
func Record(f *config.File) (*graph.Graph, error) {
	return graph.Run(graph.RunOptions{
		Project: ProjectName,
		Stack:   f.Stack.Name,
		Config:  f.Values,
	}, Program)
}
