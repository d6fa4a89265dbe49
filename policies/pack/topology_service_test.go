package pack

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// svcWorld is instance "db", connector "conn" and subnets "sn" and "sn2"
// (us-central1) with one service "api" built from svc, whose dependencies
// are deps, recorded for "template" when propKey is "template".
func svcWorld(svc map[string]any, propKey string, deps ...string) *extraction {
	return topoExtract(
		pt.Resource(TypeSQLInstance, "db", topoInstance("db", "10.100.0.3")),
		pt.Resource(TypeSubnetwork, "sn", pt.Subnet("sn", topoRegion, "10.10.0.0/20", topoNetwork)),
		pt.Resource(TypeSubnetwork, "sn2", pt.Subnet("sn2", topoRegion, "10.20.0.0/20", topoNetwork)),
		pt.Resource(TypeConnector, "conn", topoConnector("conn", topoRegion)),
		topoRes(TypeRunService, "api", svc, propKey, deps...),
	)
}

// directService is topoService using Direct VPC egress into subnet.
func directService(subnet any) map[string]any {
	svc := topoService()
	pt.Set(svc, "template.vpcAccess", map[string]any{
		"egress":            "PRIVATE_RANGES_ONLY",
		"networkInterfaces": []any{map[string]any{"network": topoNetwork, "subnetwork": subnet}},
	})
	return svc
}

func TestReadServiceGroup(t *testing.T) {
	cases := []struct {
		name   string
		labels any // nil: absent
		want   string
	}{
		{name: "workload label", labels: map[string]any{labelWorkload: "api"}, want: "api"},
		{name: "empty workload label", labels: map[string]any{labelWorkload: ""}, want: topoServiceName},
		{name: "unknown workload label", labels: map[string]any{labelWorkload: pt.Computed}, want: topoServiceName},
		{name: "other labels", labels: map[string]any{"team": "api"}, want: topoServiceName},
		{name: "unknown labels", labels: pt.Computed, want: topoServiceName},
		{name: "no labels", want: topoServiceName},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := topoService()
			delete(svc, "labels")
			if c.labels != nil {
				svc["labels"] = c.labels
			}
			w, ok := svcWorld(svc, "").workloadNamed(topoServiceName)
			require.True(t, ok)
			assert.Equal(t, c.want, w.Group)
		})
	}
}

// TestReadServiceUnknowns: each unknown value the model needs leaves the
// service out and names the property path.
func TestReadServiceUnknowns(t *testing.T) {
	cases := []struct {
		name string
		edit func(svc map[string]any)
		path string
	}{
		{name: "egress annotation", path: "annotations." + annotationEgress,
			edit: func(svc map[string]any) { pt.Set(svc, "annotations", map[string]any{annotationEgress: pt.Computed}) }},
		{name: "deploy style annotation", path: "annotations." + contract.AnnotationDeployStyle,
			edit: func(svc map[string]any) {
				svc["annotations"].(map[string]any)[contract.AnnotationDeployStyle] = pt.Computed
			}},
		{name: "pool size", path: "env " + envPoolSize,
			edit: func(svc map[string]any) { pt.SetEnv(svc, envPoolSize, pt.Computed) }},
		{name: "startup connections", path: "env " + envStartupConns,
			edit: func(svc map[string]any) { pt.SetEnv(svc, envStartupConns, pt.Computed) }},
		{name: "connect timeout", path: "env " + envConnectTimeout,
			edit: func(svc map[string]any) { pt.SetEnv(svc, envConnectTimeout, pt.Computed) }},
		{name: "probe field", path: "startupProbe.periodSeconds",
			edit: func(svc map[string]any) {
				pt.Set(svc, "template.containers[0].startupProbe.periodSeconds", pt.Computed)
			}},
		{name: "probe", path: "template.containers[0].startupProbe",
			edit: func(svc map[string]any) { pt.Set(svc, "template.containers[0].startupProbe", pt.Computed) }},
		{name: "probe httpGet", path: "startupProbe.httpGet",
			edit: func(svc map[string]any) { pt.Set(svc, "template.containers[0].startupProbe.httpGet", pt.Computed) }},
		{name: "containers", path: "template.containers[].envs",
			edit: func(svc map[string]any) { pt.Set(svc, "template.containers", pt.Computed) }},
		{name: "a container", path: "template.containers[].envs",
			edit: func(svc map[string]any) { pt.Set(svc, "template.containers", []any{pt.Computed}) }},
		{name: "envs", path: "template.containers[].envs",
			edit: func(svc map[string]any) { pt.Set(svc, "template.containers[0].envs", pt.Computed) }},
		{name: "db target", path: "env DB_HOST/DB_INSTANCE",
			edit: func(svc map[string]any) {
				pt.SetEnv(svc, envHost, pt.Computed)
				pt.SetEnv(svc, envInstance, pt.Computed)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := topoService()
			c.edit(svc)
			ex := svcWorld(svc, "")
			_, ok := ex.workloadNamed(topoServiceName)
			assert.False(t, ok, "left out of the topology")
			require.Equal(t, []string{c.path}, ex.unknownPaths())
			assert.Equal(t, "service left out of the capacity analyses", ex.unknowns[0].Effect)
			assert.Equal(t, PolicyCapacityModel, ex.unknowns[0].Policy)
			assert.Equal(t, topoURN(TypeRunService, "api"), ex.unknowns[0].Resource)
		})
	}
}

