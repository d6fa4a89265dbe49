package analyzer_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/headroom-dev/headroom/policies/analyzer"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// start serves the pack on a loopback TCP port, as the engine sees it.
func start(t *testing.T) pulumirpc.AnalyzerClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	analyzer.Register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return pulumirpc.NewAnalyzerClient(conn)
}

func marshal(t *testing.T, r policyx.AnalyzerResource) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(resource.ToResourcePropertyMap(r.Properties), plugin.MarshalOptions{
		KeepUnknowns: true, KeepSecrets: true, KeepResources: true,
	})
	require.NoError(t, err)
	return s
}

func stackRequest(t *testing.T, s *pt.Stack) *pulumirpc.AnalyzeStackRequest {
	req := &pulumirpc.AnalyzeStackRequest{}
	for _, r := range s.Resources() {
		ar := &pulumirpc.AnalyzerResource{Type: r.Type, Urn: r.URN, Name: r.Name, Properties: marshal(t, r), Dependencies: r.Dependencies}
		if len(r.PropertyDependencies) > 0 {
			ar.PropertyDependencies = map[string]*pulumirpc.AnalyzerPropertyDependencies{}
			for k, v := range r.PropertyDependencies {
				ar.PropertyDependencies[k] = &pulumirpc.AnalyzerPropertyDependencies{Urns: v}
			}
		}
		req.Resources = append(req.Resources, ar)
	}
	return req
}

// configFor is what the engine sends to Configure after reconciling a
// config file with the policies' defaults: every policy with a level.
func configFor(t *testing.T, env string, levels map[string]pulumirpc.EnforcementLevel) *pulumirpc.ConfigureAnalyzerRequest {
	t.Helper()
	req := &pulumirpc.ConfigureAnalyzerRequest{PolicyConfig: map[string]*pulumirpc.PolicyConfig{}}
	for _, p := range pack.Catalog() {
		lvl := pulumirpc.EnforcementLevel_ADVISORY
		if p.Level == pack.LevelMandatory {
			lvl = pulumirpc.EnforcementLevel_MANDATORY
		}
		if l, ok := levels[p.Name]; ok {
			lvl = l
		}
		req.PolicyConfig[p.Name] = &pulumirpc.PolicyConfig{EnforcementLevel: lvl}
	}
	props, err := structpb.NewStruct(map[string]any{"environment": env, "targets": map[string]any{"startupSuccessRate": 0.9}})
	require.NoError(t, err)
	req.PolicyConfig[pack.PolicyCapacityModel].Properties = props
	return req
}

func mandatory(resp *pulumirpc.AnalyzeResponse) map[string]int {
	out := map[string]int{}
	for _, d := range resp.GetDiagnostics() {
		if d.GetEnforcementLevel() == pulumirpc.EnforcementLevel_MANDATORY {
			out[d.GetPolicyName()]++
		}
	}
	return out
}

