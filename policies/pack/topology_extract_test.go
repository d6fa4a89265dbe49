package pack

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// Internal tests of the extraction (resource graph → capacity topology).
// The resources are built by hand with the policytest builders; a stack
// here is a plain resource list, so each test states its dependencies.

const topoProject, topoRegion, topoNetwork = "p", "us-central1", "vpc"

// topoURN is the URN pt.Resource gives a resource.
func topoURN(typ, name string) string { return pt.Resource(typ, name, nil).URN }

// topoRes builds one analyzer resource; deps are URNs, recorded as
// dependencies and as property dependencies of propKey (none when "").
func topoRes(typ, name string, props map[string]any, propKey string, deps ...string) policyx.AnalyzerResource {
	r := pt.Resource(typ, name, props)
	r.Dependencies = deps
	if propKey != "" && len(deps) > 0 {
		r.PropertyDependencies = map[string][]string{propKey: deps}
	}
	return r
}

func topoInstance(name, ip string) map[string]any {
	return pt.SQLInstance(pt.Instance{
		Project: topoProject, Name: name, Region: topoRegion, Tier: "db-custom-4-16384", Edition: capacity.EditionEnterprise,
		Availability: capacity.AvailabilityRegional, MaxConnections: 500, PrivateIP: ip, Network: topoNetwork,
	})
}

func topoConnector(name, region string) map[string]any {
	return pt.Connector(pt.ConnectorSpec{Project: topoProject, Name: name, Region: region, CIDR: "10.8.0.0/28",
		MachineType: "e2-standard-4", Min: 3, Max: 10, Network: topoNetwork})
}

// topoService is a service of workload "api" in us-central1 through
// connector "conn", targeting instance "db" at 10.100.0.3.
func topoService() map[string]any {
	return pt.Service(pt.ServiceSpec{Project: topoProject, Workload: "api", Region: topoRegion, Min: 1, Max: 10,
		Concurrency: 80, EgressMbps: 5, Connector: "conn", Pool: 5, Overflow: 2, Startup: 2, ConnectTimeout: 75,
		Probe: pt.Probe{Period: 10, Timeout: 5, FailureThreshold: 24}, DBHost: "10.100.0.3", DBInstance: "p:us-central1:db"})
}

const topoServiceName = "api-us-central1"

func topoExtract(rs ...policyx.AnalyzerResource) *extraction {
	cfg := DefaultConfig()
	cfg.Environment = capacity.EnvStaging
	return extract(rs, cfg)
}

// workloadNamed returns the workload of the topology with that name.
func (ex *extraction) workloadNamed(name string) (capacity.Workload, bool) {
	for _, w := range ex.topo.Workloads {
		if w.Name == name {
			return w, true
		}
	}
	return capacity.Workload{}, false
}

func (ex *extraction) unknownPaths() []string {
	var out []string
	for _, u := range ex.unknowns {
		out = append(out, u.Path)
	}
	return out
}

func (ex *extraction) issueMsgs() []string {
	var out []string
	for _, is := range ex.issues {
		out = append(out, is.msg)
	}
	return out
}

func TestUnknownMessage(t *testing.T) {
	u := Unknown{Policy: PolicyCapacityModel, Resource: topoURN(TypeRunService, "api"), Path: "template.scaling.maxInstanceCount"}
	assert.Equal(t, "cannot verify until known: api template.scaling.maxInstanceCount", u.Message(), "no effect: no parenthesis")
	u.Effect = "service left out of the capacity analyses"
	assert.Equal(t, "cannot verify until known: api template.scaling.maxInstanceCount (service left out of the capacity analyses)", u.Message())
}

// TestExtractStackName: the topology's stack is the first valid URN's.
func TestExtractStackName(t *testing.T) {
	assert.Equal(t, "staging", topoExtract(pt.Staging().Resources()...).topo.Stack)
	assert.Equal(t, "test", topoExtract(pt.Resource(TypeSubnetwork, "sn", pt.Subnet("sn", topoRegion, "10.10.0.0/20", topoNetwork))).topo.Stack)
	noURN := policyx.AnalyzerResource{Type: pt.TypeNetwork, Name: "vpc"}
	assert.Equal(t, "staging", topoExtract(append([]policyx.AnalyzerResource{noURN}, pt.Staging().Resources()...)...).topo.Stack,
		"a resource without a URN does not set the stack")
	assert.Equal(t, "", topoExtract(noURN).topo.Stack)
}

// TestExtractPSARanges: only VPC_PEERING global addresses are private
// services ranges; cidr-overlap judges them against the subnets.
func TestExtractPSARanges(t *testing.T) {
	psa := pt.PSARange("psa", "10.100.0.0", 16, "projects/p/global/networks/vpc")
	psc := pt.PSARange("psc", "10.10.0.5", 32, topoNetwork)
	psc["purpose"] = "PRIVATE_SERVICE_CONNECT"
	noPurpose := pt.PSARange("static", "10.10.0.6", 32, topoNetwork)
	delete(noPurpose, "purpose")
	ex := topoExtract(
		pt.Resource(TypeGlobalAddress, "psa", psa),
		pt.Resource(TypeGlobalAddress, "psc", psc),
		pt.Resource(TypeGlobalAddress, "static", noPurpose),
	)
	require.Len(t, ex.g.psa, 1)
	assert.Equal(t, "psa", ex.g.psa[0].res.Name)
	assert.Equal(t, topoNetwork, ex.g.psa[0].network, "the network's last path segment")

	overlaps := func(rs ...policyx.AnalyzerResource) []string {
		res, err := Evaluate(rs, DefaultConfig())
		require.NoError(t, err)
		var out []string
		for _, v := range res.Violations {
			if v.Policy == PolicyCIDROverlap {
				out = append(out, v.Message)
			}
		}
		return out
	}
	subnet := pt.Resource(TypeSubnetwork, "sn", pt.Subnet("sn", topoRegion, "10.100.8.0/24", topoNetwork))
	got := overlaps(pt.Resource(TypeGlobalAddress, "psa", psa), subnet)
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "private services range psa (10.100.0.0/16)")
	assert.Contains(t, got[0], "subnet sn (10.100.8.0/24)")
	psc["address"] = "10.100.8.5"
	assert.Empty(t, overlaps(pt.Resource(TypeGlobalAddress, "psc", psc), subnet), "a PSC endpoint address inside a subnet is not a range")
}

func TestResourceName(t *testing.T) {
	urn := topoURN(TypeSubnetwork, "from-urn")
	cases := []struct {
		name  string
		props map[string]any
		rname string
		urn   string
		want  string
	}{
		{name: "name property", props: map[string]any{"name": "gcp-name"}, rname: "logical", urn: urn, want: "gcp-name"},
		{name: "empty name property", props: map[string]any{"name": ""}, rname: "logical", urn: urn, want: "logical"},
		{name: "unknown name property", props: map[string]any{"name": pt.Computed}, rname: "logical", urn: urn, want: "logical"},
		{name: "no logical name", props: map[string]any{}, urn: urn, want: "from-urn"},
		{name: "nothing", props: map[string]any{}, want: ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &policyx.AnalyzerResource{Type: TypeSubnetwork, Name: c.rname, URN: c.urn, Properties: pt.Map(c.props)}
			assert.Equal(t, c.want, resourceName(r))
		})
	}
}
