package graph_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/headroom-dev/headroom/infra/graph"
)

type comp struct{ pulumi.ResourceState }

type custom struct {
	pulumi.CustomResourceState
	PrivateIP      pulumi.StringOutput `pulumi:"privateIpAddress"`
	ConnectionName pulumi.StringOutput `pulumi:"connectionName"`
}

type sa struct {
	pulumi.CustomResourceState
	Email pulumi.StringOutput `pulumi:"email"`
}

type run struct {
	pulumi.CustomResourceState
	URI pulumi.StringOutput `pulumi:"uri"`
}

// program is a miniature of the Headroom program: a component with a PSA
// range, an instance depending on it, a service account and a Cloud Run
// service wired to both. Registered with raw type tokens so this test does
// not compile the GCP SDK.
func program(ctx *pulumi.Context) error {
	cfg := pconfig.New(ctx, "headroom")
	region := cfg.Require("region")

	c := &comp{}
	if err := ctx.RegisterComponentResource("headroom:test:Comp", "db", c); err != nil {
		return err
	}
	psa := &pulumi.CustomResourceState{}
	if err := ctx.RegisterResource(graph.TypeGlobalAddress, "psa", pulumi.Map{
		"name": pulumi.String("psa"), "purpose": pulumi.String("VPC_PEERING"),
		"address": pulumi.String("10.100.0.0"), "prefixLength": pulumi.Int(16),
	}, psa, pulumi.Parent(c)); err != nil {
		return err
	}
	inst := &custom{}
	if err := ctx.RegisterResource(graph.TypeSQLInstance, "primary", pulumi.Map{
		"name": pulumi.String("pg"), "region": pulumi.String(region), "project": pulumi.String("p1"),
	}, inst, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{psa})); err != nil {
		return err
	}
	acct := &sa{}
	if err := ctx.RegisterResource(graph.TypeAccount, "app-sa", pulumi.Map{
		"accountId": pulumi.String("app-run"), "project": pulumi.String("p1"),
	}, acct); err != nil {
		return err
	}
	svc := &run{}
	if err := ctx.RegisterResource(graph.TypeRunService, "app-"+region, pulumi.Map{
		"name": pulumi.String("app-" + region), "location": pulumi.String(region), "project": pulumi.String("p1"),
		"dbHost":  inst.PrivateIP,
		"account": acct.Email,
	}, svc, pulumi.IgnoreChanges([]string{"template.containers[0].image"})); err != nil {
		return err
	}
	ctx.Export("ip", inst.PrivateIP)
	ctx.Export("connectionName", inst.ConnectionName)
	ctx.Export("uri", svc.URI)
	return nil
}

func TestRunRecordsGraph(t *testing.T) {
	g, err := graph.Run(graph.RunOptions{
		Project: "headroom", Stack: "t",
		Config: map[string]string{"headroom:region": "us-central1", "gcp:project": "p1"},
	}, program)
	require.NoError(t, err)

	counts := g.Counts()
	assert.Equal(t, map[string]int{
		graph.StackType: 1, "headroom:test:Comp": 1, graph.TypeGlobalAddress: 1,
		graph.TypeSQLInstance: 1, graph.TypeAccount: 1, graph.TypeRunService: 1,
	}, counts)
	assert.Equal(t, graph.StackType, g.Resources[0].Type)

	inst, ok := g.Find(graph.TypeSQLInstance, "primary")
	require.True(t, ok)
	comp, ok := g.Find("headroom:test:Comp", "db")
	require.True(t, ok)
	assert.Equal(t, comp.URN, inst.Parent)
	assert.Equal(t, "urn:pulumi:t::headroom::headroom:test:Comp$gcp:sql/databaseInstance:DatabaseInstance::primary", inst.URN)
	psa, _ := g.Find(graph.TypeGlobalAddress, "psa")
	assert.Contains(t, inst.Dependencies, psa.URN)
	ip := inst.Outputs.Get("privateIpAddress").AsString()
	assert.Regexp(t, `^10\.100\.\d+\.\d+$`, ip, "private IP comes from the PSA range")
	assert.Equal(t, "p1:us-central1:pg", inst.Outputs.Get("connectionName").AsString())
	assert.False(t, has(inst.Inputs, "privateIpAddress"), "inputs stay inputs")

	svc, ok := g.Find(graph.TypeRunService, "app-us-central1")
	require.True(t, ok)
	assert.Equal(t, ip, svc.Inputs.Get("dbHost").AsString())
	assert.Equal(t, "app-run@p1.iam.gserviceaccount.com", svc.Inputs.Get("account").AsString())
	assert.Contains(t, svc.PropertyDependencies["dbHost"], inst.URN)
	assert.Equal(t, []string{"template.containers[0].image"}, svc.IgnoreChanges)
	// Cloud Run's deterministic URL, which Google displays first
	// (https://cloud.google.com/run/docs/triggering/https-request).
	assert.Regexp(t, `^https://app-us-central1-[0-9]{12}\.us-central1\.run\.app$`, svc.Outputs.Get("uri").AsString())

	assert.Equal(t, ip, g.Outputs.Get("ip").AsString())
	assert.Equal(t, svc.Outputs.Get("uri").AsString(), g.Outputs.Get("uri").AsString())

	state := g.AnalyzerResources()
	preview := g.PreviewResources()
	require.Len(t, state, len(g.Resources))
	require.Len(t, preview, len(g.Resources))
	for i := range state {
		if state[i].Type == graph.TypeSQLInstance {
			assert.True(t, has(state[i].Properties, "privateIpAddress"))
			assert.False(t, has(preview[i].Properties, "privateIpAddress"))
			assert.Equal(t, comp.URN, state[i].Parent)
		}
	}
}