// TestCallOrders drives the server in the order `pulumi preview/up` uses
// (ConfigureStack first) and in the order `pulumi policy analyze` uses (no
// ConfigureStack; GetPluginInfo after Configure). Plain policyx.Main
// crashes on the second.
func TestCallOrders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	orders := map[string][]string{
		"preview":        {"Handshake", "ConfigureStack", "GetAnalyzerInfo", "Configure", "Analyze", "AnalyzeStack"},
		"policy analyze": {"Handshake", "GetPluginInfo", "GetAnalyzerInfo", "Configure", "GetPluginInfo", "Remediate", "Analyze", "AnalyzeStack"},
		"no handshake":   {"GetPluginInfo", "GetAnalyzerInfo", "Analyze", "AnalyzeStack"},
	}
	for name, calls := range orders {
		t.Run(name, func(t *testing.T) {
			c := start(t)
			s := pt.Incident()
			db := s.Resources()[4]
			require.Equal(t, pack.TypeSQLInstance, db.Type)
			var stackResp, resResp *pulumirpc.AnalyzeResponse
			configured := false
			for _, call := range calls {
				var err error
				switch call {
				case "Handshake":
					_, err = c.Handshake(ctx, &pulumirpc.AnalyzerHandshakeRequest{EngineAddress: "127.0.0.1:1", RootDirectory: &dir, ProgramDirectory: &dir})
				case "ConfigureStack":
					_, err = c.ConfigureStack(ctx, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "incident", Project: "headroom", DryRun: true})
				case "GetPluginInfo":
					var info *pulumirpc.PluginInfo
					info, err = c.GetPluginInfo(ctx, &emptypb.Empty{})
					if err == nil {
						assert.Equal(t, pack.Version, info.GetVersion())
					}
				case "GetAnalyzerInfo":
					var info *pulumirpc.AnalyzerInfo
					info, err = c.GetAnalyzerInfo(ctx, &emptypb.Empty{})
					if err == nil {
						assert.Equal(t, pack.Name, info.GetName())
						assert.True(t, info.GetSupportsConfig())
						assert.Len(t, info.GetPolicies(), len(pack.Catalog()))
						for _, p := range info.GetPolicies() {
							assert.NotNil(t, p.GetConfigSchema(), "every policy publishes a config schema: %s", p.GetName())
							if p.GetName() == pack.PolicyCapacityModel {
								assert.NotNil(t, p.GetConfigSchema().GetProperties().GetFields()["targets"])
								assert.Equal(t, pulumirpc.PolicyType_POLICY_TYPE_STACK, p.GetPolicyType())
							}
						}
					}
				case "Configure":
					_, err = c.Configure(ctx, configFor(t, "staging", nil))
					configured = true
				case "Remediate":
					var r *pulumirpc.RemediateResponse
					r, err = c.Remediate(ctx, &pulumirpc.AnalyzeRequest{Type: db.Type, Urn: db.URN, Name: db.Name, Properties: marshal(t, db)})
					if err == nil {
						assert.Empty(t, r.GetRemediations())
					}
				case "Analyze":
					db := db
					pt.DeleteFlag(s.Props[db.Name], "log_connections")
					db.Properties = pt.Map(s.Props[db.Name])
					resResp, err = c.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: db.Type, Urn: db.URN, Name: db.Name, Properties: marshal(t, db)})
				case "AnalyzeStack":
					stackResp, err = c.AnalyzeStack(ctx, stackRequest(t, pt.Incident()))
				}
				require.NoError(t, err, call)
			}
			got := mandatory(stackResp)
			for _, p := range []string{pack.PolicyConnectionBudget, pack.PolicyColdStartSuccess, pack.PolicyTimeoutBudget, pack.PolicyEgressHeadroom} {
				assert.Positive(t, got[p], "%s missing from %v", p, got)
			}
			for _, d := range stackResp.GetDiagnostics() {
				assert.Equal(t, pack.Name, d.GetPolicyPackName())
				assert.Equal(t, pack.Version, d.GetPolicyPackVersion())
			}
			// The CIS logging policy is advisory by default; the resource
			// diagnostic names the flag and the resource.
			var cis *pulumirpc.AnalyzeDiagnostic
			for _, d := range resResp.GetDiagnostics() {
				if d.GetPolicyName() == pack.PolicySQLCISLogging {
					cis = d
				}
			}
			require.NotNil(t, cis, "diagnostics: %v", resResp.GetDiagnostics())
			assert.Contains(t, cis.GetMessage(), "log_connections=on")
			assert.Equal(t, db.URN, cis.GetUrn())
			assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, cis.GetEnforcementLevel())
			// Without Configure the default environment is production,
			// which adds multi-region-redundancy.
			assert.Equal(t, !configured, got[pack.PolicyMultiRegion] > 0, "multi-region with configured=%v", configured)
		})
	}
}