// TestEnvOfFirstContainerWithEnvs: the env contract is read from the first
// container that declares variables; a sidecar with an empty list is
// skipped.
func TestEnvOfFirstContainerWithEnvs(t *testing.T) {
	svc := topoService()
	app := svc["template"].(map[string]any)["containers"].([]any)[0]
	sidecar := map[string]any{"image": "proxy", "envs": []any{}}
	pt.Set(svc, "template.containers", []any{sidecar, app})
	w, ok := svcWorld(svc, "").workloadNamed(topoServiceName)
	require.True(t, ok)
	assert.Equal(t, 5, w.PoolSize)
	assert.Equal(t, "db", w.Database)

	env, st := envOf(pt.Map(map[string]any{"template": map[string]any{"containers": []any{sidecar}}}))
	assert.Equal(t, stOK, st)
	assert.Empty(t, env)
}

// TestReadServiceConnector: the connector's last path segment names it; an
// unresolvable or unknown reference falls back to the single connector the
// service's template depends on.
func TestReadServiceConnector(t *testing.T) {
	connURN := topoURN(TypeConnector, "conn")
	cases := []struct {
		name      string
		connector any
		deps      []string
		want      string // EgressName; "" = left out
		issue     string
		unknown   string
	}{
		{name: "in the stack", connector: "projects/p/locations/us-central1/connectors/conn", want: "conn"},
		{name: "in the stack, dependency", connector: "projects/p/locations/us-central1/connectors/conn", deps: []string{connURN}, want: "conn"},
		{name: "not in the stack, dependency", connector: "projects/p/locations/us-central1/connectors/renamed", deps: []string{connURN}, want: "conn"},
		{name: "not in the stack", connector: "projects/p/locations/us-central1/connectors/gone", want: "gone",
			issue: `service api-us-central1 uses connector "gone", which is not in the stack`},
		{name: "unknown, dependency", connector: pt.Computed, deps: []string{connURN}, want: "conn"},
		{name: "unknown", connector: pt.Computed, unknown: "template.vpcAccess.connector"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := topoService()
			pt.Set(svc, "template.vpcAccess.connector", c.connector)
			ex := svcWorld(svc, "template", c.deps...)
			if c.issue == "" {
				assert.Empty(t, ex.issues)
			} else {
				assert.Equal(t, []string{c.issue}, ex.issueMsgs())
			}
			if c.unknown != "" {
				assert.Equal(t, []string{c.unknown}, ex.unknownPaths())
			} else {
				assert.Empty(t, ex.unknowns)
			}
			w, ok := ex.workloadNamed(topoServiceName)
			if c.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, capacity.EgressConnector, w.Egress)
			assert.Equal(t, c.want, w.EgressName)
		})
	}
}

