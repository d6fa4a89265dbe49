package pack_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

func mandatoryPolicies(res pack.Result) map[string]bool {
	out := map[string]bool{}
	for _, v := range res.Mandatory() {
		out[v.Policy] = true
	}
	return out
}

func evaluate(t *testing.T, s *pt.Stack, cfg pack.Config) pack.Result {
	t.Helper()
	res, err := pack.Evaluate(s.Resources(), cfg)
	require.NoError(t, err)
	return res
}

// TestFixtures: the reference stacks pass; the incident fails for the
// reasons of the post-mortem (docs/incident-1278.md).
func TestFixtures(t *testing.T) {
	staging := evaluate(t, pt.Staging(), stagingCfg())
	assert.Empty(t, staging.Mandatory(), "staging")
	assert.Len(t, staging.Topology.Workloads, 2)
	assert.Len(t, staging.Topology.Databases, 1)
	assert.Empty(t, staging.Unknowns)

	prod := evaluate(t, pt.Production(), prodCfg())
	assert.Empty(t, prod.Mandatory(), "production")
	assert.Len(t, prod.Topology.Workloads, 4)
	assert.Len(t, prod.Topology.Databases, 2)
	assert.Equal(t, "prod-postgres", prod.Topology.Databases[1].ReplicaOf)

	inc := evaluate(t, pt.Incident(), stagingCfg())
	got := mandatoryPolicies(inc)
	for _, want := range []string{pack.PolicyConnectionBudget, pack.PolicyColdStartSuccess, pack.PolicyTimeoutBudget, pack.PolicyEgressHeadroom} {
		assert.True(t, got[want], "incident must fail %s; got %v", want, got)
	}
	// Every capacity verdict names the scenario it was judged in.
	scenarioPrefix := regexp.MustCompile(`^(cold-start|overshoot|rollout/[a-z0-9-]+|failover/[a-z0-9-]+|restart/[a-z0-9-]+): `)
	for _, v := range inc.Mandatory() {
		switch v.Policy {
		case pack.PolicyConnectionBudget, pack.PolicyEgressHeadroom, pack.PolicyTimeoutBudget, pack.PolicyColdStartSuccess:
			assert.Regexp(t, scenarioPrefix, v.Message)
		}
	}
	for _, v := range inc.Mandatory() {
		if v.Policy == pack.PolicyConnectionBudget {
			assert.Contains(t, v.Message, "raise max_connections")
			assert.Equal(t, pt.Incident().URN(pt.TypeSQLInstance, "staging-shared-postgres"), v.Resource)
		}
	}
}

// toDirect switches every service of a stack to Direct VPC egress into the
// region's subnet and drops the connectors.
func toDirect(s *pt.Stack, subnetCIDR string) {
	for name, m := range s.Props {
		if sub, ok := m["ipCidrRange"].(string); ok && strings.HasPrefix(name, "staging-vpc-") {
			_ = sub
			m["ipCidrRange"] = subnetCIDR
		}
		if _, ok := m["template"]; ok {
			pt.Set(m, "template.vpcAccess", map[string]any{
				"egress": "PRIVATE_RANGES_ONLY",
				"networkInterfaces": []any{map[string]any{
					"network":    "staging-vpc",
					"subnetwork": "projects/netra-staging/regions/us-central1/subnetworks/staging-vpc-us-central1",
				}},
			})
		}
	}
}

// builtin makes every service use Cloud Run's built-in Cloud SQL connection.
func builtin(s *pt.Stack) {
	for _, m := range s.Props {
		if _, ok := m["template"]; ok {
			pt.Set(m, "template.volumes", []any{map[string]any{
				"name": "cloudsql", "cloudSqlInstance": map[string]any{"instances": []any{"netra-staging:us-central1:staging-shared-postgres"}},
			}})
		}
	}
}

