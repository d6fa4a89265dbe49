package gcp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func urnOf(typ, name string) string {
	return string(resource.NewURN("staging", "headroom", "", tokens.Type(typ), name))
}

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := marshal(resource.NewPropertyMapFromMap(m))
	require.NoError(t, err)
	return s
}

func plain(t *testing.T, s *structpb.Struct) map[string]any {
	t.Helper()
	m, err := unmarshal(s)
	require.NoError(t, err)
	return m.Mappable()
}

func configured(t *testing.T, project, region string) *Provider {
	t.Helper()
	p := &Provider{StatePath: filepath.Join(t.TempDir(), "cloud.json")}
	_, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{
		Args: props(t, map[string]any{"project": project, "region": region, "version": Version}),
	})
	require.NoError(t, err)
	return p
}

func TestCheck(t *testing.T) {
	for _, env := range []string{"GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT",
		"GOOGLE_REGION", "GCLOUD_REGION", "CLOUDSDK_COMPUTE_REGION"} {
		t.Setenv(env, "") // the cases below set the provider's config themselves
	}
	computed := resource.MakeComputed(resource.NewStringProperty(""))
	tests := []struct {
		name, typ       string
		project, region string
		in              resource.PropertyMap
		want            map[string]any // subset of the checked inputs
		failures        []string       // failing property paths
	}{
		{name: "project and region from the provider", typ: TypeConnector, project: "netra-staging", region: "us-central1",
			in:   resource.NewPropertyMapFromMap(map[string]any{"name": "c1", "ipCidrRange": "10.8.0.0/28", "network": "vpc"}),
			want: map[string]any{"project": "netra-staging", "region": "us-central1", "machineType": "e2-micro", "minThroughput": 200.0, "maxThroughput": 300.0}},
		{name: "explicit values win", typ: TypeConnector, project: "p", region: "us-central1",
			in:   resource.NewPropertyMapFromMap(map[string]any{"name": "c1", "project": "other", "region": "europe-west1", "machineType": "e2-standard-4"}),
			want: map[string]any{"project": "other", "region": "europe-west1", "machineType": "e2-standard-4"}},
		{name: "no project anywhere", typ: TypeNetwork,
			in: resource.NewPropertyMapFromMap(map[string]any{"name": "vpc"}), failures: []string{"project"}},
		{name: "no region anywhere", typ: TypeSubnetwork, project: "p",
			in:       resource.NewPropertyMapFromMap(map[string]any{"name": "s", "network": "vpc", "ipCidrRange": "10.0.0.0/24"}),
			failures: []string{"region"}},
		{name: "missing required inputs", typ: TypeSQLInstance, project: "p", region: "us-central1",
			in: resource.NewPropertyMapFromMap(map[string]any{"name": "db", "settings": map[string]any{}}), failures: []string{"databaseVersion", "settings.tier"}},
		{name: "every container needs an image", typ: TypeRunService, project: "p",
			in: resource.NewPropertyMapFromMap(map[string]any{"name": "svc", "location": "us-central1",
				"template": map[string]any{"containers": []any{map[string]any{"image": "a"}, map[string]any{"name": "sidecar"}}}}),
			failures: []string{"template.containers[1].image"}},
		{name: "project IAM needs its project (no provider default)", typ: TypeIAMMember, project: "p",
			in: resource.NewPropertyMapFromMap(map[string]any{"role": "roles/cloudsql.client", "member": "serviceAccount:a@p.iam.gserviceaccount.com"}), failures: []string{"project"}},
		{name: "unknown values are set", typ: TypeSubnetwork, project: "p", region: "r",
			in: resource.PropertyMap{"name": resource.NewStringProperty("s"), "network": computed, "ipCidrRange": resource.NewStringProperty("10.0.0.0/24")}},
		{name: "generic type: project only", typ: "gcp:monitoring/alertPolicy:AlertPolicy", project: "p",
			in: resource.NewPropertyMapFromMap(map[string]any{"displayName": "x"}), want: map[string]any{"project": "p"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := configured(t, tc.project, tc.region)
			news, err := marshal(tc.in)
			require.NoError(t, err)
			resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urnOf(tc.typ, "r"), News: news})
			require.NoError(t, err)
			var failed []string
			for _, f := range resp.GetFailures() {
				failed = append(failed, f.GetProperty())
			}
			sort.Strings(failed)
			sort.Strings(tc.failures)
			assert.Equal(t, tc.failures, failed)
			got := plain(t, resp.GetInputs())
			for k, v := range tc.want {
				assert.Equal(t, v, got[k], k)
			}
		})
	}
}

