package graph

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// Versions written into the checkpoint: the pinned CLI/SDK and the pinned
// pulumi-gcp provider (go.mod).
const (
	checkpointEngineVersion = "v3.274.1"
	gcpProviderVersion      = "7.38.0"
)

// unknownSentinel is how a state file spells a value unknown until apply
// (sdk/go/common/resource/plugin.UnknownStringValue).
const unknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

// Checkpoint renders the graph as a Pulumi state in `pulumi stack export`
// format (an apitype.UntypedDeployment, version 3), so it can be loaded with
// `pulumi stack import --file` and judged with `pulumi policy analyze`
// without running the program or a provider.
//
// Each custom resource gets its default provider ("pulumi:providers:<pkg>"
// named "default_<version>", version 7.38.0 for gcp) unless the program set
// one; ids come from the mock's "id" output or, failing that, the logical
// name. Secrets are written in plaintext form ({sig, "plaintext"}), which the
// CLI accepts and re-encrypts with the stack's secrets manager on import.
func (g *Graph) Checkpoint() ([]byte, error) {
	return g.checkpointAt(time.Now().UTC().Truncate(time.Second))
}

func (g *Graph) checkpointAt(now time.Time) ([]byte, error) {
	if g == nil {
		return nil, fmt.Errorf("checkpoint: nil graph")
	}
	manifest := apitype.ManifestV1{
		Time:    now,
		Version: checkpointEngineVersion,
		Plugins: []apitype.PluginInfoV1{{Name: "gcp", Type: apitype.ResourcePlugin, Version: gcpProviderVersion}},
	}
	manifest.Magic = manifest.NewMagic()
	deployment := apitype.DeploymentV3{Manifest: manifest}

	stackURN := ""
	for _, r := range g.Resources {
		if r.Type == StackType {
			stackURN = r.URN
		}
	}
	if stackURN == "" {
		stackURN = string(resource.NewURN(tokens.QName(g.Stack), tokens.PackageName(g.Project), "", StackType,
			g.Project+"-"+g.Stack))
		deployment.Resources = append(deployment.Resources, apitype.ResourceV3{
			URN: resource.URN(stackURN), Type: StackType,
		})
	}

	// Default providers, created on first use and placed before the first
	// resource that references them.
	providers := map[string]string{} // package → reference "urn::id"
	defaultProvider := func(pkg string) (apitype.ResourceV3, string, bool) {
		if ref, ok := providers[pkg]; ok {
			return apitype.ResourceV3{}, ref, false
		}
		name, inputs := "default", map[string]any{}
		if pkg == "gcp" {
			name = "default_" + strings.ReplaceAll(gcpProviderVersion, ".", "_")
			inputs["version"] = gcpProviderVersion
		}
		typ := tokens.Type("pulumi:providers:" + pkg)
		urn := resource.NewURN(tokens.QName(g.Stack), tokens.PackageName(g.Project), "", typ, name)
		id := deterministicID(string(urn))
		ref := string(urn) + "::" + id
		providers[pkg] = ref
		outputs := map[string]any{}
		for k, v := range inputs {
			outputs[k] = v
		}
		return apitype.ResourceV3{
			URN: urn, Custom: true, ID: resource.ID(id), Type: typ, Inputs: inputs, Outputs: outputs,
		}, ref, true
	}

	for _, r := range g.Resources {
		inputs, err := serializeMap(r.Inputs)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %s inputs: %w", r.URN, err)
		}
		outputs, err := serializeMap(r.Outputs)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %s outputs: %w", r.URN, err)
		}
		res := apitype.ResourceV3{
			URN:     resource.URN(r.URN),
			Custom:  r.Custom,
			Type:    tokens.Type(r.Type),
			Inputs:  inputs,
			Outputs: outputs,
			Parent:  resource.URN(r.Parent),
			Protect: r.Protect,
		}
		if r.Type != StackType && res.Parent == "" {
			res.Parent = resource.URN(stackURN)
		}
		for _, d := range r.Dependencies {
			res.Dependencies = append(res.Dependencies, resource.URN(d))
		}
		if len(r.PropertyDependencies) > 0 {
			res.PropertyDependencies = map[resource.PropertyKey][]resource.URN{}
			keys := make([]string, 0, len(r.PropertyDependencies))
			for k := range r.PropertyDependencies {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				urns := make([]resource.URN, 0, len(r.PropertyDependencies[k]))
				for _, u := range r.PropertyDependencies[k] {
					urns = append(urns, resource.URN(u))
				}
				res.PropertyDependencies[resource.PropertyKey(k)] = urns
			}
		}
		for _, k := range r.AdditionalSecretOutputs {
			res.AdditionalSecretOutputs = append(res.AdditionalSecretOutputs, resource.PropertyKey(k))
		}
		res.IgnoreChanges = append(res.IgnoreChanges, r.IgnoreChanges...)
		res.ReplaceOnChanges = append(res.ReplaceOnChanges, r.ReplaceOnChanges...)
		if r.Custom {
			res.ID = resource.ID(customID(r))
			res.Provider = r.Provider
			if res.Provider == "" {
				pkg := packageOf(r.Type)
				prov, ref, isNew := defaultProvider(pkg)
				if isNew {
					deployment.Resources = append(deployment.Resources, prov)
				}
				res.Provider = ref
			}
		}
		deployment.Resources = append(deployment.Resources, res)
	}

	raw, err := json.Marshal(deployment)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	out, err := json.MarshalIndent(apitype.UntypedDeployment{Version: 3, Deployment: raw}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return append(out, '\n'), nil
}

