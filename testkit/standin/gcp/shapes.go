package gcp

import "github.com/headroom-dev/headroom/infra/gcpfake"

// Computed outputs and IDs come from infra/gcpfake, the one table the
// offline mocks (infra/graph) use too, so a real preview under the
// stand-in and an offline plan see the same resources.

// cloud is the stand-in's state as the table sees it.
func (s *State) cloud() []gcpfake.Resource {
	out := make([]gcpfake.Resource, 0, len(s.Resources))
	for _, r := range s.Resources {
		out = append(out, gcpfake.Resource{Type: r.Type, Outputs: r.outputs()})
	}
	return out
}