// TestDiffReplacements: each replacement rule at its boundary, and the
// in-place updates next to it.
func TestDiffReplacements(t *testing.T) {
	connector := map[string]any{"name": "c", "project": "p", "region": "us-central1", "network": "vpc", "ipCidrRange": "10.8.0.0/28",
		"machineType": "e2-micro", "minInstances": 3.0, "maxInstances": 10.0, "minThroughput": 200.0, "maxThroughput": 300.0}
	sql := map[string]any{"name": "db", "project": "p", "region": "us-central1", "databaseVersion": "POSTGRES_15",
		"settings": map[string]any{"tier": "db-custom-4-16384", "diskSize": 100.0, "diskType": "PD_SSD",
			"ipConfiguration": map[string]any{"ipv4Enabled": false, "privateNetwork": "projects/p/global/networks/vpc"},
			"databaseFlags":   []any{map[string]any{"name": "max_connections", "value": "500"}}}}
	subnet := map[string]any{"name": "s", "project": "p", "region": "us-central1", "network": "vpc", "ipCidrRange": "10.10.0.0/20"}
	with := func(base map[string]any, path string, v any) map[string]any {
		m := resource.NewPropertyMapFromMap(base)
		root := resource.NewObjectProperty(m.Copy())
		p, err := resource.ParsePropertyPath(path)
		require.NoError(t, err)
		if v == nil {
			require.True(t, p.Delete(root))
		} else {
			require.True(t, p.Set(root, resource.NewPropertyValue(v)))
		}
		return root.ObjectValue().Mappable()
	}
	tests := []struct {
		name      string
		typ       string
		old, new  map[string]any
		replace   []string // top-level replaced keys
		changed   []string // detailed-diff paths
		dbr       bool
		ruleFired string
	}{
		{name: "no change", typ: TypeConnector, old: connector, new: connector},
		{name: "connector max instances grows: replaced at v5.42", typ: TypeConnector, old: connector, new: with(connector, "maxInstances", 11.0),
			replace: []string{"maxInstances"}, changed: []string{"maxInstances"}, dbr: true, ruleFired: "max_instances ForceNew"},
		{name: "connector min instances shrinks", typ: TypeConnector, old: connector, new: with(connector, "minInstances", 2.0),
			replace: []string{"minInstances"}, changed: []string{"minInstances"}, dbr: true},
		{name: "connector machine type", typ: TypeConnector, old: connector, new: with(connector, "machineType", "e2-standard-4"),
			replace: []string{"machineType"}, changed: []string{"machineType"}, dbr: true},
		{name: "connector range", typ: TypeConnector, old: connector, new: with(connector, "ipCidrRange", "10.8.0.16/28"),
			replace: []string{"ipCidrRange"}, changed: []string{"ipCidrRange"}, dbr: true},
		{name: "connector network", typ: TypeConnector, old: connector, new: with(connector, "network", "vpc2"),
			replace: []string{"network"}, changed: []string{"network"}, dbr: true},
		{name: "sql tier: in place", typ: TypeSQLInstance, old: sql, new: with(sql, "settings.tier", "db-custom-8-32768"),
			changed: []string{"settings.tier"}},
		{name: "sql max_connections flag: in place", typ: TypeSQLInstance, old: sql, new: with(sql, "settings.databaseFlags[0].value", "900"),
			changed: []string{"settings.databaseFlags[0].value"}},
		{name: "sql region", typ: TypeSQLInstance, old: sql, new: with(sql, "region", "us-east1"),
			replace: []string{"region"}, changed: []string{"region"}, dbr: true},
		{name: "sql name", typ: TypeSQLInstance, old: sql, new: with(sql, "name", "db2"),
			replace: []string{"name"}, changed: []string{"name"}, dbr: true},
		{name: "sql version upgrade: in place", typ: TypeSQLInstance, old: sql, new: with(sql, "databaseVersion", "POSTGRES_16"),
			changed: []string{"databaseVersion"}},
		{name: "sql disk grows: in place", typ: TypeSQLInstance, old: sql, new: with(sql, "settings.diskSize", 101.0),
			changed: []string{"settings.diskSize"}},
		{name: "sql disk shrinks by one: replaced", typ: TypeSQLInstance, old: sql, new: with(sql, "settings.diskSize", 99.0),
			replace: []string{"settings"}, changed: []string{"settings.diskSize"}, dbr: true, ruleFired: "IsDiskShrinkage"},
		{name: "sql disk type", typ: TypeSQLInstance, old: sql, new: with(sql, "settings.diskType", "PD_HDD"),
			replace: []string{"settings"}, changed: []string{"settings.diskType"}, dbr: true},
		{name: "sql becomes a replica", typ: TypeSQLInstance, old: sql, new: with(sql, "masterInstanceName", "primary"),
			replace: []string{"masterInstanceName"}, changed: []string{"masterInstanceName"}, dbr: true},
		{name: "sql private network changes: in place", typ: TypeSQLInstance, old: sql, new: with(sql, "settings.ipConfiguration.privateNetwork", "projects/p/global/networks/vpc2"),
			changed: []string{"settings.ipConfiguration.privateNetwork"}},
		{name: "sql private network removed: replaced", typ: TypeSQLInstance, old: sql, new: with(sql, "settings.ipConfiguration.privateNetwork", nil),
			replace: []string{"settings"}, changed: []string{"settings.ipConfiguration.privateNetwork"}, dbr: true},
		{name: "subnet range expands: in place", typ: TypeSubnetwork, old: subnet, new: with(subnet, "ipCidrRange", "10.10.0.0/19"),
			changed: []string{"ipCidrRange"}},
		{name: "subnet range shrinks: replaced", typ: TypeSubnetwork, old: subnet, new: with(subnet, "ipCidrRange", "10.10.0.0/21"),
			replace: []string{"ipCidrRange"}, changed: []string{"ipCidrRange"}, dbr: true},
		{name: "subnet range moves: replaced", typ: TypeSubnetwork, old: subnet, new: with(subnet, "ipCidrRange", "10.11.0.0/20"),
			replace: []string{"ipCidrRange"}, changed: []string{"ipCidrRange"}, dbr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := configured(t, "p", "us-central1")
			resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urnOf(tc.typ, "r"), Id: "id",
				Olds: props(t, tc.old), News: props(t, tc.new), OldInputs: props(t, tc.old)})
			require.NoError(t, err)
			if tc.replace == nil {
				tc.replace = []string{}
			}
			assert.Equal(t, tc.replace, append([]string{}, resp.GetReplaces()...))
			var changed []string
			for k, d := range resp.GetDetailedDiff() {
				changed = append(changed, k)
				isReplace := d.GetKind() == pulumirpc.PropertyDiff_UPDATE_REPLACE || d.GetKind() == pulumirpc.PropertyDiff_ADD_REPLACE || d.GetKind() == pulumirpc.PropertyDiff_DELETE_REPLACE
				assert.Equal(t, len(tc.replace) > 0, isReplace, k)
			}
			sort.Strings(changed)
			assert.Equal(t, tc.changed, changed)
			if len(tc.changed) == 0 {
				assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, resp.GetChanges())
			} else {
				assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, resp.GetChanges())
			}
			assert.Equal(t, tc.dbr, resp.GetDeleteBeforeReplace())
			if tc.ruleFired != "" {
				spec := SpecFor(tc.typ)
				r, ok := spec.ruleFor(tc.changed[0])
				require.True(t, ok)
				assert.Contains(t, r.Source, tc.ruleFired)
			}
		})
	}
}

