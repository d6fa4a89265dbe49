package contract

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
)

func sampleExport() StackExport {
	return StackExport{
		Stack: "acme/platform/prod",
		Databases: []ExportedDatabase{
			{Database: capacity.Database{Name: "main", Region: "us-central1", Tier: "db-custom-4-16384", Edition: "ENTERPRISE",
				Availability: "REGIONAL", MaxConnections: 200, Consumers: []capacity.Consumer{{Name: "cron", Connections: 4}}},
				ConnectionName: "p:us-central1:main", PrivateIP: "10.0.0.3"},
			{Database: capacity.Database{Name: "main-replica", Region: "us-east1", Tier: "db-custom-4-16384", ReplicaOf: "main"},
				ConnectionName: "p:us-east1:main-replica"},
		},
		Demand: []StackDemand{
			{Stack: "acme/platform/prod", Database: "main", Connections: 40, StartupConnections: 4, Services: []string{"ops-us-central1"}},
			{Stack: "acme/app-a/prod", Database: "main", Connections: 120},
		},
	}
}

// TestStackExportRoundTrip: what the program encodes the pack decodes,
// also after a JSON round trip (how the engine carries an output).
func TestStackExportRoundTrip(t *testing.T) {
	e := sampleExport()
	got, err := DecodeStackExport(EncodeStackExport(e))
	require.NoError(t, err)
	assert.Equal(t, e, got)

	b, err := json.Marshal(EncodeStackExport(e))
	require.NoError(t, err)
	var back any
	require.NoError(t, json.Unmarshal(b, &back))
	got, err = DecodeStackExport(back)
	require.NoError(t, err)
	assert.Equal(t, e, got)

	empty, err := DecodeStackExport(map[string]any{"version": 1, "stack": "o/p/s"})
	require.NoError(t, err)
	assert.Equal(t, StackExport{Stack: "o/p/s"}, empty)
}

// TestDecodeStackExportRejects: every malformed field is one line naming it.
func TestDecodeStackExportRejects(t *testing.T) {
	edit := func(f func(m map[string]any)) any {
		m := EncodeStackExport(sampleExport())
		f(m)
		return m
	}
	db := func(m map[string]any) map[string]any { return m["databases"].([]any)[0].(map[string]any) }
	dem := func(m map[string]any) map[string]any { return m["demand"].([]any)[1].(map[string]any) }
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"not an object", "x", "headroomCapacity: want an object, got a string"},
		{"null", nil, "headroomCapacity: want an object, got null"},
		{"no version", edit(func(m map[string]any) { delete(m, "version") }), "headroomCapacity.version: required"},
		{"newer version", edit(func(m map[string]any) { m["version"] = 2.0 }), "headroomCapacity.version: want 1, got 2"},
		{"unknown key", edit(func(m map[string]any) { m["extra"] = 1.0 }), `headroomCapacity: unknown key "extra"`},
		{"short stack", edit(func(m map[string]any) { m["stack"] = "prod" }), `headroomCapacity.stack: "prod": want a fully-qualified stack name`},
		{"databases not a list", edit(func(m map[string]any) { m["databases"] = "x" }), "headroomCapacity.databases: want an array, got a string"},
		{"tier type", edit(func(m map[string]any) { db(m)["tier"] = 4.0 }), "headroomCapacity.databases[0].tier: want a string, got a number"},
		{"no tier", edit(func(m map[string]any) { delete(db(m), "tier") }), "headroomCapacity.databases[0].tier: required"},
		{"empty name", edit(func(m map[string]any) { db(m)["name"] = " " }), "headroomCapacity.databases[0].name: want a non-empty string"},
		{"max fraction", edit(func(m map[string]any) { db(m)["maxConnections"] = 1.5 }), "headroomCapacity.databases[0].maxConnections: want a whole number"},
		{"max negative", edit(func(m map[string]any) { db(m)["maxConnections"] = -1.0 }), "headroomCapacity.databases[0].maxConnections: want a whole number between 0"},
		{"connection name", edit(func(m map[string]any) { db(m)["connectionName"] = "p:us-central1:other" }), `headroomCapacity.databases[0].connectionName: "p:us-central1:other": want "project:region:main"`},
		{"private ip", edit(func(m map[string]any) { db(m)["privateIp"] = "ten" }), `headroomCapacity.databases[0].privateIp: "ten": want an IP address`},
		{"consumer", edit(func(m map[string]any) { db(m)["consumers"] = []any{map[string]any{"name": "cron"}} }), "headroomCapacity.databases[0].consumers[0].connections: required"},
		{"duplicate db", edit(func(m map[string]any) { m["databases"] = append(m["databases"].([]any), db(m)) }), `headroomCapacity.databases[2].name: "main" is given twice`},
		{"demand count", edit(func(m map[string]any) { dem(m)["connections"] = "120" }), `headroomCapacity.demand[1].connections: want a whole number between 0 and 1073741824, got "120"`},
		{"demand stack", edit(func(m map[string]any) { dem(m)["stack"] = "app-a" }), `headroomCapacity.demand[1].stack: "app-a"`},
		{"demand service", edit(func(m map[string]any) { dem(m)["services"] = []any{1.0} }), "headroomCapacity.demand[1].services[0]: want a non-empty string, got 1"},
		{"duplicate demand", edit(func(m map[string]any) { m["demand"] = append(m["demand"].([]any), dem(m)) }), `headroomCapacity.demand[2]: stack "acme/app-a/prod" on database "main" is given twice`},
		{"newline key", edit(func(m map[string]any) { m["a\nb"] = 1.0 }), `unknown key "a\nb"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeStackExport(tc.v)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestSplitStackName(t *testing.T) {
	org, proj, stack, err := SplitStackName("acme/app/prod")
	require.NoError(t, err)
	assert.Equal(t, []string{"acme", "app", "prod"}, []string{org, proj, stack})
	for _, bad := range []string{"", "prod", "app/prod", "a//b", "a/b/c/d", " a/b/c"} {
		_, _, _, err := SplitStackName(bad)
		assert.Error(t, err, bad)
	}
}

// FuzzDecodeStackExport: any JSON decodes or fails with one line, never
// panics, and what decodes re-encodes to the same export.
func FuzzDecodeStackExport(f *testing.F) {
	b, _ := json.Marshal(EncodeStackExport(sampleExport()))
	f.Add(b)
	f.Add([]byte(`{"version":1,"stack":"o/p/s","demand":[{"stack":"o/p/t","database":"d","connections":1e300}]}`))
	f.Add([]byte(`{"version":1,"stack":"o/p/s","databases":[{"name":"d","connectionName":"p:r:d","region":"r","tier":"t","consumers":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		e, err := DecodeStackExport(v)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		again, err := DecodeStackExport(EncodeStackExport(e))
		if err != nil {
			t.Fatalf("re-encoded export does not decode: %v", err)
		}
		assert.Equal(t, e, again)
	})
}
