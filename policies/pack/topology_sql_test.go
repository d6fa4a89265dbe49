package pack

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// databaseNamed returns the topology's database with that name.
func (ex *extraction) databaseNamed(name string) (capacity.Database, bool) {
	for _, d := range ex.topo.Databases {
		if d.Name == name {
			return d, true
		}
	}
	return capacity.Database{}, false
}

// TestReadInstanceEdition: an explicit edition is kept; an absent one is
// Cloud SQL's default for the database version.
func TestReadInstanceEdition(t *testing.T) {
	require.NotEqual(t, capacity.DefaultEdition("POSTGRES_15"), capacity.DefaultEdition("POSTGRES_16"),
		"the cases need versions with different default editions")
	cases := []struct {
		name    string
		edition any // nil: absent
		version string
		want    string
	}{
		{name: "explicit, on a version defaulting to the other", edition: capacity.EditionEnterprise, version: "POSTGRES_16", want: capacity.EditionEnterprise},
		{name: "explicit plus", edition: capacity.EditionEnterprisePlus, version: "POSTGRES_15", want: capacity.EditionEnterprisePlus},
		{name: "absent, 15", version: "POSTGRES_15", want: capacity.DefaultEdition("POSTGRES_15")},
		{name: "absent, 16", version: "POSTGRES_16", want: capacity.DefaultEdition("POSTGRES_16")},
		{name: "empty, 16", edition: "", version: "POSTGRES_16", want: capacity.DefaultEdition("POSTGRES_16")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := topoInstance("db", "10.100.0.3")
			props["databaseVersion"] = c.version
			pt.Delete(props, "settings.edition")
			if c.edition != nil {
				pt.Set(props, "settings.edition", c.edition)
			}
			d, ok := topoExtract(pt.Resource(TypeSQLInstance, "db", props)).databaseNamed("db")
			require.True(t, ok)
			assert.Equal(t, c.want, d.Edition)
		})
	}
}

// TestReadInstanceReplica: a replica's primary is the last segment of
// masterInstanceName; when that is unknown, the single instance the
// replica's masterInstanceName depends on.
func TestReadInstanceReplica(t *testing.T) {
	primaryURN := topoURN(TypeSQLInstance, "primary")
	cases := []struct {
		name     string
		master   any // nil: absent
		propKey  string
		deps     []string
		want     string
		complete bool
	}{
		{name: "primary", complete: true},
		{name: "name", master: "primary", want: "primary", complete: true},
		{name: "connection name", master: "p:primary", want: "primary", complete: true},
		{name: "unknown, dependency", master: pt.Computed, propKey: "masterInstanceName", deps: []string{primaryURN}, want: "primary", complete: true},
		{name: "unknown, no dependency", master: pt.Computed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := topoInstance("replica", "10.100.1.3")
			if c.master != nil {
				props["masterInstanceName"] = c.master
			}
			ex := topoExtract(
				pt.Resource(TypeSQLInstance, "primary", topoInstance("primary", "10.100.0.3")),
				topoRes(TypeSQLInstance, "replica", props, c.propKey, c.deps...),
			)
			d, ok := ex.databaseNamed("replica")
			if !c.complete {
				assert.False(t, ok, "left out of the topology")
				assert.Equal(t, []string{"masterInstanceName"}, ex.unknownPaths())
				assert.Equal(t, "instance left out of the capacity analyses", ex.unknowns[0].Effect)
				return
			}
			require.True(t, ok)
			assert.Equal(t, c.want, d.ReplicaOf)
			assert.Empty(t, ex.unknowns)
		})
	}
}

// TestReadInstanceAddresses: DB_HOST resolves against privateIpAddress and
// every ipAddresses[].ipAddress; an empty address is no address.
func TestReadInstanceAddresses(t *testing.T) {
	cases := []struct {
		name    string
		private any // nil: absent
		addrs   any // ipAddresses; nil: absent
		host    string
		want    bool
	}{
		{name: "private ip only", private: "10.100.0.3", host: "10.100.0.3", want: true},
		{name: "ip addresses only", addrs: []any{map[string]any{"type": "PRIVATE", "ipAddress": "10.100.0.3"}}, host: "10.100.0.3", want: true},
		{name: "second ip address", addrs: []any{
			"not-an-object",
			map[string]any{"type": "PRIMARY", "ipAddress": pt.Computed},
			map[string]any{"type": "PRIVATE", "ipAddress": "10.100.0.3"},
		}, host: "10.100.0.3", want: true},
		{name: "other address", private: "10.100.0.4", addrs: []any{map[string]any{"ipAddress": "10.100.0.5"}}, host: "10.100.0.3"},
		{name: "private ip, unknown ip addresses", private: "10.100.0.3", addrs: pt.Computed, host: "10.100.0.3", want: true},
		{name: "empty DB_HOST against empty addresses", private: "", addrs: []any{map[string]any{"ipAddress": ""}}, host: ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := topoInstance("db", "10.100.0.3")
			delete(props, "privateIpAddress")
			delete(props, "ipAddresses")
			if c.private != nil {
				props["privateIpAddress"] = c.private
			}
			if c.addrs != nil {
				props["ipAddresses"] = c.addrs
			}
			svc := topoService()
			pt.SetEnv(svc, envHost, c.host)
			pt.DeleteEnv(svc, envInstance)
			ex := topoExtract(
				pt.Resource(TypeSQLInstance, "db", props),
				pt.Resource(TypeConnector, "conn", topoConnector("conn", topoRegion)),
				pt.Resource(TypeRunService, "api", svc), // no dependencies
			)
			w, ok := ex.workloadNamed(topoServiceName)
			if c.want {
				require.True(t, ok, "issues: %v", ex.issueMsgs())
				assert.Equal(t, "db", w.Database)
				return
			}
			assert.False(t, ok)
			require.Len(t, ex.issues, 1)
			assert.Contains(t, ex.issues[0].msg, "resolves to no single Cloud SQL instance")
		})
	}
}