// TestStackPolicies gives every stack policy a passing and a failing case.
func TestStackPolicies(t *testing.T) {
	type tc struct {
		name   string
		policy string
		stack  func() *pt.Stack
		cfg    pack.Config
		fail   bool
		want   string
	}
	staging := func(edit func(s *pt.Stack)) func() *pt.Stack {
		return func() *pt.Stack { s := pt.Staging(); edit(s); return s }
	}
	cases := []tc{
		{name: "staging ok", policy: pack.PolicyCapacityModel, stack: pt.Staging},
		{name: "unresolvable target", policy: pack.PolicyCapacityModel, fail: true, want: "resolves to no single Cloud SQL instance",
			stack: func() *pt.Stack {
				// A hand-written state without dependencies.
				s := pt.NewStack("headroom", "hand")
				s.Add(pt.TypeSQLInstance, "db", baseInstance())
				svc := baseService()
				pt.SetEnv(svc, "DB_HOST", "10.1.2.3")
				pt.SetEnv(svc, "DB_INSTANCE", "p:us-central1:other")
				s.Add(pt.TypeConnector, "conn", baseConnector())
				s.Add(pt.TypeRunService, "api-us-central1", svc)
				return s
			}},

		{name: "budget fits", policy: pack.PolicyConnectionBudget, stack: pt.Staging},
		{name: "budget exceeded", policy: pack.PolicyConnectionBudget, fail: true, want: "netra-backend",
			stack: staging(func(s *pt.Stack) {
				pt.Set(s.Props["netra-backend-us-central1"], "template.scaling.maxInstanceCount", 40)
			})},

		{name: "replica parity", policy: pack.PolicyReplicaParity, stack: pt.Production, cfg: prodCfg()},
		{name: "replica too small", policy: pack.PolicyReplicaParity, cfg: prodCfg(), fail: true, want: "prod-postgres-use1",
			stack: func() *pt.Stack {
				s := pt.Production()
				pt.SetFlag(s.Props["prod-postgres-use1"], "max_connections", "300")
				return s
			}},

		{name: "cold start ok", policy: pack.PolicyColdStartSuccess, stack: pt.Staging},
		{name: "cold start storm", policy: pack.PolicyColdStartSuccess, stack: pt.Incident, fail: true, want: "cold-start: predicted storm success 40.0% (12 of 30 instances ready) is not above the 90.0% target"},

		{name: "timeout ok", policy: pack.PolicyTimeoutBudget, stack: pt.Staging},
		{name: "timeout exceeded", policy: pack.PolicyTimeoutBudget, stack: pt.Incident, fail: true, want: "worst-case connect"},

		{name: "egress ok", policy: pack.PolicyEgressHeadroom, stack: pt.Staging},
		{name: "e2-micro connector", policy: pack.PolicyEgressHeadroom, fail: true, want: "staging-connector",
			stack: staging(func(s *pt.Stack) { s.Props["staging-connector"]["machineType"] = "e2-micro" })},

		{name: "direct egress /20", policy: pack.PolicyDirectEgressIPs, stack: staging(func(s *pt.Stack) { toDirect(s, "10.10.0.0/20") })},
		{name: "direct egress /28", policy: pack.PolicyDirectEgressIPs, fail: true, want: "staging-vpc-us-central1",
			stack: staging(func(s *pt.Stack) { toDirect(s, "10.10.0.0/28") })},

		{name: "admin api ok", policy: pack.PolicyAdminAPIQuota, stack: staging(builtin)},
		// 2 calls × (600 + 10 instances) = 1220 > 1000 per minute.
		{name: "admin api burst", policy: pack.PolicyAdminAPIQuota, fail: true,
			want: "cold-start: region us-central1: ≈1220 Cloud SQL Admin API connect calls (2 per starting instance per database) against 1000 per minute",
			stack: staging(func(s *pt.Stack) {
				builtin(s)
				pt.Set(s.Props["netra-backend-us-central1"], "template.scaling.maxInstanceCount", 600)
			})},

		{name: "builtin cap ok", policy: pack.PolicyBuiltinConnCap, stack: staging(builtin)},
		{name: "builtin cap exceeded", policy: pack.PolicyBuiltinConnCap, fail: true, want: "100",
			stack: staging(func(s *pt.Stack) {
				builtin(s)
				pt.SetEnv(s.Props["netra-backend-us-central1"], "DB_POOL_SIZE", "90")
				pt.SetEnv(s.Props["netra-backend-us-central1"], "DB_MAX_OVERFLOW", "20")
			})},

		{name: "production multi-region", policy: pack.PolicyMultiRegion, stack: pt.Production, cfg: prodCfg()},
		{name: "staging judged as production", policy: pack.PolicyMultiRegion, stack: pt.Staging, cfg: prodCfg(), fail: true,
			want: "not multi-region redundant"},
		{name: "staging not judged", policy: pack.PolicyMultiRegion, stack: pt.Staging},

		{name: "contract services readable", policy: pack.PolicyDemandReadable, stack: pt.Staging, cfg: demandMandatory()},
		{name: "database url from secret manager", policy: pack.PolicyDemandReadable, cfg: demandMandatory(), fail: true,
			want: "env DATABASE_URL (from Secret Manager secret db-url)",
			stack: staging(func(s *pt.Stack) {
				m := s.Props["netra-backend-us-central1"]
				pt.Set(m, "template.containers[0].envs", []any{map[string]any{
					"name": "DATABASE_URL", "valueSource": map[string]any{"secretKeyRef": map[string]any{"secret": "projects/p/secrets/db-url", "version": "latest"}},
				}})
			})},

		{name: "ranges disjoint", policy: pack.PolicyCIDROverlap, stack: pt.Production, cfg: prodCfg()},
		{name: "connector inside subnet", policy: pack.PolicyCIDROverlap, fail: true, want: "overlaps",
			stack: staging(func(s *pt.Stack) { s.Props["staging-connector"]["ipCidrRange"] = "10.10.0.16/28" })},

		{name: "group invoker in production", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(),
			stack: invoked(pt.Production, "group:frontend@example.com", false)},
		{name: "allUsers with the public label", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(),
			stack: invoked(pt.Production, "allUsers", true)},
		{name: "allUsers in staging", policy: pack.PolicyRunPublicInvoker,
			stack: invoked(pt.Staging, "allUsers", false)},
		{name: "allUsers without the label in production", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(), fail: true,
			want:  "allUsers may invoke it in production, and it does not say it is public",
			stack: invoked(pt.Production, "allUsers", false)},
		{name: "allUsers in an IAM binding's members", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(), fail: true,
			want: "allUsers may invoke it in production",
			stack: grantedBy(pt.Production, pack.TypeRunIAMBinding, func(svc, loc string) map[string]any {
				return map[string]any{"name": svc, "location": loc, "role": "roles/run.invoker", "members": []any{"group:a@example.com", "allUsers"}}
			})},
		{name: "allUsers in an IAM binding of another role", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(),
			stack: grantedBy(pt.Production, pack.TypeRunIAMBinding, func(svc, loc string) map[string]any {
				return map[string]any{"name": svc, "location": loc, "role": "roles/run.viewer", "members": []any{"allUsers"}}
			})},
		{name: "allUsers in an IAM policy document", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(), fail: true,
			want: "allUsers may invoke it in production",
			stack: grantedBy(pt.Production, pack.TypeRunIAMPolicy, func(svc, loc string) map[string]any {
				return map[string]any{"name": svc, "location": loc,
					"policyData": `{"bindings":[{"role":"roles/run.viewer","members":["group:a@example.com"]},{"role":"roles/run.invoker","members":["allUsers"]}]}`}
			})},
		{name: "an IAM policy document granting invoker to a group", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(),
			stack: grantedBy(pt.Production, pack.TypeRunIAMPolicy, func(svc, loc string) map[string]any {
				return map[string]any{"name": svc, "location": loc, "policyData": `{"bindings":[{"role":"roles/run.invoker","members":["group:a@example.com"]}]}`}
			})},
		{name: "allUsers on the full resource name", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(), fail: true,
			want: "allUsers may invoke it in production",
			stack: grantedBy(pt.Production, pack.TypeRunIAMMember, func(svc, loc string) map[string]any {
				return map[string]any{"name": "projects/p/locations/" + loc + "/services/" + svc, "role": "roles/run.invoker", "member": "allUsers"}
			})},
		{name: "allUsers on a namesake in another location", policy: pack.PolicyRunPublicInvoker, cfg: prodCfg(),
			stack: grantedBy(pt.Production, pack.TypeRunIAMMember, func(svc, _ string) map[string]any {
				return map[string]any{"name": svc, "location": "antarctica-south1", "role": "roles/run.invoker", "member": "allUsers"}
			})},

		{name: "secret read by its service only", policy: pack.PolicySecretAccessorScope,
			stack: secretStack("serviceAccount:netra-backend@netra-staging.iam.gserviceaccount.com", false)},
		{name: "secret also readable by a group", policy: pack.PolicySecretAccessorScope, fail: true,
			want:  "secret stripe-key (read as env by service netra-backend-us-central1) is also readable by group:ops@example.com",
			stack: secretStack("group:ops@example.com", false)},
		{name: "secrets readable project-wide", policy: pack.PolicySecretAccessorScope, fail: true,
			want:  "on the whole project",
			stack: secretStack("serviceAccount:auth-service@netra-staging.iam.gserviceaccount.com", true)},
	}
	covered := map[string][2]bool{}
	for _, c := range cases {
		t.Run(c.policy+"/"+c.name, func(t *testing.T) {
			cfg := c.cfg
			if cfg.Environment == "" {
				cfg = stagingCfg()
			}
			m := runStack(t, cfg, c.policy, c.stack())
			mandatory := levels(m, pack.LevelMandatory)
			if c.fail {
				require.NotEmpty(t, mandatory, "advisory: %q", levels(m, pack.LevelAdvisory))
				assert.Contains(t, strings.Join(mandatory, "\n"), c.want)
			} else {
				assert.Empty(t, mandatory)
			}
			v := covered[c.policy]
			if c.fail {
				v[1] = true
			} else {
				v[0] = true
			}
			covered[c.policy] = v
		})
	}
	for _, info := range pack.Catalog() {
		if info.Kind == pack.KindStack {
			assert.Equal(t, [2]bool{true, true}, covered[info.Name], "%s needs a passing and a failing case", info.Name)
		}
	}
}

