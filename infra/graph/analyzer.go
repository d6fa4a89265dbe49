package graph

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Two views of the same graph, because the engine sends policies two
// different things:
//
//   - PreviewResources: during `pulumi preview`/`up` an analyzer receives
//     each resource's *inputs* (outputs such as privateIpAddress are not
//     there, or unknown, before the resource exists).
//   - AnalyzerResources: `pulumi policy analyze` (and stack policies on an
//     existing stack) receive the *state*: inputs plus provider-computed
//     outputs. The mock's outputs stand in for those.
//
// A policy that must hold at preview time has to work on PreviewResources;
// the policy pack's tests should run both.

// AnalyzerResources is the state view: Properties = recorded outputs (the
// inputs merged with the mock's computed outputs, plus "id" for custom
// resources).
func (g *Graph) AnalyzerResources() []policyx.AnalyzerResource {
	return g.analyzerResources(func(r Resource) property.Map { return r.Outputs })
}

// PreviewResources is the preview view: Properties = recorded inputs.
func (g *Graph) PreviewResources() []policyx.AnalyzerResource {
	return g.analyzerResources(func(r Resource) property.Map { return r.Inputs })
}

func (g *Graph) analyzerResources(props func(Resource) property.Map) []policyx.AnalyzerResource {
	out := make([]policyx.AnalyzerResource, 0, len(g.Resources))
	for _, r := range g.Resources {
		var propDeps map[string][]string
		if len(r.PropertyDependencies) > 0 {
			propDeps = make(map[string][]string, len(r.PropertyDependencies))
			for k, v := range r.PropertyDependencies {
				propDeps[k] = append([]string(nil), v...)
			}
		}
		out = append(out, policyx.AnalyzerResource{
			Type:       r.Type,
			Properties: props(r),
			URN:        r.URN,
			Name:       r.Name,
			Options: pulumi.ResourceOptions{
				Protect:                 r.Protect,
				IgnoreChanges:           append([]string(nil), r.IgnoreChanges...),
				DeleteBeforeReplace:     r.DeleteBeforeReplace,
				ReplaceOnChanges:        append([]string(nil), r.ReplaceOnChanges...),
				AdditionalSecretOutputs: append([]string(nil), r.AdditionalSecretOutputs...),
			},
			Provider:             providerOf(r.Provider),
			Parent:               r.Parent,
			Dependencies:         append([]string(nil), r.Dependencies...),
			PropertyDependencies: propDeps,
		})
	}
	return out
}

// providerOf splits a provider reference "<urn>::<id>".
func providerOf(ref string) policyx.AnalyzerProviderResource {
	if ref == "" {
		return policyx.AnalyzerProviderResource{}
	}
	urn := ref
	if i := strings.LastIndex(ref, "::"); i > 0 {
		urn = ref[:i]
	}
	u := resource.URN(urn)
	p := policyx.AnalyzerProviderResource{URN: urn}
	if u.IsValid() {
		p.Type = string(u.Type())
		p.Name = u.Name()
	}
	return p
}

func propertyString(s string) property.Value { return property.New(s) }
