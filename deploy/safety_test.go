package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/report"
)

const urnPrefix = "urn:pulumi:staging::headroom::"

func urnOf(parent, typ, name string) string {
	return urnPrefix + parent + "$" + typ + "::" + name
}

// pre is one ResourcePreEvent as the engine sends it.
func pre(op apitype.OpType, typ, name string, old, nw map[string]any, keys ...string) apitype.EngineEvent {
	md := apitype.StepEventMetadata{Op: op, URN: urnOf("headroom:x:X", typ, name), Type: typ, Keys: keys}
	if old != nil {
		md.Old = &apitype.StepEventStateMetadata{Type: typ, URN: md.URN, Inputs: old, Outputs: old, ID: "id-" + name}
	}
	if nw != nil {
		md.New = &apitype.StepEventStateMetadata{Type: typ, URN: md.URN, Inputs: nw}
	}
	return apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: md, Planning: true}}
}

// replacement is how the engine announces a create-before-delete
// replacement: three steps for one URN.
func replacement(typ, name string, keys ...string) []apitype.EngineEvent {
	props := map[string]any{"name": name}
	return []apitype.EngineEvent{
		pre(apitype.OpCreateReplacement, typ, name, props, props, keys...),
		pre(apitype.OpReplace, typ, name, props, props, keys...),
		pre(apitype.OpDeleteReplaced, typ, name, props, nil),
	}
}

// cloudRun is a Cloud Run service step whose Direct VPC egress goes
// through subnet (empty: through a connector).
func cloudRun(op apitype.OpType, name, subnet string) apitype.EngineEvent {
	va := map[string]any{"connector": "projects/p/locations/us-central1/connectors/c"}
	if subnet != "" {
		va = map[string]any{"networkInterfaces": []any{map[string]any{"network": "vpc", "subnetwork": subnet}}}
	}
	props := map[string]any{"name": name, "template": map[string]any{"vpcAccess": va}}
	return pre(op, typeCloudRun, name, props, props)
}