// TestConfigureLevels: levels from Configure apply, and a bad config is an
// InvalidArgument naming the key.
func TestConfigureLevels(t *testing.T) {
	ctx := context.Background()
	c := start(t)
	_, err := c.Configure(ctx, configFor(t, "staging", map[string]pulumirpc.EnforcementLevel{
		pack.PolicyConnectionBudget: pulumirpc.EnforcementLevel_DISABLED,
		pack.PolicyEgressHeadroom:   pulumirpc.EnforcementLevel_ADVISORY,
	}))
	require.NoError(t, err)
	resp, err := c.AnalyzeStack(ctx, stackRequest(t, pt.Incident()))
	require.NoError(t, err)
	got := mandatory(resp)
	assert.Zero(t, got[pack.PolicyConnectionBudget])
	assert.Zero(t, got[pack.PolicyEgressHeadroom])
	assert.Positive(t, got[pack.PolicyColdStartSuccess])
	for _, d := range resp.GetDiagnostics() {
		assert.NotEqual(t, pack.PolicyConnectionBudget, d.GetPolicyName())
	}

	bad := configFor(t, "prod", nil)
	_, err = c.Configure(ctx, bad)
	require.Error(t, err)
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Contains(t, err.Error(), "capacity-model.environment")
}

// TestUnknownsOverGRPC: computed values survive the wire and become
// advisory "cannot verify until known" diagnostics, never a failure.
func TestUnknownsOverGRPC(t *testing.T) {
	ctx := context.Background()
	c := start(t)
	_, err := c.Configure(ctx, configFor(t, "staging", nil))
	require.NoError(t, err)
	s := pt.Staging()
	svc := s.Props["netra-backend-us-central1"]
	pt.Set(svc, "template.scaling.maxInstanceCount", pt.Computed)
	pt.SetEnv(svc, "DB_HOST", pt.Secret(pt.Computed))
	var r policyx.AnalyzerResource
	for _, x := range s.Resources() {
		if x.Name == "netra-backend-us-central1" {
			r = x
		}
	}
	resp, err := c.Analyze(ctx, &pulumirpc.AnalyzeRequest{Type: r.Type, Urn: r.URN, Name: r.Name, Properties: marshal(t, r)})
	require.NoError(t, err)
	require.NotEmpty(t, resp.GetDiagnostics())
	for _, d := range resp.GetDiagnostics() {
		assert.Equal(t, pulumirpc.EnforcementLevel_ADVISORY, d.GetEnforcementLevel(), d.GetMessage())
		assert.Contains(t, d.GetMessage(), "cannot verify until known")
	}
	stack, err := c.AnalyzeStack(ctx, stackRequest(t, s))
	require.NoError(t, err)
	assert.Empty(t, mandatory(stack))
	found := false
	for _, d := range stack.GetDiagnostics() {
		if d.GetPolicyName() == pack.PolicyCapacityModel {
			found = true
		}
	}
	assert.True(t, found)
}

func TestPulumiPolicyYAMLVersion(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "PulumiPolicy.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "version: "+pack.Version)
}

// The engine receives each policy's severity, remediation steps and help
// URL (the Analyzer protocol carries them; the pinned policyx does not), and
// each diagnostic its policy's severity.
func TestPolicyMetadataOverGRPC(t *testing.T) {
	ctx := context.Background()
	c := start(t)
	info, err := c.GetAnalyzerInfo(ctx, &emptypb.Empty{})
	require.NoError(t, err)
	require.Len(t, info.GetPolicies(), len(pack.Catalog()))
	for _, p := range info.GetPolicies() {
		assert.NotEqual(t, pulumirpc.PolicySeverity_POLICY_SEVERITY_UNSPECIFIED, p.GetSeverity(), p.GetName())
		assert.NotEmpty(t, p.GetRemediationSteps(), p.GetName())
		assert.Equal(t, pack.HelpBaseURL+"#"+p.GetName(), p.GetUrl())
	}
	resp, err := c.AnalyzeStack(ctx, stackRequest(t, pt.Incident()))
	require.NoError(t, err)
	require.NotEmpty(t, resp.GetDiagnostics())
	for _, d := range resp.GetDiagnostics() {
		if d.GetPolicyName() == pack.PolicyConnectionBudget {
			assert.Equal(t, pulumirpc.PolicySeverity_POLICY_SEVERITY_CRITICAL, d.GetSeverity())
		}
		assert.NotEqual(t, pulumirpc.PolicySeverity_POLICY_SEVERITY_UNSPECIFIED, d.GetSeverity(), d.GetPolicyName())
	}
}
