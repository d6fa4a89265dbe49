package tests

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/infra"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/graph"
)

// Expected topology per stack, from the stack files' own comments (the agreed
// numbers), written out independently of the stack files so a drift in
// either is caught.
type connectorWant struct {
	name, cidr, machine string
	min, max            int
}

type instanceWant struct {
	name, region, tier, availability, master string
	maxConnections                           int
}

type workloadWant struct {
	regions                 []string
	min, max, concurrency   int
	egress                  string
	pool, overflow, startup string
	timeout                 string
}

type stackWant struct {
	project    string
	network    string
	subnets    map[string]string // region → CIDR
	connectors map[string]connectorWant
	instances  []instanceWant
	workloads  map[string]workloadWant
	// tcpProbe: the stack keeps Cloud Run's TCP startup probe (the
	// incident); the others probe a path that tests the database.
	tcpProbe bool
}

var wants = map[string]stackWant{
	"staging": {
		project: "netra-staging", network: "staging-vpc",
		subnets:    map[string]string{"us-central1": "10.10.0.0/20"},
		connectors: map[string]connectorWant{"us-central1": {"staging-connector", "10.8.0.0/28", "e2-standard-4", 3, 10}},
		instances:  []instanceWant{{"staging-shared-postgres", "us-central1", "db-custom-4-16384", "ZONAL", "", 1000}},
		workloads: map[string]workloadWant{
			"netra-backend": {[]string{"us-central1"}, 1, 20, 80, "20", "10", "5", "2", "75"},
			"auth-service":  {[]string{"us-central1"}, 1, 10, 80, "5", "5", "2", "2", "75"},
		},
	},
	"production": {
		project: "netra-production", network: "prod-vpc",
		subnets: map[string]string{"us-central1": "10.10.0.0/20", "us-east1": "10.20.0.0/20"},
		connectors: map[string]connectorWant{
			"us-central1": {"prod-connector-usc1", "10.8.0.0/28", "e2-standard-4", 3, 10},
			"us-east1":    {"prod-connector-use1", "10.8.0.16/28", "e2-standard-4", 3, 10},
		},
		instances: []instanceWant{
			{"prod-postgres", "us-central1", "db-custom-8-32768", "REGIONAL", "", 1200},
			{"prod-postgres-use1", "us-east1", "db-custom-8-32768", "ZONAL", "prod-postgres", 1200},
		},
		workloads: map[string]workloadWant{
			"netra-backend": {[]string{"us-central1", "us-east1"}, 2, 15, 80, "20", "8", "4", "2", "45"},
			"auth-service":  {[]string{"us-central1", "us-east1"}, 1, 10, 80, "5", "3", "1", "2", "45"},
		},
	},
	"incident": {
		project: "netra-staging", network: "staging-vpc", tcpProbe: true,
		subnets:    map[string]string{"us-central1": "10.10.0.0/20"},
		connectors: map[string]connectorWant{"us-central1": {"staging-connector", "10.8.0.0/28", "e2-micro", 2, 10}},
		instances:  []instanceWant{{"staging-shared-postgres", "us-central1", "db-custom-1-3840", "ZONAL", "", 100}},
		workloads: map[string]workloadWant{
			"netra-backend": {[]string{"us-central1"}, 0, 20, 80, "50", "10", "5", "5", "75"},
			"auth-service":  {[]string{"us-central1"}, 0, 10, 80, "10", "5", "2", "3", "75"},
		},
	},
}

// cisFlags are the logging flags every instance must carry (the CIS set Checkov checks).
var cisFlags = map[string]string{
	"cloudsql.iam_authentication": "on",
	"log_checkpoints":             "on",
	"log_connections":             "on",
	"log_disconnections":          "on",
	"log_lock_waits":              "on",
	"log_temp_files":              "0",
	"log_min_duration_statement":  "-1",
	"log_min_error_statement":     "error",
}

func TestProgram(t *testing.T) {
	for _, sc := range stackCases {
		t.Run(sc.name, func(t *testing.T) {
			w, ok := wants[sc.name]
			require.True(t, ok)
			_, g := record(t, sc.path)
			checkNetwork(t, g, w)
			checkDatabase(t, g, w)
			checkServices(t, g, w)
			checkParents(t, g)
			checkOutputs(t, g, w)
		})
	}
}