// TestTargetResolution follows the conventions' order: DB_HOST, then
// DB_INSTANCE, then a single dependency on an instance.
func TestTargetResolution(t *testing.T) {
	cases := []struct {
		name string
		edit func(s *pt.Stack)
		want string
	}{
		{name: "db host", want: "prod-postgres"},
		{name: "db host unknown, db instance", want: "prod-postgres", edit: func(s *pt.Stack) {
			pt.SetEnv(s.Props["netra-backend-us-central1"], "DB_HOST", pt.Computed)
		}},
		{name: "db host points at replica", want: "prod-postgres-use1", edit: func(s *pt.Stack) {
			pt.SetEnv(s.Props["netra-backend-us-central1"], "DB_HOST", "10.100.1.3")
		}},
		{name: "dependency only", want: "prod-postgres", edit: func(s *pt.Stack) {
			pt.DeleteEnv(s.Props["netra-backend-us-central1"], "DB_HOST")
			pt.DeleteEnv(s.Props["netra-backend-us-central1"], "DB_INSTANCE")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := pt.Production()
			if c.edit != nil {
				c.edit(s)
			}
			topo, unknowns := pack.ExtractTopology(s.Resources(), prodCfg())
			assert.Empty(t, unknowns)
			var got string
			for _, w := range topo.Workloads {
				if w.Name == "netra-backend-us-central1" {
					got = w.Database
				}
			}
			assert.Equal(t, c.want, got)
		})
	}
}

