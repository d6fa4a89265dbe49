package database

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/infra/graph"
)

func validArgs() *Args {
	return &Args{
		Project: "p",
		Primary: InstanceArgs{Name: "pg", Version: "POSTGRES_15", Edition: "ENTERPRISE", Tier: "db-custom-4-16384",
			Region: "us-central1", Availability: "REGIONAL", MaxConnections: 500, DeletionProtection: true,
			Backups: Backups{true, true, 7, 7}, Maintenance: Maintenance{7, 3}},
		Replicas:       []ReplicaArgs{{Name: "pg-r", Region: "us-east1", Tier: "db-custom-4-16384", MaxConnections: 500, Availability: "ZONAL"}},
		PrivateNetwork: pulumi.String("projects/p/global/networks/vpc"),
		Databases:      []string{"app", "postgres", "app"},
		IAMUsers:       []IAMUser{{Workload: "w1", Email: pulumi.String("w1-run@p.iam.gserviceaccount.com")}},
	}
}

func TestArgsCheck(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Args)
		want   string
	}{
		{"valid", func(*Args) {}, ""},
		{"no max_connections", func(a *Args) { a.Primary.MaxConnections = 0 }, "maxConnections must be set explicitly"},
		{"replica same region", func(a *Args) { a.Replicas[0].Region = "us-central1" }, "replica pg-r: region us-central1 is the primary's"},
		{"replica below primary", func(a *Args) { a.Replicas[0].MaxConnections = 400 }, "replica pg-r: maxConnections 400 is below the primary's 500"},
		{"duplicate name", func(a *Args) { a.Replicas[0].Name = "pg" }, "duplicate instance name"},
		{"no network", func(a *Args) { a.PrivateNetwork = nil }, "privateNetwork"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := validArgs()
			tc.mutate(a)
			err := a.check()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestNew(t *testing.T) {
	var d *Database
	g, err := graph.Run(graph.RunOptions{Project: "headroom", Stack: "t"}, func(ctx *pulumi.Context) error {
		var err error
		d, err = New(ctx, "db", validArgs())
		return err
	})
	require.NoError(t, err)
	c := g.Counts()
	assert.Equal(t, 2, c[graph.TypeSQLInstance])
	assert.Equal(t, 1, c[graph.TypeSQLDatabase], "app once; the built-in postgres database is never created")
	assert.Equal(t, 1, c[graph.TypeSQLUser])
	u, ok := g.Find(graph.TypeSQLUser, "w1-db-user")
	require.True(t, ok)
	assert.Equal(t, "w1-run@p.iam", u.Inputs.Get("name").AsString())
	assert.Equal(t, IAMUserType, u.Inputs.Get("type").AsString())
	assert.Equal(t, []string{"pg", "pg-r"}, d.InstanceNames())
	_, ok = d.Instance("pg-r")
	assert.True(t, ok)
	_, ok = d.Instance("nope")
	assert.False(t, ok)
	r, _ := g.Find(graph.TypeSQLInstance, "pg-r")
	assert.Equal(t, "pg", r.Inputs.Get("masterInstanceName").AsString())
	assert.False(t, r.Inputs.Get("settings").AsMap().Get("backupConfiguration").AsMap().Get("enabled").AsBool())
}

func TestFlagValues(t *testing.T) {
	f := FlagValues(321)
	assert.Equal(t, [2]string{"max_connections", "321"}, f[0])
	names := map[string]string{}
	for _, kv := range f {
		_, dup := names[kv[0]]
		assert.False(t, dup, kv[0])
		names[kv[0]] = kv[1]
	}
	assert.Equal(t, "on", names["cloudsql.iam_authentication"])
	assert.Equal(t, "0", names["log_temp_files"])
	assert.Equal(t, "-1", names["log_min_duration_statement"])
}

func TestBackupStart(t *testing.T) {
	for hour, want := range map[int]string{3: "00:00", 0: "21:00", 2: "23:00", 23: "20:00"} {
		assert.Equal(t, want, backupStart(hour), "hour %d", hour)
	}
}