func checkNetwork(t *testing.T, g *graph.Graph, w stackWant) {
	nets := g.ByType(graph.TypeNetwork)
	require.Len(t, nets, 1)
	assert.Equal(t, w.network, in(nets[0], "name"))
	assert.Equal(t, false, in(nets[0], "autoCreateSubnetworks"), "custom-mode VPC")

	subnets := map[string]string{}
	for _, s := range g.ByType(graph.TypeSubnetwork) {
		subnets[in(s, "region").(string)] = in(s, "ipCidrRange").(string)
		assert.Equal(t, true, in(s, "privateIpGoogleAccess"), s.Name)
	}
	assert.Equal(t, w.subnets, subnets)

	psa := g.ByType(graph.TypeGlobalAddress)
	require.Len(t, psa, 1)
	assert.Equal(t, "VPC_PEERING", in(psa[0], "purpose"))
	assert.Equal(t, "INTERNAL", in(psa[0], "addressType"))
	assert.Equal(t, 16, in(psa[0], "prefixLength"))
	conns := g.ByType(graph.TypePSAConnection)
	require.Len(t, conns, 1)
	assert.Equal(t, "servicenetworking.googleapis.com", in(conns[0], "service"))
	assert.Equal(t, []any{in(psa[0], "name")}, in(conns[0], "reservedPeeringRanges"))

	connectors := g.ByType(graph.TypeConnector)
	require.Len(t, connectors, len(w.connectors))
	apis := map[string]string{}
	for _, a := range g.ByType(graph.TypeAPIService) {
		apis[in(a, "service").(string)] = a.URN
		assert.Equal(t, false, in(a, "disableOnDestroy"), a.Name)
	}
	for _, c := range connectors {
		region := in(c, "region").(string)
		cw, ok := w.connectors[region]
		require.True(t, ok, "unexpected connector region %s", region)
		assert.Equal(t, cw.name, in(c, "name"))
		assert.Equal(t, cw.cidr, in(c, "ipCidrRange"))
		p, err := netip.ParsePrefix(in(c, "ipCidrRange").(string))
		require.NoError(t, err)
		assert.Equal(t, 28, p.Bits(), "connector range must be a /28 (docs/gcp-limits.md#vpc-connector)")
		assert.Equal(t, cw.machine, in(c, "machineType"))
		assert.Equal(t, cw.min, in(c, "minInstances"))
		assert.Equal(t, cw.max, in(c, "maxInstances"))
		min, max := in(c, "minInstances").(int), in(c, "maxInstances").(int)
		assert.True(t, min >= 2 && max <= 10 && min < max, "connector bounds 2 ≤ min < max ≤ 10 (docs/gcp-limits.md#vpc-connector): %d..%d", min, max)
		assert.Equal(t, w.network, in(c, "network"))
		assert.Contains(t, c.Dependencies, apis["vpcaccess.googleapis.com"], "connector waits for its API")
	}
	for _, api := range []string{"compute", "vpcaccess", "servicenetworking", "sqladmin", "run", "iam"} {
		assert.Contains(t, apis, api+".googleapis.com")
	}
	assert.Contains(t, conns[0].Dependencies, apis["servicenetworking.googleapis.com"], "PSA waits for its API")
}

