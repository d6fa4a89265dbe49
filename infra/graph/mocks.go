package graph

import (
	"fmt"
	"sort"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/gcpfake"
)

// Type tokens the mock knows how to complete (docs/architecture.md, "Resources").
const (
	TypeNetwork       = contract.TypeNetwork
	TypeSubnetwork    = contract.TypeSubnetwork
	TypeGlobalAddress = contract.TypeGlobalAddress
	TypePSAConnection = contract.TypePSAConnection
	TypeConnector     = contract.TypeConnector
	TypeSQLInstance   = contract.TypeSQLInstance
	TypeSQLUser       = contract.TypeSQLUser
	TypeSQLDatabase   = contract.TypeSQLDatabase
	TypeRunService    = contract.TypeRunService
	TypeAPIService    = contract.TypeAPIService
	TypeAccount       = contract.TypeAccount
	TypeIAMMember     = contract.TypeIAMMember
)

// recorder is the pulumi.MockResourceMonitor of one Run. It records every
// RegisterResource and completes outputs deterministically.
type recorder struct {
	opts pulumi.RunInfo // only Project/Stack/Config used
	// unknowns: return no IDs and no computed outputs (RunOptions.PreviewUnknowns).
	unknowns bool

	mu   sync.Mutex
	list []Resource
	// cloud is what the fake cloud holds so far (Cloud SQL private IPs are
	// drawn from a network's private-services-access range, as GCP does).
	cloud []gcpfake.Resource
}

func newRecorder(o RunOptions) *recorder {
	return &recorder{
		opts:     pulumi.RunInfo{Project: o.Project, Stack: o.Stack, Config: copyConfig(o.Config)},
		unknowns: o.DryRun && o.PreviewUnknowns,
	}
}

func (r *recorder) stackURN() string {
	return urnFor(r.opts.Project, r.opts.Stack, "", StackType, r.opts.Project+"-"+r.opts.Stack)
}

func (r *recorder) resources() []Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Resource(nil), r.list...)
}

// Call answers invokes (data sources). Headroom's program uses none; an
// invoke is an error so a new one is noticed rather than silently mocked.
func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("graph: invoke %q is not mocked", args.Token)
}

// NewResource records the registration and returns the mock ID and state.
func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	parent := ""
	var deps []string
	var propDeps map[string][]string
	res := Resource{Type: args.TypeToken, Name: args.Name, Provider: args.Provider, Custom: args.Custom}
	if rpc != nil {
		parent = rpc.GetParent()
		deps = append(deps, rpc.GetDependencies()...)
		if pd := rpc.GetPropertyDependencies(); len(pd) > 0 {
			propDeps = make(map[string][]string, len(pd))
			for k, v := range pd {
				urns := append([]string(nil), v.GetUrns()...)
				sort.Strings(urns)
				propDeps[k] = urns
			}
		}
		res.Protect = rpc.GetProtect()
		res.IgnoreChanges = append([]string(nil), rpc.GetIgnoreChanges()...)
		res.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		res.ReplaceOnChanges = append([]string(nil), rpc.GetReplaceOnChanges()...)
		res.AdditionalSecretOutputs = append([]string(nil), rpc.GetAdditionalSecretOutputs()...)
	}
	if parent == "" {
		parent = r.stackURN()
	}
	sort.Strings(deps)
	res.Parent = parent
	res.Dependencies = deps
	res.PropertyDependencies = propDeps
	res.URN = urnFor(r.opts.Project, r.opts.Stack, parent, args.TypeToken, args.Name)

	r.mu.Lock()
	id, computed := r.complete(args)
	r.mu.Unlock()
	if r.unknowns {
		// Nothing exists yet: the engine knows neither the ID nor any
		// provider-computed output during this preview.
		id, computed = "", nil
	}

	if args.TypeToken == contract.TypeStackReference {
		// A referenced stack the mock knows nothing of: no outputs (the
		// SDK requires the object), known even in an unknowns preview, as
		// the engine reads a reference during preview.
		computed = resource.PropertyMap{
			"outputs":           resource.NewObjectProperty(resource.PropertyMap{}),
			"secretOutputNames": resource.NewArrayProperty(nil),
		}
	}
	state := args.Inputs.Copy()
	for k, v := range computed {
		state[k] = v
	}
	inputs := args.Inputs
	if rpc != nil && hasUnknown(rpc.GetObject()) {
		// The mock monitor decodes inputs without KeepUnknowns, which drops
		// every unknown value during a preview; decode the raw request again
		// keeping them, so the record shows an unknown where the engine
		// would. Only then: the second decode was a fifth of a large
		// plan's allocations.
		if full, err := plugin.UnmarshalProperties(rpc.GetObject(), plugin.MarshalOptions{
			KeepUnknowns: true, KeepSecrets: true, KeepResources: true,
		}); err == nil {
			inputs = full
		}
	}
	res.Inputs = resource.FromResourcePropertyMap(inputs)
	recorded := inputs.Copy()
	for k, v := range computed {
		recorded[k] = v
	}
	res.Outputs = resource.FromResourcePropertyMap(recorded)
	if args.Custom && id != "" {
		res.ID = id
		res.Outputs = res.Outputs.Set("id", propertyString(id))
	}

	r.mu.Lock()
	r.list = append(r.list, res)
	r.mu.Unlock()
	return id, state, nil
}