// TestUnknownsNeverPassSilently: a computed value leaves the service out of
// the capacity analyses, is reported as an advisory "cannot verify until
// known", and the rest of the stack is still judged.
func TestUnknownsNeverPassSilently(t *testing.T) {
	s := pt.Incident()
	pt.Set(s.Props["auth-service-us-central1"], "template.scaling.maxInstanceCount", pt.Computed)
	res := evaluate(t, s, stagingCfg())
	require.NotEmpty(t, res.Unknowns)
	var msgs []string
	for _, v := range res.Violations {
		if v.Policy == pack.PolicyCapacityModel && v.Level == pack.LevelAdvisory {
			msgs = append(msgs, v.Message)
		}
	}
	assert.Contains(t, strings.Join(msgs, "\n"), "cannot verify until known: auth-service-us-central1 template.scaling.maxInstanceCount")
	assert.Len(t, res.Topology.Workloads, 1, "the unknown service is left out")
	assert.True(t, mandatoryPolicies(res)[pack.PolicyConnectionBudget], "the rest is still judged")
	// The resource policy sees the same unknown.
	found := false
	for _, u := range res.Unknowns {
		if u.Policy == pack.PolicyRunMaxInstances {
			found = true
		}
	}
	assert.True(t, found, "unknowns: %+v", res.Unknowns)
}

// TestLevelsFromConfig: a config can disable or downgrade a policy.
func TestLevelsFromConfig(t *testing.T) {
	cfg := stagingCfg()
	cfg.Levels = map[string]string{pack.PolicyConnectionBudget: pack.LevelDisabled, pack.PolicyEgressHeadroom: pack.LevelAdvisory}
	res := evaluate(t, pt.Incident(), cfg)
	got := mandatoryPolicies(res)
	assert.False(t, got[pack.PolicyConnectionBudget])
	assert.False(t, got[pack.PolicyEgressHeadroom])
	assert.True(t, got[pack.PolicyColdStartSuccess])
	for _, v := range res.Violations {
		assert.NotEqual(t, pack.PolicyConnectionBudget, v.Policy, "disabled policy reported")
	}
}