// TestReadServiceDirectEgress: Direct VPC egress names its subnet (last
// path segment, in the service's region); an unresolvable reference falls
// back to the single subnet the template depends on. The subnet becomes a
// direct egress path of the topology.
func TestReadServiceDirectEgress(t *testing.T) {
	snURN, sn2URN := topoURN(TypeSubnetwork, "sn"), topoURN(TypeSubnetwork, "sn2")
	cases := []struct {
		name    string
		vpc     any // template.vpcAccess.networkInterfaces
		deps    []string
		want    string // EgressName; "" = left out
		cidr    string
		issue   string
		unknown string
	}{
		{name: "subnet path", vpc: []any{map[string]any{"subnetwork": "projects/p/regions/us-central1/subnetworks/sn"}}, want: "sn", cidr: "10.10.0.0/20"},
		{name: "named subnet wins over the dependency", vpc: []any{map[string]any{"subnetwork": "sn"}}, deps: []string{sn2URN}, want: "sn", cidr: "10.10.0.0/20"},
		{name: "not in the stack, dependency", vpc: []any{map[string]any{"subnetwork": "gone"}}, deps: []string{sn2URN}, want: "sn2", cidr: "10.20.0.0/20"},
		{name: "network only, dependency", vpc: []any{map[string]any{"network": topoNetwork}}, deps: []string{sn2URN}, want: "sn2", cidr: "10.20.0.0/20"},
		{name: "unknown subnet, dependency", vpc: []any{map[string]any{"subnetwork": pt.Computed}}, deps: []string{snURN}, want: "sn", cidr: "10.10.0.0/20"},
		{name: "unknown subnet", vpc: []any{map[string]any{"subnetwork": pt.Computed}}, unknown: "template.vpcAccess.networkInterfaces[0].subnetwork"},
		{name: "unknown interface", vpc: []any{pt.Computed}, unknown: "template.vpcAccess.networkInterfaces[0].subnetwork"},
		{name: "unknown interfaces", vpc: pt.Computed, unknown: "template.vpcAccess.networkInterfaces"},
		{name: "two dependencies", vpc: []any{map[string]any{"subnetwork": "gone"}}, deps: []string{snURN, sn2URN},
			issue: `service api-us-central1 uses Direct VPC egress into subnet "gone", which is not in the stack`},
		{name: "not in the stack", vpc: []any{map[string]any{"subnetwork": "projects/p/regions/us-central1/subnetworks/gone"}},
			issue: `service api-us-central1 uses Direct VPC egress into subnet "gone", which is not in the stack`},
		{name: "in another region", vpc: []any{map[string]any{"subnetwork": "projects/p/regions/us-east1/subnetworks/east"}},
			issue: `service api-us-central1 uses Direct VPC egress into subnet "east", which is not in the stack`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := directService(nil)
			pt.Set(svc, "template.vpcAccess.networkInterfaces", c.vpc)
			rs := []policyx.AnalyzerResource{
				pt.Resource(TypeSQLInstance, "db", topoInstance("db", "10.100.0.3")),
				pt.Resource(TypeSubnetwork, "east", pt.Subnet("east", "us-east1", "10.30.0.0/20", topoNetwork)),
				pt.Resource(TypeSubnetwork, "sn", pt.Subnet("sn", topoRegion, "10.10.0.0/20", topoNetwork)),
				pt.Resource(TypeSubnetwork, "sn2", pt.Subnet("sn2", topoRegion, "10.20.0.0/20", topoNetwork)),
				topoRes(TypeRunService, "api", svc, "template", c.deps...),
			}
			ex := topoExtract(rs...)
			if c.issue == "" {
				assert.Empty(t, ex.issues)
			} else {
				assert.Equal(t, []string{c.issue}, ex.issueMsgs())
			}
			if c.unknown != "" {
				assert.Equal(t, []string{c.unknown}, ex.unknownPaths())
			} else {
				assert.Empty(t, ex.unknowns)
			}
			w, ok := ex.workloadNamed(topoServiceName)
			if c.want == "" {
				assert.False(t, ok)
				assert.Empty(t, ex.topo.Egress)
				return
			}
			require.True(t, ok)
			assert.Equal(t, capacity.EgressDirect, w.Egress)
			assert.Equal(t, c.want, w.EgressName)
			assert.Equal(t, []capacity.Egress{{Region: topoRegion, Kind: capacity.EgressDirect, Name: c.want, SubnetCIDR: c.cidr}}, ex.topo.Egress)
		})
	}
}