// customID is the resource's id: the mock's "id" output when it has one.
func customID(r Resource) string {
	if v, ok := r.Outputs.GetOk("id"); ok && v.IsString() && v.AsString() != "" {
		return v.AsString()
	}
	return r.Name + "-id"
}

// packageOf returns the package of a type token ("gcp:sql/…:X" → "gcp").
func packageOf(typ string) string {
	if i := strings.IndexByte(typ, ':'); i > 0 {
		return typ[:i]
	}
	return typ
}

// deterministicID derives a UUID-shaped id from s so checkpoints of the same
// graph are identical.
func deterministicID(s string) string {
	var h [16]byte
	// FNV-1a over two seeds gives 16 stable bytes; this is an identifier,
	// not a security boundary.
	for half := 0; half < 2; half++ {
		var x uint64 = 14695981039346656037 ^ uint64(half)*0x9e3779b97f4a7c15
		for i := 0; i < len(s); i++ {
			x ^= uint64(s[i])
			x *= 1099511628211
		}
		for i := 0; i < 8; i++ {
			h[half*8+i] = byte(x >> (8 * i))
		}
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// serializeMap renders a property map the way a state file stores it.
func serializeMap(m property.Map) (map[string]any, error) {
	if m.Len() == 0 {
		return map[string]any{}, nil
	}
	out := make(map[string]any, m.Len())
	for k, v := range m.AllStable {
		sv, err := serializeValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = sv
	}
	return out, nil
}

func serializeValue(v property.Value) (any, error) {
	if v.Secret() {
		inner, err := serializeValue(v.WithSecret(false))
		if err != nil {
			return nil, err
		}
		plain, err := json.Marshal(inner)
		if err != nil {
			return nil, err
		}
		return map[string]any{sig.Key: sig.Secret, "plaintext": string(plain)}, nil
	}
	switch {
	case v.IsNull():
		return nil, nil
	case v.IsComputed():
		return unknownSentinel, nil
	case v.IsBool():
		return v.AsBool(), nil
	case v.IsNumber():
		return v.AsNumber(), nil
	case v.IsString():
		return v.AsString(), nil
	case v.IsArray():
		arr := v.AsArray()
		out := make([]any, 0, arr.Len())
		for _, e := range arr.All {
			se, err := serializeValue(e)
			if err != nil {
				return nil, err
			}
			out = append(out, se)
		}
		return out, nil
	case v.IsMap():
		return serializeMap(v.AsMap())
	case v.IsResourceReference():
		ref := v.AsResourceReference()
		out := map[string]any{sig.Key: sig.ResourceReference, "urn": string(ref.URN)}
		if ref.ID.IsString() {
			out["id"] = ref.ID.AsString()
		}
		if ref.PackageVersion != "" {
			out["packageVersion"] = ref.PackageVersion
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported property value (asset or archive)")
}
