// Package gcp is a stand-in for the Pulumi GCP provider (pulumi-gcp
// v7.38.0) for end-to-end tests under the real Pulumi engine, where the
// real plugin cannot be downloaded and no cloud may be touched. It speaks
// Pulumi's resource provider gRPC protocol and imitates the parts of the
// real provider that decide what the engine does:
//
//   - Check fills the provider-level defaults (gcp:project, gcp:region) and
//     schema defaults, and rejects missing required inputs;
//   - Diff reports the replacements the Terraform Google provider's schema
//     forces (ForceNew, ForceNewIfChange; schema.go cites each one);
//   - Create returns computed outputs shaped like Google's (private IP from
//     the private-services-access range, connectionName, run.app URI,
//     connector id), unknown during the preview of a new resource;
//   - Read returns what the "cloud" holds — a JSON state file
//     ($HEADROOM_STANDIN_STATE) a test may edit to simulate drift;
//   - Update and Delete change that file (deletion protection and Cloud
//     SQL version downgrades are refused as the API refuses them).
//
// The plugin binary is ./cmd/pulumi-resource-gcp. docs/standin-provider.md
// lists the rules with their sources and what the stand-in cannot imitate.
package gcp

import (
	"context"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/headroom-dev/headroom/infra/gcpfake"
)

// Provider is the stand-in's gRPC server.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	// StatePath is the state file (default: $HEADROOM_STANDIN_STATE).
	StatePath string
	project   string
	region    string
}

// New returns a provider whose state file is $HEADROOM_STANDIN_STATE.
func New() *Provider { return &Provider{StatePath: os.Getenv(StateEnv)} }

var _ pulumirpc.ResourceProviderServer = (*Provider)(nil)

var rpcOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, rpcOpts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, rpcOpts)
}

