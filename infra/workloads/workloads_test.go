package workloads

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
	"github.com/headroom-dev/headroom/infra/network"
)

func TestAccountID(t *testing.T) {
	tests := map[string]string{
		"netra-backend":                      "netra-backend-run",
		"a":                                  "a-run0",
		"9lives":                             "w9lives-run",
		"Auth_Service":                       "auth-service-run",
		"a-very-long-workload-name-indeed-x": "a-very-long-workload-name-inde",
	}
	for in, want := range tests {
		got := AccountID(in)
		assert.Equal(t, want, got, in)
		assert.Regexp(t, `^[a-z][-a-z0-9]{4,28}[a-z0-9]$`, got, in)
	}
}

func TestNewErrors(t *testing.T) {
	wl := func(regions ...string) Workload {
		return Workload{
			Workload: config.Workload{Name: "api", Image: "img", Regions: regions, MinInstances: 1, MaxInstances: 2,
				Concurrency: 80, EgressMbpsPerInstance: 5, DB: config.WorkloadDB{Database: "postgres", PoolSize: 1},
				StartupProbe: config.StartupProbe{PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3}},
			Target: Target{Instance: "pg", PrivateIP: pulumi.String("10.0.0.3"), ConnectionName: pulumi.String("p:us-central1:pg")},
		}
	}
	egress := map[string]network.Egress{"us-central1": {Region: "us-central1", Mode: network.EgressConnector,
		Connector: pulumi.String("projects/p/locations/us-central1/connectors/c").ToStringOutput()}}
	tests := []struct {
		name      string
		workloads []Workload
		identity  []string
		want      string
	}{
		{"ok", []Workload{wl("us-central1")}, []string{"api"}, ""},
		{"region without egress", []Workload{wl("us-east1")}, []string{"api"}, "workload api: region us-east1 has no VPC egress"},
		{"no service account", []Workload{wl("us-central1")}, nil, "workload api has no service account"},
		{"same region twice", []Workload{wl("us-central1", "us-central1")}, []string{"api"}, "service api-us-central1 declared twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := graph.Run(graph.RunOptions{Project: "headroom", Stack: "t"}, func(ctx *pulumi.Context) error {
				ids, err := NewIdentities(ctx, "ids", &IdentitiesArgs{Project: "p", Workloads: tc.identity})
				if err != nil {
					return err
				}
				_, err = New(ctx, "wl", &Args{Project: "p", Workloads: tc.workloads, Egress: egress, Identities: ids})
				return err
			})
			if tc.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 1, g.Counts()[graph.TypeRunService])
			assert.Equal(t, 2, g.Counts()[graph.TypeIAMMember])
		})
	}
}