// TestDiffUnknownAndRemoved: an unknown value on a replacing property
// replaces; an input the program stopped setting is a deletion.
func TestDiffUnknownAndRemoved(t *testing.T) {
	spec := SpecFor(TypeConnector)
	olds := resource.NewPropertyMapFromMap(map[string]any{"name": "c", "network": "vpc", "machineType": "e2-micro", "selfLink": "x"})
	news := olds.Copy()
	delete(news, "selfLink")
	news["network"] = resource.MakeComputed(resource.NewStringProperty(""))
	ch := spec.Diff(olds, news, olds)
	require.Len(t, ch, 1)
	assert.Equal(t, "network", ch[0].Path)
	assert.True(t, ch[0].Replace)

	sql := SpecFor(TypeSQLInstance)
	oldIn := resource.NewPropertyMapFromMap(map[string]any{"name": "db", "settings": map[string]any{"tier": "t", "userLabels": map[string]any{"a": "b"}}})
	newIn := resource.NewPropertyMapFromMap(map[string]any{"name": "db", "settings": map[string]any{"tier": "t"}})
	ch = sql.Diff(oldIn, newIn, oldIn)
	require.Len(t, ch, 1)
	assert.Equal(t, "settings.userLabels", ch[0].Path)
	assert.Equal(t, pulumirpc.PropertyDiff_DELETE, ch[0].Kind)
	assert.False(t, ch[0].Replace)
	// Computed outputs the program never set are not removals.
	assert.Empty(t, sql.Diff(resource.NewPropertyMapFromMap(map[string]any{"name": "db", "connectionName": "p:r:db"}),
		resource.NewPropertyMapFromMap(map[string]any{"name": "db"}), resource.NewPropertyMapFromMap(map[string]any{"name": "db"})))
}