func checkDatabase(t *testing.T, g *graph.Graph, w stackWant) {
	insts := g.ByType(graph.TypeSQLInstance)
	require.Len(t, insts, len(w.instances))
	net := g.ByType(graph.TypeNetwork)[0]
	psa := g.ByType(graph.TypePSAConnection)[0]
	for _, iw := range w.instances {
		inst, ok := g.Find(graph.TypeSQLInstance, iw.name)
		require.True(t, ok, iw.name)
		assert.Equal(t, iw.region, in(inst, "region"), iw.name)
		assert.Equal(t, "POSTGRES_15", in(inst, "databaseVersion"))
		assert.Equal(t, iw.tier, in(inst, "settings", "tier"), iw.name)
		assert.Equal(t, iw.availability, in(inst, "settings", "availabilityType"), iw.name)
		if iw.master == "" {
			assert.Nil(t, in(inst, "masterInstanceName"), iw.name)
			assert.Equal(t, true, in(inst, "settings", "backupConfiguration", "enabled"))
			assert.Equal(t, true, in(inst, "settings", "backupConfiguration", "pointInTimeRecoveryEnabled"))
			assert.NotNil(t, in(inst, "settings", "backupConfiguration", "backupRetentionSettings", "retainedBackups"))
		} else {
			assert.Equal(t, iw.master, in(inst, "masterInstanceName"), iw.name)
		}
		// No public IP, TLS only, private network.
		assert.Equal(t, false, in(inst, "settings", "ipConfiguration", "ipv4Enabled"), iw.name)
		assert.Equal(t, "ENCRYPTED_ONLY", in(inst, "settings", "ipConfiguration", "sslMode"), iw.name)
		assert.Empty(t, in(inst, "settings", "ipConfiguration", "authorizedNetworks"), iw.name)
		assert.Equal(t, out(net, "id"), in(inst, "settings", "ipConfiguration", "privateNetwork"), iw.name)
		// Deletion protection at both levels (docs/gcp-limits.md#cloud-sql-backups).
		assert.Equal(t, true, in(inst, "deletionProtection"), iw.name)
		assert.Equal(t, true, in(inst, "settings", "deletionProtectionEnabled"), iw.name)
		assert.Equal(t, true, in(inst, "settings", "insightsConfig", "queryInsightsEnabled"), iw.name)
		assert.NotNil(t, in(inst, "settings", "maintenanceWindow", "day"), iw.name)
		// Flags: explicit max_connections, IAM auth, CIS logging.
		flags := map[string]string{}
		for _, f := range list(in(inst, "settings", "databaseFlags")) {
			flags[f["name"].(string)] = f["value"].(string)
		}
		assert.Equal(t, itoa(iw.maxConnections), flags["max_connections"], iw.name)
		for k, v := range cisFlags {
			assert.Equal(t, v, flags[k], "%s flag %s", iw.name, k)
		}
		assert.Contains(t, inst.Dependencies, psa.URN, "%s waits for private services access", iw.name)
	}
	// The replica is in another region than the primary.
	if len(w.instances) > 1 {
		p, _ := g.Find(graph.TypeSQLInstance, w.instances[0].name)
		r, _ := g.Find(graph.TypeSQLInstance, w.instances[1].name)
		assert.NotEqual(t, in(p, "region"), in(r, "region"))
	}

	users := g.ByType(graph.TypeSQLUser)
	assert.Len(t, users, len(w.workloads), "one IAM database user per workload")
	for _, u := range users {
		assert.Equal(t, "CLOUD_IAM_SERVICE_ACCOUNT", in(u, "type"))
		assert.Equal(t, w.instances[0].name, in(u, "instance"))
		assert.True(t, strings.HasSuffix(in(u, "name").(string), "@"+w.project+".iam"), in(u, "name"))
	}
}