func TestStatefulChanges(t *testing.T) {
	one := func(e apitype.EngineEvent) []apitype.EngineEvent { return []apitype.EngineEvent{e} }
	db := map[string]any{"name": "staging-shared-postgres"}
	tests := []struct {
		name string
		evs  []apitype.EngineEvent
		want []string // op type name [properties]
	}{
		{"instance replacement (create-replacement, replace, delete-replaced)",
			replacement(typeSQLInstance, "staging-shared-postgres", "region"),
			[]string{"replace " + typeSQLInstance + " staging-shared-postgres [region]"}},
		{"replica: replace alone", one(pre(apitype.OpReplace, typeSQLInstance, "prod-replica", db, db, "masterInstanceName")),
			[]string{"replace " + typeSQLInstance + " prod-replica [masterInstanceName]"}},
		{"create-replacement alone (the engine stopped after it)", one(pre(apitype.OpCreateReplacement, typeConnector, "c1", db, db, "machineType")),
			[]string{"replace " + typeConnector + " c1 [machineType]"}},
		{"delete-replaced alone (delete-before-replace announces it first)", one(pre(apitype.OpDeleteReplaced, typeConnector, "c1", db, nil)),
			[]string{"replace " + typeConnector + " c1 []"}},
		{"import-replacement", one(pre(apitype.OpImportReplacement, typeNetwork, "vpc", db, db)),
			[]string{"replace " + typeNetwork + " vpc []"}},
		{"instance deleted", one(pre(apitype.OpDelete, typeSQLInstance, "staging-shared-postgres", db, nil)),
			[]string{"delete " + typeSQLInstance + " staging-shared-postgres []"}},
		{"application database deleted", one(pre(apitype.OpDelete, typeSQLDatabase, "pg-netra", db, nil)),
			[]string{"delete " + typeSQLDatabase + " pg-netra []"}},
		{"connector shrink forces a replacement", replacement(typeConnector, "staging-connector", "maxInstances"),
			[]string{"replace " + typeConnector + " staging-connector [maxInstances]"}},
		{"network replaced", replacement(typeNetwork, "staging-vpc", "name"),
			[]string{"replace " + typeNetwork + " staging-vpc [name]"}},
		{"Direct VPC egress subnet in use (by name) replaced",
			append(replacement(typeSubnetwork, "prod-vpc-us-east1-direct", "ipCidrRange"), cloudRun(apitype.OpSame, "api-us-east1", "prod-vpc-us-east1-direct")),
			[]string{"replace " + typeSubnetwork + " prod-vpc-us-east1-direct [ipCidrRange]"}},
		{"Direct VPC egress subnet in use (by URL) deleted, service announced first",
			[]apitype.EngineEvent{cloudRun(apitype.OpDelete, "api-us-east1", "projects/p/regions/us-east1/subnetworks/d1"),
				pre(apitype.OpDelete, typeSubnetwork, "d1", map[string]any{"name": "d1"}, nil)},
			[]string{"delete " + typeSubnetwork + " d1 []"}},
		{"subnet no service sends egress through: not stateful",
			append(replacement(typeSubnetwork, "staging-vpc-us-central1", "ipCidrRange"), cloudRun(apitype.OpSame, "api", "")), nil},
		{"updates, creates and sames are not destructive", []apitype.EngineEvent{
			pre(apitype.OpUpdate, typeSQLInstance, "pg", db, db), pre(apitype.OpCreate, typeConnector, "c", nil, db),
			pre(apitype.OpSame, typeNetwork, "vpc", db, db), pre(apitype.OpRead, typeNetwork, "vpc2", nil, db),
			pre(apitype.OpRefresh, typeSQLInstance, "pg2", db, db)}, nil},
		{"stateless types may be replaced", []apitype.EngineEvent{
			pre(apitype.OpReplace, typeCloudRun, "api", db, db), pre(apitype.OpDelete, "gcp:sql/user:User", "u", db, nil)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range StatefulChanges(tt.evs) {
				got = append(got, c.Op+" "+c.Type+" "+c.Name+" ["+strings.Join(c.Properties, ",")+"]")
				assert.NotEmpty(t, c.Reason)
				assert.True(t, strings.HasPrefix(c.URN, urnPrefix), c.URN)
				assert.False(t, c.Allowed, "nothing is allowed before the allow list is applied")
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestConvertReplacement: the report shows one "replace" step per
// replaced resource and lists it as stateful.
func TestConvertReplacement(t *testing.T) {
	rec := Convert("preview", loadEvents(t, "preview-replace-connector.jsonl"))
	require.Len(t, rec.Changes.Steps, 1)
	assert.Equal(t, "replace", rec.Changes.Steps[0].Op)
	assert.Equal(t, []string{"maxInstances"}, rec.Changes.Steps[0].Diffs)
	require.Len(t, rec.Changes.Stateful, 1)
	assert.Equal(t, "staging-connector", rec.Changes.Stateful[0].Name)
	// A refresh that finds a resource gone is drift, not a destructive step.
	assert.Empty(t, Convert("refresh", loadEvents(t, "refresh-drift.jsonl")).Changes.Stateful)
}

func TestAllowList(t *testing.T) {
	urn := urnOf("headroom:network:Network", typeConnector, "staging-connector")
	c := report.StatefulChange{Op: "replace", Type: typeConnector, Name: "staging-connector", URN: urn, Reason: "r"}
	tests := []struct {
		name    string
		allow   AllowList
		allowed bool
		err     string
	}{
		{"nothing allowed", nil, false, ""},
		{"by name", AllowList{"staging-connector"}, true, ""},
		{"by URN", AllowList{urn}, true, ""},
		{"another resource", AllowList{"staging-shared-postgres"}, false, ""},
		{"a prefix of the name is not the name", AllowList{"staging"}, false, ""},
		{"repeated flag", AllowList{"x", "staging-connector"}, true, ""},
		{"empty value", AllowList{""}, false, "empty value"},
		{"spaces", AllowList{"staging connector"}, false, "without spaces"},
		{"not a Pulumi URN", AllowList{"urn:aws:x"}, false, "not a Pulumi URN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.allow.Check()
			if tt.err != "" {
				require.ErrorIs(t, err, ErrUsage)
				assert.Contains(t, err.Error(), tt.err)
				assert.Contains(t, err.Error(), "--allow-replace")
				return
			}
			require.NoError(t, err)
			cs := []report.StatefulChange{c}
			refused := tt.allow.Apply(cs)
			assert.Equal(t, tt.allowed, cs[0].Allowed)
			assert.Equal(t, !tt.allowed, len(refused) == 1)
		})
	}
}

// TestUpChangeSafety: a preview that replaces the connector is refused
// before the update unless --allow-replace names it.
func TestUpChangeSafety(t *testing.T) {
	for _, tt := range []struct {
		name    string
		allow   AllowList
		calls   []string
		code    int
		applied bool
	}{
		{"refused without the flag", nil, []string{"gate", "open:staging", "preview"}, ExitViolations, false},
		{"refused when another resource is allowed", AllowList{"staging-shared-postgres"}, []string{"gate", "open:staging", "preview"}, ExitViolations, false},
		{"applied when allowed by name", AllowList{"staging-connector"}, []string{"gate", "open:staging", "preview", "up"}, ExitOK, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			st := &fakeStack{t: t, calls: &calls, previews: []string{"preview-replace-connector.jsonl"}, up: "update-ok.jsonl"}
			out, err := Up(context.Background(), opener(&calls, st), UpOptions{Stack: "staging", Policy: packFiles(t), Yes: true, AllowReplace: tt.allow,
				Gate: func(context.Context) (report.Report, error) {
					calls = append(calls, "gate")
					return gateReport(false), nil
				}})
			require.NoError(t, err)
			assert.Equal(t, tt.calls, calls)
			assert.Equal(t, tt.code, out.Code)
			assert.Equal(t, tt.applied, out.Applied)
			if !tt.applied {
				assert.Contains(t, out.Reason, "would replace staging-connector (gcp:vpcaccess/connector:Connector)")
				assert.Contains(t, out.Reason, "--allow-replace")
				require.Len(t, out.Report.Preview.Stateful, 1, "the report lists the refused replacement")
				assert.False(t, out.Report.Preview.Stateful[0].Allowed)
				assert.Len(t, out.Report.Stateful(), 1)
			}
		})
	}
	_, err := Up(context.Background(), nil, UpOptions{Stack: "staging", Policy: packFiles(t), Yes: true, AllowReplace: AllowList{""}})
	require.ErrorIs(t, err, ErrUsage, "a bad --allow-replace is bad input, checked before anything runs")
}

// TestProtectedRefusals: the engine's own refusals (texts of Pulumi
// v3.274.1, seen under the real engine with a protected production
// database) become stateful changes marked protected, and refuse up.
func TestProtectedRefusals(t *testing.T) {
	prim := "urn:pulumi:production::headroom::headroom:database:Database$gcp:sql/databaseInstance:DatabaseInstance::prod-postgres"
	rep := "urn:pulumi:production::headroom::headroom:database:Database$gcp:sql/databaseInstance:DatabaseInstance::prod-postgres-use1"
	db := "urn:pulumi:production::headroom::headroom:database:Database$gcp:sql/database:Database::prod-postgres-netra"
	diag := func(msg string) apitype.EngineEvent {
		return apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: "error", Message: msg}}
	}
	evs := []apitype.EngineEvent{
		diag(`unable to replace resource "` + prim + "\"\nas it is currently marked for protection. To unprotect the resource, remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`"),
		diag(`unable to replace resource "` + rep + `" as part of replacing "` + prim + `" as it is currently marked for protection.`),
		diag(`resource "` + db + "\" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the `protect` flag"),
		diag(`an unhandled error occurred: program failed`),
		{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: "warning", Message: `unable to replace resource "` + db + `"`}},
	}
	var got []string
	for _, c := range StatefulChanges(evs) {
		assert.True(t, c.Protected, c.URN)
		assert.Contains(t, c.Reason, "protect")
		got = append(got, c.Op+" "+c.Type+" "+c.Name)
	}
	assert.Equal(t, []string{ // sorted by URN
		"delete gcp:sql/database:Database prod-postgres-netra",
		"replace gcp:sql/databaseInstance:DatabaseInstance prod-postgres",
		"replace gcp:sql/databaseInstance:DatabaseInstance prod-postgres-use1",
	}, got)
}