// TestLifecycle: create (preview and real), read with drift, update,
// refusals and delete against the state file.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	p := configured(t, "netra-staging", "")
	create := func(typ, name string, in map[string]any, preview bool) (string, map[string]any) {
		t.Helper()
		resp, err := p.Create(ctx, &pulumirpc.CreateRequest{Urn: urnOf(typ, name), Properties: props(t, in), Preview: preview})
		require.NoError(t, err)
		return resp.GetId(), plain(t, resp.GetProperties())
	}
	psa := map[string]any{"name": "vpc-psa", "project": "netra-staging", "purpose": "VPC_PEERING", "addressType": "INTERNAL",
		"address": "10.100.0.0", "prefixLength": 16.0, "network": "projects/netra-staging/global/networks/vpc"}
	create(TypeGlobalAddress, "vpc-psa", psa, false)
	db := map[string]any{"name": "db", "project": "netra-staging", "region": "us-central1", "databaseVersion": "POSTGRES_15",
		"deletionProtection": true, "settings": map[string]any{"tier": "db-custom-4-16384",
			"ipConfiguration": map[string]any{"ipv4Enabled": false, "privateNetwork": "projects/netra-staging/global/networks/vpc"}}}

	// Preview of a new resource: computed outputs unknown.
	id, out := create(TypeSQLInstance, "db", db, true)
	assert.Empty(t, id)
	resp, err := p.Create(ctx, &pulumirpc.CreateRequest{Urn: urnOf(TypeSQLInstance, "db"), Properties: props(t, db), Preview: true})
	require.NoError(t, err)
	pm, err := unmarshal(resp.GetProperties())
	require.NoError(t, err)
	assert.True(t, pm["connectionName"].IsComputed())
	assert.True(t, pm["privateIpAddress"].IsComputed())
	assert.Equal(t, "POSTGRES_15", out["databaseVersion"])
	st, err := Load(p.StatePath)
	require.NoError(t, err)
	assert.Nil(t, st.Find(TypeSQLInstance, "db"), "a preview creates nothing")

	id, out = create(TypeSQLInstance, "db", db, false)
	assert.Equal(t, "db", id)
	assert.Equal(t, "netra-staging:us-central1:db", out["connectionName"])
	assert.Equal(t, "10.100.0.2", out["privateIpAddress"], "first address of the PSA range's first regional block")
	assert.Equal(t, "", out["publicIpAddress"])
	id2, out2 := create(TypeSQLInstance, "db-replica", with(db, "name", "db-replica"), false)
	assert.Equal(t, "db-replica", id2)
	assert.Equal(t, "10.100.0.3", out2["privateIpAddress"], "same region, next address")

	_, err = p.Create(ctx, &pulumirpc.CreateRequest{Urn: urnOf(TypeSQLInstance, "db-again"), Properties: props(t, db)})
	require.Error(t, err, "a second instance with the same name")
	assert.Contains(t, err.Error(), "409")

	// Connector, Cloud Run: ids and URIs shaped like Google's.
	cid, cout := create(TypeConnector, "c", map[string]any{"name": "staging-connector", "project": "netra-staging", "region": "us-central1",
		"network": "vpc", "ipCidrRange": "10.8.0.0/28", "machineType": "e2-micro", "minThroughput": 200.0, "maxThroughput": 300.0}, false)
	assert.Equal(t, "projects/netra-staging/locations/us-central1/connectors/staging-connector", cid)
	assert.Equal(t, 2.0, cout["minInstances"], "unset counts follow the throughput bounds")
	assert.Equal(t, 3.0, cout["maxInstances"])
	_, sout := create(TypeRunService, "svc", map[string]any{"name": "svc", "project": "netra-staging", "location": "us-central1",
		"template": map[string]any{"containers": []any{map[string]any{"image": "img"}}}}, false)
	assert.Regexp(t, `^https://svc-\d{12}\.us-central1\.run\.app$`, sout["uri"])

	// Drift: the cloud changes behind Pulumi's back; Read returns it.
	st, err = Load(p.StatePath)
	require.NoError(t, err)
	rec := st.Find(TypeSQLInstance, "db")
	require.NotNil(t, rec)
	require.NoError(t, rec.SetOutput("settings.ipConfiguration.ipv4Enabled", true))
	require.NoError(t, st.Save())
	read, err := p.Read(ctx, &pulumirpc.ReadRequest{Id: "db", Urn: urnOf(TypeSQLInstance, "db")})
	require.NoError(t, err)
	assert.Equal(t, "db", read.GetId())
	assert.Equal(t, true, plain(t, read.GetProperties())["settings"].(map[string]any)["ipConfiguration"].(map[string]any)["ipv4Enabled"])
	assert.Equal(t, true, plain(t, read.GetInputs())["settings"].(map[string]any)["ipConfiguration"].(map[string]any)["ipv4Enabled"],
		"the refreshed inputs carry the drift")

	// Update in place keeps the private IP; a version downgrade is refused.
	up, err := p.Update(ctx, &pulumirpc.UpdateRequest{Id: "db", Urn: urnOf(TypeSQLInstance, "db"), Olds: props(t, out),
		News: props(t, with(db, "settings.tier", "db-custom-8-32768"))})
	require.NoError(t, err)
	assert.Equal(t, "10.100.0.2", plain(t, up.GetProperties())["privateIpAddress"])
	_, err = p.Update(ctx, &pulumirpc.UpdateRequest{Id: "db", Urn: urnOf(TypeSQLInstance, "db"), Olds: props(t, out),
		News: props(t, with(db, "databaseVersion", "POSTGRES_14"))})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "downgrading databaseVersion")

	// Deletion protection holds; without it the instance goes.
	_, err = p.Delete(ctx, &pulumirpc.DeleteRequest{Id: "db", Urn: urnOf(TypeSQLInstance, "db")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deletion_protection")
	_, err = p.Update(ctx, &pulumirpc.UpdateRequest{Id: "db", Urn: urnOf(TypeSQLInstance, "db"), Olds: props(t, out),
		News: props(t, with(db, "deletionProtection", false))})
	require.NoError(t, err)
	_, err = p.Delete(ctx, &pulumirpc.DeleteRequest{Id: "db", Urn: urnOf(TypeSQLInstance, "db")})
	require.NoError(t, err)
	read, err = p.Read(ctx, &pulumirpc.ReadRequest{Id: "db", Urn: urnOf(TypeSQLInstance, "db")})
	require.NoError(t, err)
	assert.Empty(t, read.GetId(), "a deleted resource reads as gone")
}

func with(base map[string]any, path string, v any) map[string]any {
	root := resource.NewObjectProperty(resource.NewPropertyMapFromMap(base).Copy())
	p, err := resource.ParsePropertyPath(path)
	if err != nil {
		panic(err)
	}
	p.Set(root, resource.NewPropertyValue(v))
	return root.ObjectValue().Mappable()
}

func TestConfigureEnvDefaults(t *testing.T) {
	t.Setenv("GOOGLE_CLOUD_PROJECT", "from-env")
	t.Setenv("CLOUDSDK_COMPUTE_REGION", "europe-west1")
	p := configured(t, "", "")
	assert.Equal(t, "from-env", p.project)
	assert.Equal(t, "europe-west1", p.region)
	p = configured(t, "explicit", "us-central1")
	assert.Equal(t, "explicit", p.project, "gcp:project wins over the environment")
}

func TestConfigureNeedsState(t *testing.T) {
	p := &Provider{}
	_, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), StateEnv)
}