func checkServices(t *testing.T, g *graph.Graph, w stackWant) {
	services := g.ByType(graph.TypeRunService)
	expected := 0
	for _, wl := range w.workloads {
		expected += len(wl.regions)
	}
	require.Len(t, services, expected, "one service per workload × region")

	accounts := map[string]string{} // workload → email
	for _, a := range g.ByType(graph.TypeAccount) {
		accounts[strings.TrimSuffix(a.Name, "-sa")] = out(a, "email").(string)
	}
	roles := map[string][]string{}
	for _, m := range g.ByType(graph.TypeIAMMember) {
		roles[in(m, "member").(string)] = append(roles[in(m, "member").(string)], in(m, "role").(string))
	}
	connectorIDs := map[string]any{}
	for _, c := range g.ByType(graph.TypeConnector) {
		connectorIDs[in(c, "region").(string)] = out(c, "id")
	}
	primary, _ := g.Find(graph.TypeSQLInstance, w.instances[0].name)

	seen := map[string]bool{}
	for _, s := range services {
		workload, _ := in(s, "labels", "headroom-workload").(string)
		region, _ := in(s, "location").(string)
		key := workload + "/" + region
		assert.False(t, seen[key], "two services for %s", key)
		seen[key] = true
		ww, ok := w.workloads[workload]
		require.True(t, ok, "service %s has unknown workload label %q", s.Name, workload)
		assert.Contains(t, ww.regions, region)
		assert.Equal(t, workload+"-"+region, s.Name)
		assert.Equal(t, "headroom", in(s, "labels", "managed-by"))
		assert.Equal(t, ww.egress, in(s, "annotations", "headroom.dev/egress-mbps-per-instance"))

		email := accounts[workload]
		require.NotEmpty(t, email, "workload %s has a service account", workload)
		assert.Equal(t, email, in(s, "template", "serviceAccount"))
		assert.ElementsMatch(t, []string{"roles/cloudsql.client", "roles/cloudsql.instanceUser"}, roles["serviceAccount:"+email])

		assert.Equal(t, ww.min, in(s, "template", "scaling", "minInstanceCount"), s.Name)
		assert.Equal(t, ww.max, in(s, "template", "scaling", "maxInstanceCount"), s.Name)
		assert.Equal(t, ww.concurrency, in(s, "template", "maxInstanceRequestConcurrency"), s.Name)
		assert.Equal(t, "PRIVATE_RANGES_ONLY", in(s, "template", "vpcAccess", "egress"), s.Name)
		assert.Equal(t, connectorIDs[region], in(s, "template", "vpcAccess", "connector"), "%s uses its region's connector", s.Name)

		containers := list(in(s, "template", "containers"))
		require.Len(t, containers, 1)
		c := containers[0]
		assert.Equal(t, "us-docker.pkg.dev/cloudrun/container/hello", c["image"])
		probe := dig(c, "startupProbe").(map[string]any)
		assert.Equal(t, 10, probe["periodSeconds"])
		assert.Equal(t, 24, probe["failureThreshold"])
		assert.Equal(t, 5, probe["timeoutSeconds"])
		// The repository's stacks probe over HTTP on a path that tests the
		// database (a TCP probe passes before the database is reachable).
		if w.tcpProbe {
			assert.NotNil(t, dig(probe, "tcpSocket", "port"))
		} else {
			assert.Equal(t, "/healthz/db", dig(probe, "httpGet", "path"))
			assert.Nil(t, dig(probe, "tcpSocket"))
		}

		env := map[string]string{}
		for _, e := range list(c["envs"]) {
			env[e["name"].(string)] = e["value"].(string)
		}
		assert.Equal(t, map[string]string{
			"DB_HOST":                    out(primary, "privateIpAddress").(string),
			"DB_NAME":                    "netra",
			"DB_USER":                    strings.TrimSuffix(email, ".gserviceaccount.com"),
			"DB_POOL_SIZE":               ww.pool,
			"DB_MAX_OVERFLOW":            ww.overflow,
			"DB_STARTUP_CONNECTIONS":     ww.startup,
			"DB_CONNECT_TIMEOUT_SECONDS": ww.timeout,
			"DB_INSTANCE":                w.project + ":" + w.instances[0].region + ":" + w.instances[0].name,
			"DB_PROCESSES":               "1",
		}, env, s.Name)
		assert.Contains(t, s.PropertyDependencies["template"], primary.URN, "%s's DB_HOST comes from the instance", s.Name)
	}
}

// checkParents: every provider resource lives under a Headroom component,
// every component under the stack.
func checkParents(t *testing.T, g *graph.Graph) {
	stack := g.Resources[0]
	require.Equal(t, graph.StackType, stack.Type)
	for _, r := range g.Resources[1:] {
		parent, ok := g.ByURN(r.Parent)
		require.True(t, ok, "%s has unknown parent %q", r.URN, r.Parent)
		if r.Custom {
			assert.True(t, strings.HasPrefix(parent.Type, "headroom:"), "%s is parented by %s, not a component", r.URN, parent.Type)
		} else {
			assert.True(t, strings.HasPrefix(r.Type, "headroom:"), r.Type)
			assert.Equal(t, stack.URN, r.Parent, r.URN)
		}
	}
}