// TestReadServiceDirectSubnetWithoutRange: a subnet whose range is not
// known leaves the service out; no interfaces at all is no VPC egress.
func TestReadServiceDirectSubnetWithoutRange(t *testing.T) {
	ex := topoExtract(
		pt.Resource(TypeSQLInstance, "db", topoInstance("db", "10.100.0.3")),
		pt.Resource(TypeSubnetwork, "sn", func() map[string]any {
			m := pt.Subnet("sn", topoRegion, "", topoNetwork)
			m["ipCidrRange"] = pt.Computed
			return m
		}()),
		pt.Resource(TypeRunService, "api", directService("sn")),
	)
	assert.Equal(t, []string{"ipCidrRange of subnet sn"}, ex.unknownPaths())
	assert.Empty(t, ex.topo.Workloads)
	assert.Empty(t, ex.topo.Egress)

	svc := directService("sn")
	pt.Set(svc, "template.vpcAccess.networkInterfaces", []any{})
	w, ok := svcWorld(svc, "").workloadNamed(topoServiceName)
	require.True(t, ok)
	assert.Equal(t, capacity.EgressNone, w.Egress)
	assert.Equal(t, "", w.EgressName)
}

// TestReadServiceConnectionMethod: a mounted cloudSqlInstance volume with
// at least one instance is the built-in connection.
func TestReadServiceConnectionMethod(t *testing.T) {
	cases := []struct {
		name    string
		volumes any
		want    capacity.ConnectionMethod
	}{
		{name: "no volumes", want: capacity.MethodPrivateIP},
		{name: "one instance", want: capacity.MethodBuiltin, volumes: []any{
			map[string]any{"name": "cloudsql", "cloudSqlInstance": map[string]any{"instances": []any{"p:us-central1:db"}}},
		}},
		{name: "second volume", want: capacity.MethodBuiltin, volumes: []any{
			"not-an-object",
			map[string]any{"name": "tmp", "emptyDir": map[string]any{}},
			map[string]any{"name": "cloudsql", "cloudSqlInstance": map[string]any{"instances": []any{"p:us-central1:db"}}},
		}},
		{name: "no instances", want: capacity.MethodPrivateIP, volumes: []any{
			map[string]any{"name": "cloudsql", "cloudSqlInstance": map[string]any{"instances": []any{}}},
		}},
		{name: "unknown volumes", want: capacity.MethodPrivateIP, volumes: pt.Computed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := topoService()
			if c.volumes != nil {
				pt.Set(svc, "template.volumes", c.volumes)
			}
			w, ok := svcWorld(svc, "").workloadNamed(topoServiceName)
			require.True(t, ok)
			assert.Equal(t, c.want, w.Method)
		})
	}
}

// TestReadServiceProbePath: an HTTP startup probe checks its path ("/"
// when unset); a TCP probe has none.
func TestReadServiceProbePath(t *testing.T) {
	cases := []struct {
		name    string
		httpGet any // nil: a TCP probe
		want    string
	}{
		{name: "tcp"},
		{name: "http path", httpGet: map[string]any{"path": "/healthz/db", "port": 8080}, want: "/healthz/db"},
		{name: "http without path", httpGet: map[string]any{"port": 8080}, want: "/"},
		{name: "http empty path", httpGet: map[string]any{"path": ""}, want: "/"},
		{name: "http unknown path", httpGet: map[string]any{"path": pt.Computed}, want: "/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := topoService()
			if c.httpGet != nil {
				pt.Delete(svc, "template.containers[0].startupProbe.tcpSocket")
				pt.Set(svc, "template.containers[0].startupProbe.httpGet", c.httpGet)
			}
			w, ok := svcWorld(svc, "").workloadNamed(topoServiceName)
			require.True(t, ok)
			assert.Equal(t, c.want, w.StartupProbe.Path)
			assert.Equal(t, 24, w.StartupProbe.FailureThreshold)
		})
	}
}

