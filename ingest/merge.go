package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Merge judges several stacks as one graph: a platform stack's database and
// the app stacks' services, bound the way the pack binds any service to an
// instance (connection name, private IP, host). URNs carry their stack, so
// the resources never collide; the same stack given twice is an error.
// The merged stack is named "a+b+c" after its parts.
func Merge(stacks ...*Stack) (*Stack, error) {
	switch len(stacks) {
	case 0:
		return nil, errors.New("no stack to judge")
	case 1:
		return stacks[0], nil
	}
	out := &Stack{Kind: stacks[0].Kind, Project: stacks[0].Project, Outputs: property.Map{}}
	var names, sources []string
	seen := map[string]string{}
	for _, s := range stacks {
		id := s.Project + "/" + s.Name
		if prev, ok := seen[id]; ok {
			return nil, fmt.Errorf("%s and %s are the same stack %s: give each stack once", prev, s.Source, id)
		}
		seen[id] = s.Source
		names = append(names, s.Name)
		sources = append(sources, s.Source)
		if s.Kind != out.Kind {
			out.Kind = KindState
		}
		out.Resources = append(out.Resources, s.Resources...)
	}
	out.Name = strings.Join(names, "+")
	out.Source = strings.Join(sources, ", ")
	return out, nil
}