func TestRunOrderIsTopologicalAndDeterministic(t *testing.T) {
	opts := graph.RunOptions{Project: "headroom", Stack: "t", Config: map[string]string{"headroom:region": "us-east1"}}
	first, err := graph.Run(opts, program)
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		g, err := graph.Run(opts, program)
		require.NoError(t, err)
		require.Equal(t, urns(first), urns(g))
	}
	seen := map[string]bool{}
	for _, r := range first.Resources {
		if r.Parent != "" {
			assert.True(t, seen[r.Parent], "%s before its parent", r.URN)
		}
		for _, d := range r.Dependencies {
			assert.True(t, seen[d], "%s before its dependency %s", r.URN, d)
		}
		seen[r.URN] = true
	}
}

func TestRunConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 8)
	ips := make([]string, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			region := []string{"us-central1", "us-east1"}[i%2]
			g, err := graph.Run(graph.RunOptions{Project: "headroom", Stack: fmt.Sprintf("s%d", i),
				Config: map[string]string{"headroom:region": region}}, program)
			errs[i] = err
			if err == nil {
				r, _ := g.Find(graph.TypeRunService, "app-"+region)
				ips[i] = r.Inputs.Get("dbHost").AsString()
				if !has(r.Inputs, "dbHost") {
					errs[i] = fmt.Errorf("run %d: service missing", i)
				}
			}
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "run %d", i)
		assert.NotEmpty(t, ips[i])
	}
}

func TestRunErrors(t *testing.T) {
	_, err := graph.Run(graph.RunOptions{Project: "headroom", Stack: "t"}, program)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "headroom:region", "missing config names the key")

	_, err = graph.Run(graph.RunOptions{Stack: "t"}, program)
	require.ErrorContains(t, err, "Project")

	_, err = graph.Run(graph.RunOptions{Project: "p", Stack: "t"}, func(*pulumi.Context) error {
		return fmt.Errorf("boom")
	})
	require.ErrorContains(t, err, "boom")
}

func urns(g *graph.Graph) []string {
	out := make([]string, len(g.Resources))
	for i, r := range g.Resources {
		out[i] = r.URN
	}
	return out
}

func BenchmarkRun(b *testing.B) {
	opts := graph.RunOptions{Project: "headroom", Stack: "t", Config: map[string]string{"headroom:region": "us-central1"}}
	for i := 0; i < b.N; i++ {
		if _, err := graph.Run(opts, program); err != nil {
			b.Fatal(err)
		}
	}
}

func has(m property.Map, k string) bool { _, ok := m.GetOk(k); return ok }

func TestRunDryRun(t *testing.T) {
	var dry bool
	g, err := graph.Run(graph.RunOptions{Project: "headroom", Stack: "t", DryRun: true,
		Config: map[string]string{"headroom:region": "us-central1"}}, func(ctx *pulumi.Context) error {
		dry = ctx.DryRun()
		return program(ctx)
	})
	require.NoError(t, err)
	assert.True(t, dry)
	assert.Equal(t, 6, len(g.Resources))
}

func TestPlain(t *testing.T) {
	m := property.NewMap(map[string]property.Value{
		"s":   property.New("x"),
		"n":   property.New(3.0),
		"f":   property.New(1.5),
		"b":   property.New(true),
		"sec": property.New("pw").WithSecret(true),
		"unk": property.New(property.Computed),
		"arr": property.New([]property.Value{property.New("a")}),
		"nil": property.Value{},
	})
	assert.Equal(t, map[string]any{
		"s": "x", "n": 3, "f": 1.5, "b": true, "sec": graph.SecretPlaceholder, "unk": graph.UnknownPlaceholder,
		"arr": []any{"a"}, "nil": nil,
	}, graph.Plain(m))
}