// TestStartupProbeOfFirstContainerWithOne: a sidecar without a probe does
// not hide the application container's probe.
func TestStartupProbeOfFirstContainerWithOne(t *testing.T) {
	svc := topoService()
	app := svc["template"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	pt.Set(app, "startupProbe.httpGet", map[string]any{"path": "/healthz/db"})
	pt.Set(svc, "template.containers", []any{"not-an-object", map[string]any{"image": "proxy"}, app})
	w, ok := svcWorld(svc, "").workloadNamed(topoServiceName)
	require.True(t, ok)
	assert.Equal(t, "/healthz/db", w.StartupProbe.Path)
	assert.Equal(t, 10, w.StartupProbe.PeriodSeconds)

	probe, st := startupProbe(pt.Map(map[string]any{"template": map[string]any{"containers": []any{map[string]any{"image": "proxy"}}}}))
	assert.Equal(t, stMissing, st)
	assert.Empty(t, probe.AsMap())
}

// TestResolveDatabaseOrder: DB_HOST (an instance's IP), then DB_INSTANCE
// (its last segment names an instance), then the single instance the
// service depends on; unknown only when nothing resolved and a variable
// was unknown.
func TestResolveDatabaseOrder(t *testing.T) {
	aURN, bURN := topoURN(TypeSQLInstance, "a"), topoURN(TypeSQLInstance, "b")
	cases := []struct {
		name     string
		host     any // nil: absent
		instance any // nil: absent
		deps     []string
		want     string
		st       status
	}{
		{name: "host", host: "10.0.0.4", want: "b", st: stOK},
		{name: "host before instance", host: "10.0.0.3", instance: "p:us-central1:b", want: "a", st: stOK},
		{name: "instance", instance: "p:us-central1:a", want: "a", st: stOK},
		{name: "unmatched host, instance", host: "10.9.9.9", instance: "p:us-central1:b", want: "b", st: stOK},
		{name: "unknown host, instance", host: pt.Computed, instance: "b", want: "b", st: stOK},
		{name: "unmatched, dependency", host: "10.9.9.9", instance: "p:us-central1:c", deps: []string{bURN}, want: "b", st: stOK},
		{name: "unknown host, dependency", host: pt.Computed, deps: []string{aURN}, want: "a", st: stOK},
		{name: "two dependencies", deps: []string{aURN, bURN}, st: stMissing},
		{name: "unknown host", host: pt.Computed, instance: "p:us-central1:c", st: stUnknown},
		{name: "unknown instance", host: "10.9.9.9", instance: pt.Computed, st: stUnknown},
		{name: "unmatched", host: "10.9.9.9", instance: "p:us-central1:c", st: stMissing},
		{name: "nothing", st: stMissing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]any{"DB_NAME": "app"}
			if c.host != nil {
				env[envHost] = c.host
			}
			if c.instance != nil {
				env[envInstance] = c.instance
			}
			got, st := resolveWith(t, env, c.deps, topoInstance("a", "10.0.0.3"), topoInstance("b", "10.0.0.4"))
			assert.Equal(t, c.st, st)
			assert.Equal(t, c.want, got)
		})
	}
}