// complete computes the physical ID and the provider-computed outputs for
// one resource from infra/gcpfake, the table the stand-in provider uses
// too. Caller holds r.mu.
func (r *recorder) complete(args pulumi.MockResourceArgs) (string, resource.PropertyMap) {
	if !args.Custom {
		// Components have no physical ID.
		return "", resource.PropertyMap{}
	}
	in := args.Inputs
	project := str(in, "project")
	if project == "" {
		project = r.opts.Config["gcp:project"]
	}
	if project == "" {
		project = r.opts.Project
	}
	c := &gcpfake.Ctx{Token: args.TypeToken, Name: args.Name, Project: project, In: in, Cloud: r.cloud, Out: in.Copy()}
	id := gcpfake.Shape(c)
	if !gcpfake.Known(args.TypeToken) {
		id = args.Name + "_id"
	}
	// What the provider's Check fills and the mock monitor never sees
	// checked: the provider's project, and the name of an auto-named
	// resource (the logical name here: the mock has no random suffix).
	if _, ok := in["project"]; !ok && args.TypeToken != gcpfake.TypeIAMMember && args.TypeToken != gcpfake.TypePSAConnection {
		c.Set("project", project)
	}
	if gcpfake.AutoNamed(args.TypeToken) && str(in, "name") == "" {
		c.Set("name", args.Name)
	}
	r.cloud = append(r.cloud, gcpfake.Resource{Type: args.TypeToken, Outputs: c.Out})
	return id, c.Out
}

func str(m resource.PropertyMap, k string) string {
	v, ok := m[resource.PropertyKey(k)]
	if !ok {
		return ""
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func num(m resource.PropertyMap, k string) (float64, bool) {
	v, ok := m[resource.PropertyKey(k)]
	if !ok || !v.IsNumber() {
		return 0, false
	}
	return v.NumberValue(), true
}

// hasUnknown reports whether a marshalled property object holds an unknown
// value anywhere (plugin.UnknownStringValue, which is how the SDK sends an
// unknown): a scan is far cheaper than decoding the object again.
func hasUnknown(o *structpb.Struct) bool {
	if o == nil {
		return false
	}
	for _, v := range o.GetFields() {
		if valueHasUnknown(v) {
			return true
		}
	}
	return false
}

func valueHasUnknown(v *structpb.Value) bool {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue == plugin.UnknownStringValue
	case *structpb.Value_ListValue:
		for _, e := range k.ListValue.GetValues() {
			if valueHasUnknown(e) {
				return true
			}
		}
	case *structpb.Value_StructValue:
		return hasUnknown(k.StructValue)
	}
	return false
}
