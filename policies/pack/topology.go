package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Unknown is a value the pack needed but could not read: computed until
// apply, or a redacted secret. Each becomes an advisory "cannot verify until
// known" violation of Policy; the rest of the stack is still judged.
type Unknown struct {
	Policy string
	// Resource is the URN of the resource holding the value.
	Resource string
	// Path is the property path, e.g. "template.scaling.maxInstanceCount".
	Path string
	// Effect says what the pack did without the value.
	Effect string
}

// Message is the violation text of an unknown.
func (u Unknown) Message() string {
	msg := fmt.Sprintf("cannot verify until known: %s %s", urnName(u.Resource), u.Path)
	if u.Effect != "" {
		msg += " (" + u.Effect + ")"
	}
	return contract.Redact(msg)
}

// issue is a capacity-model finding of the extraction itself.
type issue struct {
	msg, urn string
	advisory bool
}

// Env-var contract of a Cloud Run container (docs/architecture.md).
const (
	envHost           = contract.EnvDBHost
	envInstance       = contract.EnvDBInstance
	envPoolSize       = contract.EnvDBPoolSize
	envMaxOverflow    = contract.EnvDBMaxOverflow
	envStartupConns   = contract.EnvDBStartupConnections
	envConnectTimeout = contract.EnvDBConnectTimeout

	annotationEgress = contract.AnnotationEgressMbps
	labelWorkload    = contract.LabelWorkload
)

type sqlInstance struct {
	res  *policyx.AnalyzerResource
	name string
	ips  []string
	// ipsUnknown: an address is not known yet (a new instance in preview),
	// so a literal DB_HOST may still turn out to be this instance.
	ipsUnknown bool
	db         capacity.Database
	// complete is false when a value the model needs is unknown.
	complete bool
	// imported: read from another stack's export through the stack
	// reference res (topology_stackref.go), not a resource of this graph.
	imported bool
}

type subnet struct {
	res     *policyx.AnalyzerResource
	name    string
	region  string
	cidr    string
	network string
}

type connector struct {
	res      *policyx.AnalyzerResource
	egress   capacity.Egress
	network  string
	complete bool
}

type psaRange struct {
	res     *policyx.AnalyzerResource
	network string
}

// graph is the typed view of a resource list.
type graph struct {
	instances  []*sqlInstance
	subnets    []*subnet
	connectors []*connector
	psa        []*psaRange
	services   []*policyx.AnalyzerResource
	byURN      map[string]*policyx.AnalyzerResource
}

// extraction is the topology plus what could not be read.
type extraction struct {
	g        *graph
	topo     capacity.Topology
	unknowns []Unknown
	issues   []issue
	// notes are cloudrun-db-demand-readable's findings.
	notes []demandNote
	cfg   Config
	// refPending names a stack reference whose export is not known yet:
	// a service that binds to no instance may bind to one of its databases.
	refPending string
	// registration: the graph is the resources registered so far in an
	// update, seen by their inputs (JudgeRegistration).
	registration bool
}

// ExtractTopology converts a resource graph into the capacity model's
// topology, with the config's environment, targets and assumptions. Values
// that are unknown are returned as Unknowns (the element that needs them is
// left out of the topology); it never panics on missing, ill-typed, unknown
// or secret values.
func ExtractTopology(resources []policyx.AnalyzerResource, cfg Config) (capacity.Topology, []Unknown) {
	ex := extract(resources, cfg)
	return ex.topo, ex.unknowns
}

func extract(resources []policyx.AnalyzerResource, cfg Config) *extraction {
	return extractMode(resources, cfg, false)
}

func extractMode(resources []policyx.AnalyzerResource, cfg Config, registration bool) *extraction {
	ex := &extraction{g: &graph{byURN: map[string]*policyx.AnalyzerResource{}}, cfg: cfg, registration: registration}
	ex.topo = capacity.Topology{
		Environment: cfg.Env(),
		Targets:     cfg.Targets,
		Assumptions: cfg.Assumptions,
	}
	for i := range resources {
		r := &resources[i]
		if r.URN != "" {
			ex.g.byURN[r.URN] = r
		}
		if ex.topo.Stack == "" {
			ex.topo.Stack = urnStack(r.URN)
		}
		switch r.Type {
		case TypeSQLInstance:
			ex.g.instances = append(ex.g.instances, ex.readInstance(r))
		case TypeSubnetwork:
			ex.g.subnets = append(ex.g.subnets, readSubnet(r))
		case TypeGlobalAddress:
			if p := readPSA(r); p != nil {
				ex.g.psa = append(ex.g.psa, p)
			}
		case TypeRunService:
			ex.g.services = append(ex.g.services, r)
		}
	}
	ex.topo.Environment = cfg.EnvFor(ex.topo.Stack)
	// Other stacks' databases and demand, before services bind to them.
	ex.readStackRefs(resources)
	// Connectors after subnets: a connector may name a subnet for its range.
	for i := range resources {
		if resources[i].Type == TypeConnector {
			ex.g.connectors = append(ex.g.connectors, ex.readConnector(&resources[i]))
		}
	}
	for _, inst := range ex.g.instances {
		if inst.complete {
			ex.topo.Databases = append(ex.topo.Databases, inst.db)
		}
	}
	for _, c := range ex.g.connectors {
		if c.complete {
			ex.topo.Egress = append(ex.topo.Egress, c.egress)
		}
	}
	direct := map[string]bool{}
	for _, svc := range ex.g.services {
		w, sub, ok := ex.readService(svc)
		if !ok {
			continue
		}
		if sub != nil && !direct[sub.region+"/"+sub.name] {
			direct[sub.region+"/"+sub.name] = true
			ex.topo.Egress = append(ex.topo.Egress, capacity.Egress{
				Region: sub.region, Kind: capacity.EgressDirect, Name: sub.name, SubnetCIDR: sub.cidr,
			})
		}
		ex.topo.Workloads = append(ex.topo.Workloads, w)
	}
	return ex
}

func (ex *extraction) unknown(r *policyx.AnalyzerResource, path, effect string) {
	ex.unknowns = append(ex.unknowns, Unknown{Policy: PolicyCapacityModel, Resource: r.URN, Path: path, Effect: effect})
}

func (ex *extraction) problem(r *policyx.AnalyzerResource, advisory bool, format string, args ...any) {
	ex.issues = append(ex.issues, issue{msg: fmt.Sprintf(format, args...), urn: r.URN, advisory: advisory})
}

// resourceName is the GCP name property, falling back to the logical name.
func resourceName(r *policyx.AnalyzerResource) string {
	if s, st := get(r.Properties, "name").str(); st == stOK && s != "" {
		return s
	}
	if r.Name != "" {
		return r.Name
	}
	return urnName(r.URN)
}
