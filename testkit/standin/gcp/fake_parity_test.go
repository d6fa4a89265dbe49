package gcp

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/headroom-dev/headroom/infra/gcpfake"
	"github.com/headroom-dev/headroom/infra/graph"
)

// parityInputs are complete inputs (name, project and region set, as the
// provider's Check leaves them) for every type of infra/gcpfake's table.
var parityInputs = map[string]map[string]any{
	TypeNetwork:    {"name": "vpc", "project": "p1", "autoCreateSubnetworks": false},
	TypeSubnetwork: {"name": "sub", "project": "p1", "region": "us-central1", "network": "vpc", "ipCidrRange": "10.0.0.0/24"},
	TypeGlobalAddress: {"name": "psa", "project": "p1", "purpose": "VPC_PEERING", "addressType": "INTERNAL",
		"address": "10.100.0.0", "prefixLength": 16.0, "network": "projects/p1/global/networks/vpc"},
	TypePSAConnection: {"network": "projects/p1/global/networks/vpc", "service": "servicenetworking.googleapis.com", "reservedPeeringRanges": []any{"psa"}},
	TypeConnector:     {"name": "conn", "project": "p1", "region": "us-central1", "network": "vpc", "ipCidrRange": "10.8.0.0/28", "minThroughput": 200.0, "maxThroughput": 1000.0},
	TypeSQLInstance: {"name": "pg", "project": "p1", "region": "us-central1", "databaseVersion": "POSTGRES_15",
		"settings": map[string]any{"tier": "db-custom-1-3840", "ipConfiguration": map[string]any{"ipv4Enabled": false, "privateNetwork": "projects/p1/global/networks/vpc"}}},
	TypeSQLUser:     {"name": "app", "project": "p1", "instance": "pg"},
	TypeSQLDatabase: {"name": "app", "project": "p1", "instance": "pg"},
	TypeRunService: {"name": "api", "project": "p1", "location": "us-central1",
		"template": map[string]any{"containers": []any{map[string]any{"image": "img"}}}},
	TypeRunJob: {"name": "migrate", "project": "p1", "location": "us-central1",
		"template": map[string]any{"template": map[string]any{"containers": []any{map[string]any{"image": "img"}}}}},
	TypeAccount:    {"accountId": "api-run", "project": "p1"},
	TypeIAMMember:  {"project": "p1", "role": "roles/cloudsql.client", "member": "serviceAccount:api-run@p1.iam.gserviceaccount.com"},
	TypeAPIService: {"project": "p1", "service": "run.googleapis.com"},
	TypeSecretIAMMember: {"project": "p1", "secretId": "stripe-key", "role": "roles/secretmanager.secretAccessor",
		"member": "serviceAccount:api-run@p1.iam.gserviceaccount.com"},
	TypeRunIAMMember: {"project": "p1", "location": "us-central1", "name": "api", "role": "roles/run.invoker", "member": "group:eng@example.com"},
}

// TestFakesAgree: the offline mocks (infra/graph) and the stand-in
// provider give the same ID and outputs for the same inputs, for every
// type of the shared table, alone and after a private-services-access
// range (Cloud SQL's private IP comes from it).
func TestFakesAgree(t *testing.T) {
	for _, token := range gcpfake.Tokens() {
		require.Contains(t, parityInputs, token, "every type of the table is compared")
	}
	cases := map[string][]string{}
	for token := range parityInputs {
		cases[token] = []string{token}
	}
	cases["sql after a PSA range"] = []string{TypeGlobalAddress, TypeSQLInstance}
	for name, tokens := range cases {
		t.Run(name, func(t *testing.T) {
			mockIDs, mockOuts := mockRun(t, tokens)
			p := configured(t, "p1", "us-central1")
			for i, token := range tokens {
				resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
					Urn: urnOf(token, logical(i)), Properties: props(t, parityInputs[token]),
				})
				require.NoError(t, err)
				assert.Equal(t, mockIDs[i], resp.GetId(), "%s: ID", token)
				assert.Equal(t, mockOuts[i], plain(t, resp.GetProperties()), "%s: outputs", token)
			}
		})
	}
}

func logical(i int) string { return []string{"first", "second"}[i] }

// mockRun registers the resources in order (each depending on the one
// before) under the offline mocks and returns their IDs and outputs.
func mockRun(t *testing.T, tokens []string) ([]string, []map[string]any) {
	t.Helper()
	g, err := graph.Run(graph.RunOptions{Project: "headroom", Stack: "staging", Config: map[string]string{"gcp:project": "p1"}},
		func(ctx *pulumi.Context) error {
			var prev pulumi.Resource
			for i, token := range tokens {
				var opts []pulumi.ResourceOption
				if prev != nil {
					opts = append(opts, pulumi.DependsOn([]pulumi.Resource{prev}))
				}
				var res pulumi.CustomResourceState
				in := pulumi.Map{}
				for k, v := range parityInputs[token] {
					in[k] = pulumi.Any(v)
				}
				if err := ctx.RegisterResource(token, logical(i), in, &res, opts...); err != nil {
					return err
				}
				prev = &res
			}
			return nil
		})
	require.NoError(t, err)
	var ids []string
	var outs []map[string]any
	for i, token := range tokens {
		r, ok := g.Find(token, logical(i))
		require.True(t, ok, token)
		out := resource.ToResourcePropertyMap(r.Outputs)
		delete(out, "id")
		ids = append(ids, r.ID)
		outs = append(outs, out.Mappable())
	}
	return ids, outs
}
