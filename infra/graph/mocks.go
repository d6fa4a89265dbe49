package graph

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/contract"
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
	// psa is the most recent private-services-access range (from a
	// GlobalAddress with purpose VPC_PEERING); Cloud SQL private IPs are
	// drawn from it, as GCP does.
	psa netip.Prefix
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

	state := args.Inputs.Copy()
	for k, v := range computed {
		state[k] = v
	}
	inputs := args.Inputs
	if rpc != nil && rpc.GetObject() != nil {
		// The mock monitor decodes inputs without KeepUnknowns, which drops
		// every unknown value during a preview; decode the raw request again
		// keeping them, so the record shows an unknown where the engine
		// would.
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
// one resource. Caller holds r.mu.
func (r *recorder) complete(args pulumi.MockResourceArgs) (string, resource.PropertyMap) {
	in := args.Inputs
	project := str(in, "project")
	if project == "" {
		project = r.opts.Config["gcp:project"]
	}
	if project == "" {
		project = r.opts.Project
	}
	name := str(in, "name")
	if name == "" {
		name = args.Name
	}
	region := str(in, "region")
	out := resource.PropertyMap{}
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }

	switch args.TypeToken {
	case TypeNetwork:
		id := fmt.Sprintf("projects/%s/global/networks/%s", project, name)
		set("name", name)
		set("selfLink", computeLink(id))
		set("project", project)
		return id, out
	case TypeSubnetwork:
		id := fmt.Sprintf("projects/%s/regions/%s/subnetworks/%s", project, region, name)
		set("name", name)
		set("selfLink", computeLink(id))
		set("project", project)
		if p, err := netip.ParsePrefix(str(in, "ipCidrRange")); err == nil {
			set("gatewayAddress", p.Masked().Addr().Next().String())
		}
		return id, out
	case TypeGlobalAddress:
		if str(in, "purpose") == "VPC_PEERING" {
			if a, err := netip.ParseAddr(str(in, "address")); err == nil {
				if bits, ok := num(in, "prefixLength"); ok {
					if p, err := a.Prefix(int(bits)); err == nil {
						r.psa = p
					}
				}
			}
		}
		id := fmt.Sprintf("projects/%s/global/addresses/%s", project, name)
		set("name", name)
		set("selfLink", computeLink(id))
		set("project", project)
		return id, out
	case TypePSAConnection:
		// The provider's ID is "<network>:<service>".
		network := str(in, "network")
		set("peering", "servicenetworking-googleapis-com")
		return network + ":" + str(in, "service"), out
	case TypeConnector:
		id := fmt.Sprintf("projects/%s/locations/%s/connectors/%s", project, region, name)
		set("name", name)
		set("selfLink", id)
		set("state", "READY")
		set("project", project)
		return id, out
	case TypeSQLInstance:
		ip := r.privateIP(name)
		set("name", name)
		set("connectionName", fmt.Sprintf("%s:%s:%s", project, region, name))
		set("privateIpAddress", ip)
		set("firstIpAddress", ip)
		set("publicIpAddress", "")
		set("ipAddresses", []map[string]any{{"type": "PRIVATE", "ipAddress": ip}})
		set("selfLink", fmt.Sprintf("https://sqladmin.googleapis.com/sql/v1beta4/projects/%s/instances/%s", project, name))
		set("dnsName", "")
		set("serviceAccountEmailAddress", fmt.Sprintf("p%d-%s@gcp-sa-cloud-sql.iam.gserviceaccount.com", digits(project, 12), short(name)))
		set("project", project)
		return name, out
	case TypeSQLUser:
		return fmt.Sprintf("%s//%s", name, str(in, "instance")), out
	case TypeSQLDatabase:
		set("name", name)
		set("project", project)
		id := fmt.Sprintf("projects/%s/instances/%s/databases/%s", project, str(in, "instance"), name)
		set("selfLink", "https://sqladmin.googleapis.com/sql/v1beta4/"+id)
		return id, out
	case TypeAPIService:
		return fmt.Sprintf("%s/%s", project, str(in, "service")), out
	case TypeAccount:
		email := fmt.Sprintf("%s@%s.iam.gserviceaccount.com", str(in, "accountId"), project)
		id := fmt.Sprintf("projects/%s/serviceAccounts/%s", project, email)
		set("email", email)
		set("member", "serviceAccount:"+email)
		set("name", id)
		set("uniqueId", fmt.Sprintf("1%020d", digits(email, 18)))
		set("project", project)
		return id, out
	case TypeIAMMember:
		set("etag", fmt.Sprintf("BwY%08x", digits(str(in, "role")+str(in, "member"), 8)))
		return fmt.Sprintf("%s/%s/%s", str(in, "project"), str(in, "role"), str(in, "member")), out
	case TypeRunService:
		location := str(in, "location")
		id := fmt.Sprintf("projects/%s/locations/%s/services/%s", project, location, name)
		uri := fmt.Sprintf("https://%s-%s-%s.a.run.app", name, projectHash(project), regionCode(location))
		set("name", name)
		set("uri", uri)
		set("project", project)
		set("latestReadyRevision", id+"/revisions/"+name+"-00001-abc")
		return id, out
	}
	if !args.Custom {
		// Components have no physical ID.
		return "", out
	}
	return args.Name + "_id", out
}

// privateIP draws a deterministic address for an instance from the PSA
// range (GCP allocates Cloud SQL private IPs from the allocated range; which
// address is GCP's choice, so any stable one is faithful). Fallback is
// 10.200.0.0/16 when the program declared no PSA range.
func (r *recorder) privateIP(name string) string {
	p := r.psa
	if !p.IsValid() || !p.Addr().Is4() || p.Bits() > 24 {
		p = netip.MustParsePrefix("10.200.0.0/16")
	}
	base := p.Masked().Addr().As4()
	hostBits := 32 - p.Bits()
	span := uint32(1) << hostBits
	// Per-region /24 blocks as GCP carves them; .2 upward inside the block.
	block := uint32(digits(name, 6)) % (span / 256)
	host := block*256 + 2 + uint32(digits(name+"#", 3))%250
	v := binary.BigEndian.Uint32(base[:]) + host
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b).String()
}

func computeLink(id string) string { return "https://www.googleapis.com/compute/v1/" + id }

// regionCode is Cloud Run's region code in run.app URLs (from observed
// URLs; unknown regions fall back to the first letters of their parts).
func regionCode(region string) string {
	known := map[string]string{
		"us-central1": "uc", "us-east1": "ue", "us-east4": "uk", "us-west1": "uw",
		"europe-west1": "ew", "europe-west2": "nw", "europe-west3": "ey", "europe-west4": "ez",
		"asia-northeast1": "an", "asia-east1": "de", "asia-southeast1": "as",
	}
	if c, ok := known[region]; ok {
		return c
	}
	parts := strings.Split(region, "-")
	code := ""
	for _, p := range parts {
		if p != "" {
			code += p[:1]
		}
	}
	return code
}

// projectHash is the 10-character project hash in run.app URLs.
func projectHash(project string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New64a()
	_, _ = h.Write([]byte(project))
	v := h.Sum64()
	out := make([]byte, 10)
	for i := range out {
		out[i] = alphabet[v%uint64(len(alphabet))]
		v /= uint64(len(alphabet))
	}
	// Run URLs start with a letter after the hyphen in practice; keep it so.
	out[0] = alphabet[int(out[0])%26]
	return string(out)
}

func digits(s string, n int) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	mod := uint64(1)
	for i := 0; i < n; i++ {
		mod *= 10
	}
	return h.Sum64() % mod
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
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