// GetPluginInfo reports the version the program's SDK asks for.
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// GetSchema returns a minimal package schema (the engine asks for it only
// for code generation and conversions).
func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"gcp","version":"` + Version + `"}`}, nil
}

// CheckConfig accepts the provider configuration as given.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig: a change of project or region is an update of the provider
// (the real provider does not replace itself either).
func (p *Provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	for _, k := range []resource.PropertyKey{"project", "region", "zone"} {
		if !unwrap(olds[k]).DeepEquals(unwrap(news[k])) {
			resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
			resp.Diffs = append(resp.Diffs, string(k))
		}
	}
	return resp, nil
}

// Configure reads gcp:project and gcp:region.
func (p *Provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	p.project = plainString(args["project"])
	p.region = plainString(args["region"])
	if p.project == "" {
		p.project = req.GetVariables()["gcp:config:project"]
	}
	if p.region == "" {
		p.region = req.GetVariables()["gcp:config:region"]
	}
	// pulumi-gcp's provider config defaults (provider/resources.go).
	if p.project == "" {
		p.project = firstEnv("GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")
	}
	if p.region == "" {
		p.region = firstEnv("GOOGLE_REGION", "GCLOUD_REGION", "CLOUDSDK_COMPUTE_REGION")
	}
	if p.StatePath == "" {
		return nil, status.Errorf(codes.FailedPrecondition, "%s is not set: the stand-in GCP provider keeps its cloud in that file", StateEnv)
	}
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// Check applies defaults and validates required inputs.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	spec := SpecFor(urn.Type().String())
	if gcpfake.AutoNamed(spec.Token) {
		if err := autoName(news, olds, urn.Name(), req.GetRandomSeed()); err != nil {
			return nil, err
		}
	}
	checked, failures := p.check(spec, news)
	inputs, err := marshal(checked)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Auto-naming as the bridge does it for pulumi-gcp (tfbridge.AutoName with
// maximum length 255, separator "-" and 7 random characters from
// [0-9a-f]): an unset `name` keeps the name the resource already has (the
// old inputs; the engine calls Check without them when it replaces the
// resource, so a replacement gets a new name), else becomes the logical
// name, "-", and a suffix drawn from the engine's random seed (stable
// across a preview and the update that follows it).
const (
	autoNameMaxLen  = 255
	autoNameRandLen = 7
)

func autoName(news, olds resource.PropertyMap, logical string, seed []byte) error {
	if v, ok := news["name"]; ok && !v.IsNull() {
		return nil
	}
	if v, ok := olds["name"]; ok && !v.IsNull() {
		news["name"] = v
		return nil
	}
	n, err := resource.NewUniqueName(seed, logical+"-", autoNameRandLen, autoNameMaxLen, nil)
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "auto-naming %s: %v", logical, err)
	}
	news["name"] = resource.NewStringProperty(n)
	return nil
}

func (p *Provider) check(spec *Spec, news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	out := news.Copy()
	var failures []*pulumirpc.CheckFailure
	for k, v := range spec.Defaults {
		if e, ok := out[resource.PropertyKey(k)]; !ok || e.IsNull() {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	if spec.Project {
		if e, ok := out["project"]; !ok || e.IsNull() || (e.IsString() && e.StringValue() == "") {
			if p.project == "" {
				// tpgresource.GetProject's error.
				failures = append(failures, &pulumirpc.CheckFailure{Property: "project",
					Reason: "project: required field is not set (set it on the resource or as gcp:project)"})
			} else {
				out["project"] = resource.NewStringProperty(p.project)
			}
		}
	}
	if k := resource.PropertyKey(spec.RegionKey); k != "" {
		if e, ok := out[k]; !ok || e.IsNull() || (e.IsString() && e.StringValue() == "") {
			if p.region == "" {
				// tpgresource.GetRegion's error.
				failures = append(failures, &pulumirpc.CheckFailure{Property: string(k),
					Reason: "Cannot determine region: set in this resource, or set provider-level 'region' or 'zone'."})
			} else {
				out[k] = resource.NewStringProperty(p.region)
			}
		}
	}
	for _, path := range spec.Required {
		for _, missing := range missingPaths(resource.NewObjectProperty(out), strings.Split(path, "."), "") {
			failures = append(failures, &pulumirpc.CheckFailure{Property: missing,
				Reason: fmt.Sprintf("Missing required property '%s'", missing)})
		}
	}
	return out, failures
}

// missingPaths returns the concrete paths under which a required segment
// path is absent. "a[]" means every element of array a. Unknown values
// count as present (they are set, just not known yet).
func missingPaths(v resource.PropertyValue, segs []string, at string) []string {
	v = unwrap(v)
	if v.ContainsUnknowns() && !v.IsObject() && !v.IsArray() {
		return nil
	}
	if len(segs) == 0 {
		if v.IsNull() || (v.IsString() && v.StringValue() == "") {
			return []string{at}
		}
		return nil
	}
	if v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known) {
		return nil
	}
	seg := segs[0]
	each := strings.HasSuffix(seg, "[]")
	key := strings.TrimSuffix(seg, "[]")
	if !v.IsObject() {
		// The parent is absent: only the parent is reported (by its own
		// required entry, if it has one).
		return nil
	}
	child, ok := v.ObjectValue()[resource.PropertyKey(key)]
	if !ok || child.IsNull() {
		if len(segs) == 1 {
			return []string{join(at, key)}
		}
		return nil
	}
	if !each {
		return missingPaths(child, segs[1:], join(at, key))
	}
	child = unwrap(child)
	if !child.IsArray() {
		return nil
	}
	var out []string
	for i, e := range child.ArrayValue() {
		out = append(out, missingPaths(e, segs[1:], fmt.Sprintf("%s[%d]", join(at, key), i))...)
	}
	return out
}

// Diff compares the program's inputs with the resource's state.
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	oldInputs, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	spec := SpecFor(resource.URN(req.GetUrn()).Type().String())
	return diffResponse(spec.Diff(olds, news, oldInputs), news), nil
}

// shape computes a resource's ID and outputs from its inputs.
func (p *Provider) shape(spec *Spec, urn resource.URN, in, prev resource.PropertyMap, s *State) (string, resource.PropertyMap) {
	c := &gcpfake.Ctx{Token: spec.Token, Name: urn.Name(), In: in, Prev: prev, Cloud: s.cloud(), Out: in.Copy()}
	c.Project = c.Str("project")
	if c.Project == "" {
		c.Project = p.project
	}
	id := gcpfake.Shape(c)
	return id, c.Out
}

// Create makes the resource in the state file; during a preview it
// returns the inputs with every computed output unknown.
func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	in, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	spec := SpecFor(urn.Type().String())
	if req.GetPreview() {
		out := in.Copy()
		for _, k := range spec.Computed {
			if v, ok := out[resource.PropertyKey(k)]; !ok || v.IsNull() {
				out[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewStringProperty(""))
			}
		}
		props, err := marshal(out)
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	var id string
	var out resource.PropertyMap
	err = withState(p.StatePath, func(s *State) (bool, error) {
		id, out = p.shape(spec, urn, in, nil, s)
		if s.get(spec.Token, id) != nil {
			return false, fmt.Errorf("googleapi: Error 409: The resource '%s' already exists, alreadyExists", id)
		}
		r := &Record{Type: spec.Token, ID: id, URN: string(urn)}
		if err := r.setInputs(in); err != nil {
			return false, err
		}
		if err := r.setOutputs(out); err != nil {
			return false, err
		}
		s.Resources = append(s.Resources, r)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	props, err := marshal(out)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

// Read returns the resource as the cloud holds it: its outputs, and its
// inputs read back from them (what a refresh stores). A resource that is
// gone returns no ID.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	urn := resource.URN(req.GetUrn())
	spec := SpecFor(urn.Type().String())
	var rec *Record
	err := withState(p.StatePath, func(s *State) (bool, error) {
		rec = s.get(spec.Token, req.GetId())
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return &pulumirpc.ReadResponse{}, nil
	}
	out := rec.outputs()
	in := resource.PropertyMap{}
	oldIn := rec.inputs()
	if req.GetInputs() != nil {
		if m, err := unmarshal(req.GetInputs()); err == nil && len(m) > 0 {
			oldIn = m
		}
	}
	for k, v := range oldIn {
		if o, ok := out[k]; ok {
			in[k] = o
		} else {
			in[k] = v
		}
	}
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	inputs, err := marshal(in)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: rec.ID, Properties: props, Inputs: inputs}, nil
}

// Update changes the resource in place.
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	spec := SpecFor(urn.Type().String())
	if err := refuseUpdate(spec, olds, news); err != nil {
		return nil, err
	}
	if req.GetPreview() {
		out := olds.Copy()
		for k, v := range news {
			out[k] = v
		}
		props, err := marshal(out)
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	var out resource.PropertyMap
	err = withState(p.StatePath, func(s *State) (bool, error) {
		r := s.get(spec.Token, req.GetId())
		if r == nil {
			return false, fmt.Errorf("googleapi: Error 404: The resource '%s' was not found, notFound", req.GetId())
		}
		_, out = p.shape(spec, urn, news, r.outputs(), s)
		if err := r.setInputs(news); err != nil {
			return false, err
		}
		return true, r.setOutputs(out)
	})
	if err != nil {
		return nil, err
	}
	props, err := marshal(out)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

// refuseUpdate fails the in-place changes the Cloud SQL Admin API refuses
// although the schema allows them: a major version downgrade.
func refuseUpdate(spec *Spec, olds, news resource.PropertyMap) error {
	if spec.Token != TypeSQLInstance {
		return nil
	}
	o, n := plainString(olds["databaseVersion"]), plainString(news["databaseVersion"])
	if o != "" && n != "" && o != n && versionLess(n, o) {
		return fmt.Errorf("googleapi: Error 400: Invalid request: downgrading databaseVersion from %s to %s is not supported, invalid", o, n)
	}
	return nil
}

// versionLess compares POSTGRES_<major>[_<minor>] versions.
func versionLess(a, b string) bool {
	pa, pb := versionParts(a), versionParts(b)
	if pa[0] != pb[0] {
		return false // different engines: not a downgrade question
	}
	for i := 1; i < 3; i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func versionParts(v string) [3]int {
	parts := strings.Split(v, "_")
	var out [3]int
	switch parts[0] {
	case "POSTGRES":
		out[0] = 1
	case "MYSQL":
		out[0] = 2
	case "SQLSERVER":
		out[0] = 3
	}
	for i := 1; i < len(parts) && i < 3; i++ {
		_, _ = fmt.Sscanf(parts[i], "%d", &out[i])
	}
	return out
}

// Delete removes the resource; a Cloud SQL instance with deletion
// protection on is refused, as the real provider refuses it.
func (p *Provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	urn := resource.URN(req.GetUrn())
	spec := SpecFor(urn.Type().String())
	err := withState(p.StatePath, func(s *State) (bool, error) {
		r := s.get(spec.Token, req.GetId())
		if r == nil {
			return false, nil // already gone: the bridge treats 404 as deleted
		}
		if spec.Token == TypeSQLInstance {
			if v := unwrap(r.outputs()["deletionProtection"]); v.IsBool() && v.BoolValue() {
				return false, fmt.Errorf("Error, failed to delete instance because deletion_protection is set to true. Set it to false to proceed with instance deletion")
			}
		}
		s.remove(spec.Token, req.GetId())
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Invoke: the program calls no data sources; a new one is reported, not
// answered with made-up data.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return nil, status.Errorf(codes.Unimplemented, "the stand-in GCP provider does not implement the data source %s", req.GetTok())
}

// Cancel has nothing to stop.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