// TestRulesDocumented: every replacement rule appears in
// docs/standin-provider.md with its Terraform source.
func TestRulesDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "standin-provider.md"))
	require.NoError(t, err)
	doc := string(b)
	for _, s := range Specs() {
		for _, r := range s.Replace {
			row := "| `" + s.Token + "` | `" + r.Path + "` |"
			assert.Contains(t, doc, row, "docs/standin-provider.md must list %s %s", s.Token, r.Path)
			file, _, _ := strings.Cut(r.Source, ": ")
			assert.Contains(t, doc, file, r.Source)
		}
	}
}

// FuzzCheckDiff: arbitrary property maps (JSON objects) through Check and
// Diff of every catalogued type never panic, and a map diffed against
// itself has no changes.
func FuzzCheckDiff(f *testing.F) {
	f.Add(`{"name":"c","minInstances":3,"settings":{"diskSize":10,"databaseFlags":[{"name":"max_connections","value":"5"}]}}`,
		`{"name":"c","minInstances":2,"settings":{"diskSize":9}}`)
	f.Add(`{"ipCidrRange":"10.0.0.0/24"}`, `{"ipCidrRange":"not a cidr"}`)
	f.Add(`{"template":{"containers":[{"image":1},null]}}`, `{"masterInstanceName":""}`)
	p := &Provider{project: "p", region: "r", StatePath: "unused"}
	tokens := []string{}
	for _, s := range Specs() {
		tokens = append(tokens, s.Token)
	}
	sort.Strings(tokens)
	tokens = append(tokens, "gcp:unknown/thing:Thing")
	f.Fuzz(func(t *testing.T, a, b string) {
		var ma, mb map[string]any
		if json.Unmarshal([]byte(a), &ma) != nil || json.Unmarshal([]byte(b), &mb) != nil {
			return
		}
		olds, news := resource.NewPropertyMapFromMap(ma), resource.NewPropertyMapFromMap(mb)
		for _, tok := range tokens {
			spec := SpecFor(tok)
			checked, _ := p.check(spec, news)
			_ = spec.Diff(olds, checked, olds)
			assert.Empty(t, spec.Diff(olds, olds, olds), "%s: a state diffed against itself", tok)
		}
	})
}