// TestTargetsFromConfig: the production target (0.999) is stricter than
// staging's; the config reaches the simulation.
func TestTargetsFromConfig(t *testing.T) {
	cfg := stagingCfg()
	cfg.Targets = capacity.Targets{StartupSuccessRate: 0.3}
	loose := evaluate(t, pt.Incident(), cfg)
	cfg.Targets = capacity.Targets{StartupSuccessRate: 0.99}
	strict := evaluate(t, pt.Incident(), cfg)
	assert.Equal(t, 0.3, loose.Topology.Targets.StartupSuccessRate)
	assert.Equal(t, 0.99, strict.Topology.Targets.StartupSuccessRate)
	count := func(r pack.Result) int {
		n := 0
		for _, v := range r.Mandatory() {
			if v.Policy == pack.PolicyColdStartSuccess && strings.Contains(v.Message, "cold-start: predicted storm success") {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 1, count(strict))
	assert.Equal(t, 0, count(loose), "%v", loose.Mandatory())
}

func BenchmarkEvaluateProduction(b *testing.B) {
	rs := pt.Production().Resources()
	cfg := prodCfg()
	for b.Loop() {
		if _, err := pack.Evaluate(rs, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// invoked adds a roles/run.invoker grant for member on the stack's first
// service, with the public label when public.
func invoked(base func() *pt.Stack, member string, public bool) func() *pt.Stack {
	return func() *pt.Stack {
		s := base()
		var svc string
		for _, r := range s.Resources() {
			if r.Type == pack.TypeRunService {
				svc = r.Name
				break
			}
		}
		if public {
			s.Props[svc]["labels"].(map[string]any)["headroom-public"] = "true"
		}
		s.Add(pack.TypeRunIAMMember, svc+"-invoker", map[string]any{
			"name": svc, "location": s.Props[svc]["location"], "role": "roles/run.invoker", "member": member,
		}, svc)
		return s
	}
}

// grantedBy adds to base an IAM resource of typ on its first Cloud Run
// service, with the properties props gives for the service's name and
// location.
func grantedBy(base func() *pt.Stack, typ string, props func(svc, loc string) map[string]any) func() *pt.Stack {
	return func() *pt.Stack {
		s := base()
		var svc string
		for _, r := range s.Resources() {
			if r.Type == pack.TypeRunService {
				svc = r.Name
				break
			}
		}
		loc, _ := s.Props[svc]["location"].(string)
		s.Add(typ, svc+"-iam", props(svc, loc), svc)
		return s
	}
}

// secretStack: staging's netra-backend reads the secret stripe-key as env;
// the service's own account is granted on it, and member too (on the
// secret, or on the project when projectWide).
func secretStack(member string, projectWide bool) func() *pt.Stack {
	return func() *pt.Stack {
		s := pt.Staging()
		const svc = "netra-backend-us-central1"
		c := s.Props[svc]["template"].(map[string]any)["containers"].([]any)[0].(map[string]any)
		c["envs"] = append(c["envs"].([]any), map[string]any{"name": "STRIPE_KEY",
			"valueSource": map[string]any{"secretKeyRef": map[string]any{"secret": "projects/netra-staging/secrets/stripe-key", "version": "3"}}})
		s.Add(pack.TypeSecretIAMMember, "netra-backend-secret-stripe", map[string]any{"project": "netra-staging",
			"secretId": "stripe-key", "role": "roles/secretmanager.secretAccessor",
			"member": "serviceAccount:netra-backend@netra-staging.iam.gserviceaccount.com"})
		if projectWide {
			s.Add(pack.TypeProjectIAMMember, "everyone-reads-secrets", map[string]any{"project": "netra-staging",
				"role": "roles/secretmanager.secretAccessor", "member": member})
		} else {
			s.Add(pack.TypeSecretIAMMember, "other-reader", map[string]any{"project": "netra-staging",
				"secretId": "stripe-key", "role": "roles/secretmanager.secretAccessor", "member": member})
		}
		return s
	}
}

// demandMandatory is the staging config with cloudrun-db-demand-readable
// raised to mandatory.
func demandMandatory() pack.Config {
	c := stagingCfg()
	c.Levels = map[string]string{pack.PolicyDemandReadable: pack.LevelMandatory}
	return c
}