func checkOutputs(t *testing.T, g *graph.Graph, w stackWant) {
	o := graph.Plain(g.Outputs)
	conn, _ := o["connectionNames"].(map[string]any)
	ips, _ := o["privateIps"].(map[string]any)
	require.Len(t, conn, len(w.instances))
	for _, iw := range w.instances {
		assert.Equal(t, w.project+":"+iw.region+":"+iw.name, conn[iw.name])
		ip, err := netip.ParseAddr(ips[iw.name].(string))
		require.NoError(t, err)
		assert.True(t, netip.MustParsePrefix("10.100.0.0/16").Contains(ip), "%s's private IP %s comes from the PSA range", iw.name, ip)
	}
	connectors, _ := o["connectorIds"].(map[string]any)
	for region, cw := range w.connectors {
		assert.Equal(t, "projects/"+w.project+"/locations/"+region+"/connectors/"+cw.name, connectors[region])
	}
	urls, _ := o["serviceUrls"].(map[string]any)
	for name, wl := range w.workloads {
		for _, r := range wl.regions {
			// The deterministic form Google shows: <service>-<project number>.<region>.run.app.
			assert.Regexp(t, `^https://`+name+"-"+r+`-[0-9]+\.`+r+`\.run\.app$`, urls[name+"-"+r])
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestBadConfigIsAnError: Program returns an error naming the key for bad
// config — run twice, through graph.Run (what the CLI calls; one-line
// error) and through plain pulumi.RunErr without any recover, so a panic
// would crash this test.
func TestBadConfigIsAnError(t *testing.T) {
	base, err := config.LoadFile(config.StackFile("..", "staging"))
	require.NoError(t, err)

	edit := func(key string, fn func(map[string]any)) func(map[string]string) {
		return func(v map[string]string) {
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(v[key]), &m))
			fn(m)
			b, err := json.Marshal(m)
			require.NoError(t, err)
			v[key] = string(b)
		}
	}
	tests := []struct {
		name   string
		mutate func(map[string]string)
		key    string
	}{
		{"missing project", func(v map[string]string) { delete(v, "gcp:project") }, "gcp:project"},
		{"missing database", func(v map[string]string) { delete(v, "headroom:database") }, "headroom:database"},
		{"wrong type", edit("headroom:database", func(m map[string]any) { m["maxConnections"] = "ten" }), "headroom:database.maxConnections"},
		{"zero connector max", edit("headroom:network", func(m map[string]any) {
			m["regions"].(map[string]any)["us-central1"].(map[string]any)["connector"].(map[string]any)["maxInstances"] = 0
		}), "headroom:network.regions.us-central1.connector.maxInstances"},
		{"bad CIDR", edit("headroom:network", func(m map[string]any) { m["privateServiceAccessRange"] = "10.100.0.0/33" }), "headroom:network.privateServiceAccessRange"},
		{"unknown nested key", edit("headroom:database", func(m map[string]any) { m["maxConnection"] = 500 }), "headroom:database.maxConnection"},
		{"not JSON", func(v map[string]string) { v["headroom:workloads"] = "[{" }, "headroom:workloads"},
		{"replica in primary region", edit("headroom:database", func(m map[string]any) {
			m["replicas"] = []any{map[string]any{"name": "r1", "region": "us-central1", "tier": "db-custom-4-16384", "maxConnections": 500}}
		}), "headroom:database.replicas[0].region"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			values := map[string]string{}
			for k, v := range base.Values {
				values[k] = v
			}
			tc.mutate(values)

			_, err := graph.Run(graph.RunOptions{Project: infra.ProjectName, Stack: "staging", Config: values}, infra.Program)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.key)
			assert.NotContains(t, err.Error(), "\n", "one-line error")
			assert.NotContains(t, err.Error(), "program: ", "an error, not a recovered panic")

			err = pulumi.RunErr(infra.Program, pulumi.WithMocks(infra.ProjectName, "staging", nopMocks{}), config.WithConfig(values))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.key)
		})
	}
}

type nopMocks struct{}

func (nopMocks) NewResource(a pulumi.MockResourceArgs) (string, resourcePropertyMap, error) {
	return a.Name + "_id", a.Inputs, nil
}

func (nopMocks) Call(pulumi.MockCallArgs) (resourcePropertyMap, error) { return nil, nil }

type resourcePropertyMap = resource.PropertyMap