// Auto-naming as pulumi-gcp does it: logical name, "-", 7 hex characters,
// only where `name` is an input and the program left it unset; the old
// name is kept; the suffix follows the engine's random seed.
func TestCheckAutoName(t *testing.T) {
	p := configured(t, "p", "us-central1")
	check := func(t *testing.T, typ, logical string, news, olds map[string]any, seed []byte) map[string]any {
		t.Helper()
		req := &pulumirpc.CheckRequest{Urn: urnOf(typ, logical), News: props(t, news), RandomSeed: seed}
		if olds != nil {
			req.Olds = props(t, olds)
		}
		resp, err := p.Check(context.Background(), req)
		require.NoError(t, err)
		require.Empty(t, resp.GetFailures())
		return plain(t, resp.GetInputs())
	}
	seed := []byte("seed-1")
	run := map[string]any{"location": "us-central1", "template": map[string]any{"containers": []any{map[string]any{"image": "img"}}}}
	named := []struct {
		typ, logical string
		in           map[string]any
	}{
		{TypeNetwork, "vpc", map[string]any{}},
		{TypeSubnetwork, "subnet", map[string]any{"network": "vpc", "ipCidrRange": "10.0.0.0/24"}},
		{TypeGlobalAddress, "psa-range", map[string]any{}},
		{TypeConnector, "conn", map[string]any{"ipCidrRange": "10.8.0.0/28", "network": "vpc"}},
		{TypeSQLInstance, "db", map[string]any{"databaseVersion": "POSTGRES_15", "settings": map[string]any{"tier": "db-custom-1-3840"}}},
		{TypeSQLUser, "app", map[string]any{"instance": "db"}},
		{TypeSQLDatabase, "appdb", map[string]any{"instance": "db"}},
		{TypeRunService, "api", run},
	}
	for _, tc := range named {
		t.Run(tc.typ, func(t *testing.T) {
			got := check(t, tc.typ, tc.logical, tc.in, nil, seed)
			name, _ := got["name"].(string)
			assert.Regexp(t, "^"+tc.logical+"-[0-9a-f]{7}$", name)
			assert.Equal(t, name, check(t, tc.typ, tc.logical, tc.in, nil, seed)["name"], "same seed, same name")
			assert.NotEqual(t, name, check(t, tc.typ, tc.logical, tc.in, nil, []byte("seed-2"))["name"], "another seed, another name")
			assert.Equal(t, "kept-1234567", check(t, tc.typ, tc.logical, tc.in, map[string]any{"name": "kept-1234567"}, seed)["name"], "old name kept")
			in := map[string]any{"name": "explicit"}
			for k, v := range tc.in {
				in[k] = v
			}
			assert.Equal(t, "explicit", check(t, tc.typ, tc.logical, in, nil, seed)["name"], "an explicit name wins")
		})
	}
	unnamed := []struct {
		typ string
		in  map[string]any
	}{
		{TypeAccount, map[string]any{"accountId": "api-sa"}},
		{TypeAPIService, map[string]any{"service": "run.googleapis.com"}},
		{TypeIAMMember, map[string]any{"project": "p", "role": "roles/cloudsql.client", "member": "user:a@b.c"}},
		{TypePSAConnection, map[string]any{"network": "vpc", "service": "servicenetworking.googleapis.com", "reservedPeeringRanges": []any{"r"}}},
		{"gcp:secretmanager/secret:Secret", map[string]any{"secretId": "s"}},
	}
	for _, tc := range unnamed {
		t.Run(tc.typ, func(t *testing.T) {
			assert.NotContains(t, check(t, tc.typ, "x", tc.in, nil, seed), "name", "no `name` input: not auto-named")
		})
	}
}