// resolveWith resolves the database of a service "api" with env and
// dependencies deps, among Cloud SQL instances "a", "b", … with the given
// properties.
func resolveWith(t *testing.T, env map[string]any, deps []string, instances ...map[string]any) (string, status) {
	t.Helper()
	var envs []any
	for k, v := range env {
		envs = append(envs, map[string]any{"name": k, "value": v})
	}
	svc := pt.Resource(TypeRunService, "api", map[string]any{"template": map[string]any{"containers": []any{map[string]any{"envs": envs}}}})
	svc.Dependencies = deps
	var rs []policyx.AnalyzerResource
	for i, props := range instances {
		rs = append(rs, pt.Resource(TypeSQLInstance, string(rune('a'+i)), props))
	}
	ex := topoExtract(append(rs, svc)...)
	e, st := envOf(svc.Properties)
	require.Equal(t, stOK, st)
	return ex.resolveDatabase(&svc, e)
}

// TestDependencyOfType: the dependencies of the given property when it has
// any, else every dependency; exactly one resource of the type, or nil.
func TestDependencyOfType(t *testing.T) {
	c1, c2 := topoURN(TypeConnector, "c1"), topoURN(TypeConnector, "c2")
	db, missing := topoURN(TypeSQLInstance, "db"), topoURN(TypeConnector, "not-in-the-graph")
	ex := topoExtract(
		pt.Resource(TypeConnector, "c1", topoConnector("c1", topoRegion)),
		pt.Resource(TypeConnector, "c2", topoConnector("c2", topoRegion)),
		pt.Resource(TypeSQLInstance, "db", topoInstance("db", "10.100.0.3")),
	)
	cases := []struct {
		name     string
		key      string
		deps     []string
		propDeps map[string][]string
		want     string // logical name; "" = nil
	}{
		{name: "property's dependency", key: "template", deps: []string{c1, c2}, propDeps: map[string][]string{"template": {c1}}, want: "c1"},
		{name: "property without dependencies: all", key: "template", deps: []string{c2}, propDeps: map[string][]string{"labels": {db}}, want: "c2"},
		{name: "no key: all", deps: []string{db}, propDeps: map[string][]string{"template": {c1}}, want: "c1"},
		{name: "one of the type among others", deps: []string{db, c2}, want: "c2"},
		{name: "the same twice", deps: []string{c1}, propDeps: map[string][]string{"template": {c1}}, want: "c1"},
		{name: "two of the type", deps: []string{c1, c2}},
		{name: "two through properties", propDeps: map[string][]string{"a": {c1}, "b": {c2}}},
		{name: "none of the type", deps: []string{db}},
		{name: "not in the graph", deps: []string{missing}},
		{name: "no dependencies"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &policyx.AnalyzerResource{Type: TypeRunService, Name: "api", Dependencies: c.deps, PropertyDependencies: c.propDeps}
			got := ex.dependencyOfType(r, c.key, TypeConnector)
			if c.want == "" {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, c.want, got.Name)
		})
	}
}

// TestResolveDatabaseHostNotKnownYet: a literal DB_HOST that matches no
// known address, while an instance's address is not known yet (a new
// instance in preview), is unknown — it may be that instance — not a
// target that resolves to nothing. Once every address is known, it is.
func TestResolveDatabaseHostNotKnownYet(t *testing.T) {
	cases := []struct {
		name  string
		unset func(m map[string]any)
		st    status
	}{
		{name: "both addresses known", unset: func(map[string]any) {}, st: stMissing},
		{name: "private address unknown", unset: func(m map[string]any) {
			pt.Set(m, "privateIpAddress", pt.Computed)
			pt.Set(m, "ipAddresses", []any{})
		}, st: stUnknown},
		{name: "address list unknown", unset: func(m map[string]any) {
			delete(m, "privateIpAddress")
			pt.Set(m, "ipAddresses", pt.Computed)
		}, st: stUnknown},
		{name: "one listed address unknown", unset: func(m map[string]any) {
			delete(m, "privateIpAddress")
			pt.Set(m, "ipAddresses", []any{map[string]any{"type": "PRIVATE", "ipAddress": pt.Computed}})
		}, st: stUnknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := topoInstance("b", "10.0.0.4")
			c.unset(b)
			got, st := resolveWith(t, map[string]any{envHost: "10.0.0.9"}, nil, topoInstance("a", "10.0.0.3"), b)
			assert.Equal(t, c.st, st)
			assert.Empty(t, got)
		})
	}
}
