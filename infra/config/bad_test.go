package config

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// del marks a key to delete in an edit.
const del = "\x00delete"

// edit is one change to a stack's engine-form values: set the key path to
// the JSON value (or del). Top-level scalar keys take the raw string.
type edit struct{ key, value string }

var segment = regexp.MustCompile(`\.([^.\[]+)|\[(\d+)\]`)

// applyEdits returns a copy of values with the edits applied.
func applyEdits(t testing.TB, values map[string]string, edits ...edit) map[string]string {
	out := map[string]string{}
	for k, v := range values {
		out[k] = v
	}
	for _, e := range edits {
		top, rest := e.key, ""
		if i := strings.IndexAny(e.key, ".["); i >= 0 && strings.Contains(e.key, ":") && i > strings.Index(e.key, ":") {
			top, rest = e.key[:i], e.key[i:]
		}
		if rest == "" {
			if e.value == del {
				delete(out, top)
			} else {
				out[top] = e.value
			}
			continue
		}
		root, err := parseJSON(out[top])
		require.NoError(t, err, top)
		segs := segment.FindAllStringSubmatch(rest, -1)
		var parent any = root
		for i, s := range segs {
			last := i == len(segs)-1
			var nv any
			if last && e.value != del {
				v, err := parseJSON(e.value)
				require.NoError(t, err, e.value)
				nv = v
			}
			switch p := parent.(type) {
			case map[string]any:
				if last {
					if e.value == del {
						delete(p, s[1])
					} else {
						p[s[1]] = nv
					}
				} else {
					if _, ok := p[s[1]]; !ok {
						p[s[1]] = map[string]any{}
					}
					parent = p[s[1]]
				}
			case []any:
				idx, _ := strconv.Atoi(s[2])
				require.Less(t, idx, len(p), e.key)
				if last {
					require.NotEqual(t, del, e.value, "cannot delete list element")
					p[idx] = nv
				} else {
					parent = p[idx]
				}
			default:
				t.Fatalf("edit %s: cannot descend into %T", e.key, parent)
			}
		}
		b, err := json.Marshal(root)
		require.NoError(t, err)
		out[top] = string(b)
	}
	return out
}

// TestBadInput has at least one case per class of bad input; each asserts
// the key path of the *Error, that the message names it, and that it is
// one line.
func TestBadInput(t *testing.T) {
	base := map[string]map[string]string{
		"staging":    load(t, "staging").Values,
		"production": load(t, "production").Values,
	}
	cases := []struct {
		class, stack string
		edits        []edit
		key          string // expected Error.Key
		msg          string // substring of the message
	}{
		// wrong type
		{"wrong type", "staging", []edit{{"headroom:workloads[1].db.poolSize", `"ten"`}}, "headroom:workloads[1].db.poolSize", `must be an integer ≥ 1, got "ten"`},
		{"wrong type", "staging", []edit{{"headroom:workloads[0].maxInstances", `2.5`}}, "headroom:workloads[0].maxInstances", "must be an integer ≥ 1, got 2.5"},
		{"wrong type", "staging", []edit{{"headroom:network", "not json"}}, "headroom:network", `must be an object, got "not json"`},
		{"wrong type", "staging", []edit{{"headroom:workloads", `{"a":1}`}}, "headroom:workloads", "must be a list of workloads, got an object"},
		{"wrong type", "staging", []edit{{"headroom:database.backups.enabled", `"yes"`}}, "headroom:database.backups.enabled", `must be true or false, got "yes"`},
		{"wrong type", "staging", []edit{{"headroom:database.tier", `4`}}, "headroom:database.tier", "must be a Cloud SQL tier"},
		{"wrong type", "staging", []edit{{"headroom:network.regions.us-central1.connector", `"x"`}}, "headroom:network.regions.us-central1.connector", `got "x"`},
		{"wrong type", "staging", []edit{{"headroom:targets.connectP99Seconds", `"30s"`}}, "headroom:targets.connectP99Seconds", "must be a number in (0, 3600]"},
		// missing required key
		{"missing", "staging", []edit{{"gcp:project", del}}, "gcp:project", "required key is missing"},
		{"missing", "staging", []edit{{"headroom:environment", del}}, "headroom:environment", "required key is missing"},
		{"missing", "staging", []edit{{"headroom:workloads", del}}, "headroom:workloads", "required key is missing"},
		{"missing", "staging", []edit{{"headroom:database.tier", del}}, "headroom:database.tier", "required key is missing"},
		{"missing", "staging", []edit{{"headroom:network.regions.us-central1.subnet", del}}, "headroom:network.regions.us-central1.subnet", "required key is missing"},
		{"missing", "staging", []edit{{"headroom:workloads[0].db.poolSize", del}}, "headroom:workloads[0].db.poolSize", "required key is missing; expected an integer ≥ 1"},
		{"missing", "staging", []edit{{"headroom:database.maxConnections", del}}, "headroom:database.maxConnections", "required"},
		{"missing", "staging", []edit{{"headroom:network.regions.us-central1.connector.ipCidrRange", del}}, "headroom:network.regions.us-central1.connector.ipCidrRange", "required"},
		// unknown key
		{"unknown key", "staging", []edit{{"headroom:netwrk", `{}`}}, "headroom:netwrk", "unknown key; expected one of headroom:assumptions"},
		{"unknown key", "staging", []edit{{"headroom:database.replica", `[]`}}, "headroom:database.replica", "unknown key"},
		{"unknown key", "staging", []edit{{"headroom:workloads[1].db.poolsize", `3`}}, "headroom:workloads[1].db.poolsize", "unknown key; expected one of connectTimeoutSeconds"},
		{"unknown key", "staging", []edit{{"headroom:network.regions.us-central1.connector.minInstance", `3`}}, "headroom:network.regions.us-central1.connector.minInstance", "unknown key"},
		// cross-stack consumers
		{"wrong value", "staging", []edit{{"headroom:consumerStacks", `["app-a"]`}}, "headroom:consumerStacks[0]", `must be a fully-qualified stack name "org/project/stack", got "app-a"`},
		{"wrong type", "staging", []edit{{"headroom:consumerStacks", `"acme/app/prod"`}}, "headroom:consumerStacks", "must be a list of fully-qualified stack names"},
		{"duplicate", "staging", []edit{{"headroom:consumerStacks", `["acme/app/prod","acme/app/prod"]`}}, "headroom:consumerStacks[1]", `"acme/app/prod" is listed twice`},
		// negative / zero counts
		{"zero", "staging", []edit{{"headroom:workloads[0].maxInstances", `0`}}, "headroom:workloads[0].maxInstances", "must be an integer ≥ 1 (unset or 0 means Cloud Run's default of 100), got 0"},
		{"negative", "staging", []edit{{"headroom:workloads[0].minInstances", `-1`}}, "headroom:workloads[0].minInstances", "from 0 to maxInstances (20), got -1"},
		{"zero", "staging", []edit{{"headroom:workloads[0].db.poolSize", `0`}}, "headroom:workloads[0].db.poolSize", "≥ 1, got 0"},
		{"negative", "staging", []edit{{"headroom:workloads[0].db.maxOverflow", `-2`}}, "headroom:workloads[0].db.maxOverflow", "≥ 0, got -2"},
		{"zero", "staging", []edit{{"headroom:database.maxConnections", `0`}}, "headroom:database.maxConnections", "must be an integer from 14 (Cloud SQL's minimum) to 262143 (PostgreSQL's maximum), got 0"},
		{"too many", "staging", []edit{{"headroom:database.maxConnections", `262144`}}, "headroom:database.maxConnections", "to 262143 (PostgreSQL's maximum), got 262144"},
		{"too many", "production", []edit{{"headroom:database.replicas[0].maxConnections", `262144`}}, "headroom:database.replicas[0].maxConnections", "to 262143 (PostgreSQL's maximum), got 262144"},
		{"too many", "staging", []edit{{"headroom:workloads[0].concurrency", `1001`}}, "headroom:workloads[0].concurrency", "from 1 to 1000, got 1001"},
		{"zero", "staging", []edit{{"headroom:workloads[0].egressMbpsPerInstance", `0`}}, "headroom:workloads[0].egressMbpsPerInstance", "> 0, got 0"},
		{"zero", "staging", []edit{{"headroom:workloads[1].db.connectTimeoutSeconds", `0`}}, "headroom:workloads[1].db.connectTimeoutSeconds", "> 0"},
		{"zero", "staging", []edit{{"headroom:database.backups.retainedBackups", `0`}}, "headroom:database.backups.retainedBackups", "from 7 to 365, got 0"},
		{"negative", "staging", []edit{{"headroom:assumptions", `{"reservedConnections":-1}`}}, "headroom:assumptions.reservedConnections", "in [0, 100000], got -1"},
		{"zero", "staging", []edit{{"headroom:workloads", `[]`}}, "headroom:workloads", "at least one workload"},
		{"zero", "staging", []edit{{"headroom:network.regions", `{}`}}, "headroom:network.regions", "at least one region"},
		{"zero", "staging", []edit{{"headroom:workloads[0].startupProbe.failureThreshold", `0`}}, "headroom:workloads[0].startupProbe.failureThreshold", "≥ 1"},
		// invalid CIDR
		{"invalid CIDR", "staging", []edit{{"headroom:network.regions.us-central1.subnet", `"10.10.0.0/33"`}}, "headroom:network.regions.us-central1.subnet", `must be an IPv4 CIDR range, e.g. 10.10.0.0/20, got "10.10.0.0/33"`},
		{"invalid CIDR", "staging", []edit{{"headroom:network.privateServiceAccessRange", `"ten"`}}, "headroom:network.privateServiceAccessRange", "IPv4 CIDR"},
		{"invalid CIDR", "staging", []edit{{"headroom:network.regions.us-central1.subnet", `"10.10.0.1/20"`}}, "headroom:network.regions.us-central1.subnet", "host bits set (did you mean 10.10.0.0/20?)"},
		{"invalid CIDR", "staging", []edit{{"headroom:network.regions.us-central1.subnet", `"fd00::/64"`}}, "headroom:network.regions.us-central1.subnet", "IPv4"},
		{"invalid CIDR", "staging", []edit{{"headroom:network.privateServiceAccessRange", `"10.100.0.0/25"`}}, "headroom:network.privateServiceAccessRange", "/24 or larger"},
		// overlapping CIDRs
		{"overlap", "staging", []edit{{"headroom:network.regions.us-central1.subnet", `"10.100.16.0/20"`}}, "headroom:network.regions.us-central1.subnet", "overlaps headroom:network.privateServiceAccessRange (10.100.0.0/16)"},
		{"overlap", "staging", []edit{{"headroom:network.regions.us-central1.connector.ipCidrRange", `"10.10.0.16/28"`}}, "headroom:network.regions.us-central1.connector.ipCidrRange", "overlaps headroom:network.regions.us-central1.subnet"},
		{"overlap", "production", []edit{{"headroom:network.regions.us-east1.connector.ipCidrRange", `"10.8.0.0/28"`}}, "headroom:network.regions.us-east1.connector.ipCidrRange", "overlaps headroom:network.regions.us-central1.connector.ipCidrRange"},
		{"overlap", "production", []edit{{"headroom:network.regions.us-east1.subnet", `"10.10.0.0/16"`}}, "headroom:network.regions.us-east1.subnet", "overlaps headroom:network.regions.us-central1.subnet"},
		{"overlap", "production", []edit{{"headroom:network.regions.us-east1", `{"subnet":"10.20.0.0/20","egress":"direct","direct":{"subnet":"10.20.8.0/24"}}`}}, "headroom:network.regions.us-east1.direct.subnet", "overlaps headroom:network.regions.us-east1.subnet"},
		// connector range not /28
		{"connector /28", "staging", []edit{{"headroom:network.regions.us-central1.connector.ipCidrRange", `"10.8.0.0/27"`}}, "headroom:network.regions.us-central1.connector.ipCidrRange", "must be a /28 range"},
		// unknown region
		{"unknown region", "staging", []edit{{"headroom:network.regions.us-moon1", `{"subnet":"10.30.0.0/20","egress":"direct","direct":{"subnet":"10.31.0.0/24"}}`}}, "headroom:network.regions.us-moon1", `unknown region "us-moon1"`},
		{"unknown region", "staging", []edit{{"headroom:database.region", `"mars-1"`}}, "headroom:database.region", `unknown region "mars-1"`},
		{"unknown region", "production", []edit{{"headroom:database.replicas[0].region", `"us-east9"`}}, "headroom:database.replicas[0].region", "unknown region"},
		{"unknown region", "staging", []edit{{"headroom:workloads[1].regions", `["us-centrl1"]`}}, "headroom:workloads[1].regions[0]", `unknown region "us-centrl1"`},
		// unknown / invalid tier, tier-edition mismatch
		{"unknown tier", "staging", []edit{{"headroom:database.tier", `"db-n1-standard-4"`}}, "headroom:database.tier", "must be a valid Cloud SQL tier"},
		{"invalid tier", "staging", []edit{{"headroom:database.tier", `"db-custom-3-16384"`}}, "headroom:database.tier", "even number"},
		{"invalid tier", "production", []edit{{"headroom:database.replicas[0].tier", `"db-custom-8-1024"`}}, "headroom:database.replicas[0].tier", "must be a valid Cloud SQL tier"},
		{"tier/edition", "staging", []edit{{"headroom:database.edition", `"ENTERPRISE_PLUS"`}}, "headroom:database.tier", "must be a tier of edition ENTERPRISE_PLUS"},
		{"tier/edition", "staging", []edit{{"headroom:database.tier", `"db-perf-optimized-N-8"`}}, "headroom:database.tier", "must be a tier of edition ENTERPRISE"},
		{"edition", "staging", []edit{{"headroom:database.edition", `"STANDARD"`}}, "headroom:database.edition", "one of ENTERPRISE, ENTERPRISE_PLUS"},
		// egress mode without its settings
		{"egress", "staging", []edit{{"headroom:network.regions.us-central1.egress", `"direct"`}}, "headroom:network.regions.us-central1.connector", "must be absent when egress is direct"},
		{"egress", "staging", []edit{{"headroom:network.regions.us-central1.egress", `"direct"`}, {"headroom:network.regions.us-central1.connector", del}}, "headroom:network.regions.us-central1.direct", "required when egress is direct"},
		{"egress", "staging", []edit{{"headroom:network.regions.us-central1.connector", del}}, "headroom:network.regions.us-central1.connector", "required when egress is connector"},
		{"egress", "staging", []edit{{"headroom:network.regions.us-central1.direct", `{"subnet":"10.20.0.0/24"}`}}, "headroom:network.regions.us-central1.direct", "must be absent when egress is connector"},
		{"egress", "staging", []edit{{"headroom:network.regions.us-central1.egress", `"nat"`}}, "headroom:network.regions.us-central1.egress", `one of connector, direct, got "nat"`},
		{"egress", "staging", []edit{{"headroom:network.regions.us-central1.egress", del}}, "headroom:network.regions.us-central1.egress", "required"},
		// replicas
		{"replica region", "production", []edit{{"headroom:database.replicas[0].region", `"us-central1"`}}, "headroom:database.replicas[0].region", "must differ from the primary's region (us-central1)"},
		{"replica max_connections", "production", []edit{{"headroom:database.replicas[0].maxConnections", `500`}}, "headroom:database.replicas[0].maxConnections", "must be ≥ the primary's maxConnections (1200), got 500"},
		{"replica name", "production", []edit{{"headroom:database.replicas[0].name", `"prod-postgres"`}}, "headroom:database.replicas[0].name", "already used by headroom:database.name"},
		// connector bounds
		{"connector min", "staging", []edit{{"headroom:network.regions.us-central1.connector.minInstances", `1`}}, "headroom:network.regions.us-central1.connector.minInstances", "from 2 to 9, got 1"},
		{"connector max", "staging", []edit{{"headroom:network.regions.us-central1.connector.maxInstances", `11`}}, "headroom:network.regions.us-central1.connector.maxInstances", "from 3 to 10, got 11"},
		{"connector min<max", "staging", []edit{{"headroom:network.regions.us-central1.connector.minInstances", `5`}, {"headroom:network.regions.us-central1.connector.maxInstances", `5`}}, "headroom:network.regions.us-central1.connector.maxInstances", "must be greater than minInstances (5), got 5"},
		// unknown machine type
		{"machine type", "staging", []edit{{"headroom:network.regions.us-central1.connector.machineType", `"n1-standard-1"`}}, "headroom:network.regions.us-central1.connector.machineType", `one of f1-micro, e2-micro, e2-standard-4, got "n1-standard-1"`},
		// workload region without network region
		{"workload region", "staging", []edit{{"headroom:workloads[0].regions", `["us-central1","us-east1"]`}}, "headroom:workloads[0].regions[1]", "has no network region: add headroom:network.regions.us-east1"},
		{"workload region twice", "staging", []edit{{"headroom:workloads[0].regions", `["us-central1","us-central1"]`}}, "headroom:workloads[0].regions[1]", "listed twice"},
		// db.target
		{"db.target", "staging", []edit{{"headroom:workloads[1].db.target", `"replica-x"`}}, "headroom:workloads[1].db.target", `names no replica: got "replica-x"`},
		{"db.target", "production", []edit{{"headroom:workloads[1].db.target", `"prod-postgres"`}}, "headroom:workloads[1].db.target", "or a replica: prod-postgres-use1"},
		// startupConnections > poolSize + maxOverflow
		{"startupConnections", "staging", []edit{{"headroom:workloads[0].db.startupConnections", `16`}}, "headroom:workloads[0].db.startupConnections", "must be an integer from 0 to poolSize + maxOverflow (15), got 16"},
		// probe window
		{"probe window", "staging", []edit{{"headroom:workloads[0].startupProbe.failureThreshold", `61`}}, "headroom:workloads[0].startupProbe.failureThreshold", "0 + 10 × 61 = 610 s within 600 s"},
		{"probe window", "staging", []edit{{"headroom:workloads[0].startupProbe.initialDelaySeconds", `301`}, {"headroom:workloads[0].startupProbe.failureThreshold", `30`}}, "headroom:workloads[0].startupProbe.failureThreshold", "301 + 10 × 30 = 601 s"},
		{"probe period", "staging", []edit{{"headroom:workloads[0].startupProbe.periodSeconds", `601`}}, "headroom:workloads[0].startupProbe.periodSeconds", "from 1 to 600, got 601"},
		{"probe timeout", "staging", []edit{{"headroom:workloads[0].startupProbe.timeoutSeconds", `11`}}, "headroom:workloads[0].startupProbe.timeoutSeconds", "must be at most periodSeconds (10), got 11"},
		// a 1 s period with the stack's 5 s timeout: refused here, as the pack refuses it
		{"probe timeout", "staging", []edit{{"headroom:workloads[0].startupProbe.periodSeconds", `1`}}, "headroom:workloads[0].startupProbe.timeoutSeconds", "must be at most periodSeconds (1), got 5"},
		{"probe delay", "staging", []edit{{"headroom:workloads[0].startupProbe.initialDelaySeconds", `601`}}, "headroom:workloads[0].startupProbe.initialDelaySeconds", "from 0 to 600, got 601"},
		{"probe path", "staging", []edit{{"headroom:workloads[0].startupProbe.path", `"healthz"`}}, "headroom:workloads[0].startupProbe.path", "starting with /"},
		// environment
		{"environment", "staging", []edit{{"headroom:environment", "prod"}}, "headroom:environment", `must be one of staging, production, got "prod"`},
		// targets out of (0, 1]
		{"targets", "staging", []edit{{"headroom:targets.startupSuccessRate", `1.5`}}, "headroom:targets.startupSuccessRate", "in (0, 1), got 1.5"},
		{"targets", "staging", []edit{{"headroom:targets.connectionUtilization", `0`}}, "headroom:targets.connectionUtilization", "in (0, 1], got 0"},
		{"targets", "staging", []edit{{"headroom:targets.connectP99Seconds", `-1`}}, "headroom:targets.connectP99Seconds", "in (0, 3600], got -1"},
		// maintenance window
		{"maintenance day", "staging", []edit{{"headroom:database.maintenanceWindow.day", `8`}}, "headroom:database.maintenanceWindow.day", "from 1 (Monday) to 7 (Sunday), got 8"},
		{"maintenance day", "staging", []edit{{"headroom:database.maintenanceWindow.day", `0`}}, "headroom:database.maintenanceWindow.day", "got 0"},
		{"maintenance hour", "staging", []edit{{"headroom:database.maintenanceWindow.hour", `24`}}, "headroom:database.maintenanceWindow.hour", "from 0 to 23 (UTC), got 24"},
		// backups
		{"HA needs PITR", "production", []edit{{"headroom:database.backups.pointInTimeRecovery", `false`}}, "headroom:database.availability", "requires backups.enabled and backups.pointInTimeRecovery"},
		{"PITR needs backups", "staging", []edit{{"headroom:database.backups.enabled", `false`}}, "headroom:database.backups.pointInTimeRecovery", "requires backups.enabled"},
		{"log retention", "staging", []edit{{"headroom:database.backups.logRetentionDays", `8`}}, "headroom:database.backups.logRetentionDays", "from 1 to 7"},
		// names GCP would reject
		{"connector name", "staging", []edit{{"headroom:network.regions.us-central1.connector.name", `"staging-connector-abcdefgh"`}}, "headroom:network.regions.us-central1.connector.name", "at most 25 characters"},
		{"connector name", "staging", []edit{{"headroom:network.regions.us-central1.connector.name", `"Staging-Connector"`}}, "headroom:network.regions.us-central1.connector.name", "lowercase"},
		{"instance name", "staging", []edit{{"headroom:database.name", `"staging_db"`}}, "headroom:database.name", `Cloud SQL instance name`},
		{"instance name", "staging", []edit{{"headroom:database.name", `"1db"`}}, "headroom:database.name", "starts with a letter"},
		{"instance name", "staging", []edit{{"headroom:database.name", `"` + strings.Repeat("a", 90) + `"`}}, "headroom:database.name", "exceeds Cloud SQL's 98 characters"},
		{"service name", "staging", []edit{{"headroom:workloads[0].name", `"Netra_Backend"`}}, "headroom:workloads[0].name", "Cloud Run service name"},
		{"service name", "staging", []edit{{"headroom:workloads[0].name", `"` + strings.Repeat("a", 64) + `"`}}, "headroom:workloads[0].name", "≤ 63 characters"},
		{"service name", "staging", []edit{{"headroom:workloads[0].name", `"netra-"`}}, "headroom:workloads[0].name", "Cloud Run service name"},
		{"service name dup", "staging", []edit{{"headroom:workloads[1].name", `"netra-backend"`}}, "headroom:workloads[1].name", "already the name of headroom:workloads[0]"},
		{"network name", "staging", []edit{{"headroom:network.name", `"Staging VPC"`}}, "headroom:network.name", "VPC network name"},
		{"project", "staging", []edit{{"gcp:project", "Netra"}}, "gcp:project", "Google Cloud project ID"},
		// others
		{"image", "staging", []edit{{"headroom:workloads[0].image", `""`}}, "headroom:workloads[0].image", "container image"},
		{"cpu", "staging", []edit{{"headroom:workloads[0].cpu", `"16"`}}, "headroom:workloads[0].cpu", "at most 8"},
		{"memory", "staging", []edit{{"headroom:workloads[0].memory", `"lots"`}}, "headroom:workloads[0].memory", "memory limit"},
		{"version", "staging", []edit{{"headroom:database.version", `"MYSQL_8_0"`}}, "headroom:database.version", "PostgreSQL version"},
		{"availability", "staging", []edit{{"headroom:database.availability", `"HA"`}}, "headroom:database.availability", "one of ZONAL, REGIONAL"},
		{"disk", "staging", []edit{{"headroom:database.diskSizeGb", `5`}}, "headroom:database.diskSizeGb", "≥ 10"},
		{"retry", "staging", []edit{{"headroom:assumptions", `{"retryMultiplier":0.5}`}}, "headroom:assumptions.retryMultiplier", "in [1, 100]"},
		{"overshoot", "staging", []edit{{"headroom:assumptions", `{"maxInstanceOvershoot":0.5}`}}, "headroom:assumptions.maxInstanceOvershoot", "must be a number in [1, 100], got 0.5"},
		{"linger", "staging", []edit{{"headroom:assumptions", `{"revisionLingerSeconds":-1}`}}, "headroom:assumptions.revisionLingerSeconds", "must be a number in (0, 86400], got -1"},
		{"per vCPU", "staging", []edit{{"headroom:assumptions", `{"acceptRatePerVCPU":-5}`}}, "headroom:assumptions.acceptRatePerVCPU", "must be a number in (0, 1000000], got -5"},
		{"deploy style", "staging", []edit{{"headroom:workloads[0].deploy", `{"style":"blue-green"}`}}, "headroom:workloads[0].deploy.style", "must be one of latest, candidate (default latest), got \"blue-green\""},
		{"retry", "staging", []edit{{"headroom:assumptions", `{"retryInitialSeconds":5,"retryMaxSeconds":1}`}}, "headroom:assumptions.retryMaxSeconds", "≥ retryInitialSeconds"},
		{"unusual key", "staging", []edit{{"headroom:network.regions", `{"us central1\n":{}}`}}, `headroom:network.regions["us central1\n"]`, "unknown region"},
	}
	classes := map[string]bool{}
	for _, c := range cases {
		classes[c.class] = true
		t.Run(c.class+"/"+c.key, func(t *testing.T) {
			vals := applyEdits(t, base[c.stack], c.edits...)
			_, err := Decode(c.stack, vals)
			require.Error(t, err)
			var ce *Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.key, ce.Key)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, c.key+": "), msg)
			assert.Contains(t, msg, c.msg)
			assert.NotContains(t, msg, "\n")
			assert.NotContains(t, msg, "\r")
		})
	}
	assert.GreaterOrEqual(t, len(classes), 30)
}

// TestValidStacksGoogleAccepts: values Google accepts must not be refused
// as bad input (docs/gcp-limits.md#cloud-run, #cloud-sql-tiers).
func TestValidStacksGoogleAccepts(t *testing.T) {
	cases := []struct {
		name  string
		edits []edit
	}{
		{"300 s startup window", []edit{{"headroom:workloads[0].startupProbe.failureThreshold", `30`}}},
		{"600 s startup window", []edit{{"headroom:workloads[0].startupProbe.initialDelaySeconds", `100`}, {"headroom:workloads[0].startupProbe.failureThreshold", `50`}}},
		{"timeout equals period", []edit{{"headroom:workloads[0].startupProbe.timeoutSeconds", `10`}}},
		{"period 1 with the default timeout", []edit{{"headroom:workloads[0].startupProbe.periodSeconds", `1`}, {"headroom:workloads[0].startupProbe.timeoutSeconds", del}}},
		{"C4A tier", []edit{{"headroom:database.tier", `"db-c4a-highmem-4"`}, {"headroom:database.edition", `"ENTERPRISE_PLUS"`}}},
		{"N4 tier", []edit{{"headroom:database.tier", `"db-custom-N4-4-16384"`}, {"headroom:database.edition", `"ENTERPRISE"`}}},
		{"PostgreSQL 16 defaults to Enterprise Plus", []edit{{"headroom:database.version", `"POSTGRES_16"`}, {"headroom:database.edition", del}, {"headroom:database.tier", `"db-perf-optimized-N-4"`}}},
		{"decimal connect timeout", []edit{{"headroom:workloads[0].db.connectTimeoutSeconds", `74.5`}}},
		// Above our inferred 4× ceiling (advice in the plan, not bad input),
		// up to PostgreSQL's maximum.
		{"max_connections above the inferred ceiling", []edit{{"headroom:database.maxConnections", `262143`}}},
		{"N4 shape outside our inference", []edit{{"headroom:database.tier", `"db-custom-N4-82-335872"`}, {"headroom:database.edition", `"ENTERPRISE"`}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode("staging", applyEdits(t, load(t, "staging").Values, c.edits...))
			assert.NoError(t, err)
		})
	}
	// Without an edition, PostgreSQL 16 gets Enterprise Plus, which has no db-custom tiers.
	_, err := Decode("staging", applyEdits(t, load(t, "staging").Values,
		edit{"headroom:database.version", `"POSTGRES_16"`}, edit{"headroom:database.edition", del}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Cloud SQL defaults to ENTERPRISE_PLUS for this version")
}

// TestExactMessage pins the example wording.
func TestExactMessage(t *testing.T) {
	vals := applyEdits(t, load(t, "staging").Values, edit{"headroom:workloads[1].db.poolSize", `"ten"`})
	_, err := Decode("staging", vals)
	require.EqualError(t, err, `headroom:workloads[1].db.poolSize: must be an integer ≥ 1, got "ten"`)
}

// TestDeterministic: with several errors in map-keyed parts, the same one
// is reported every time (fixed walk order, not map order).
func TestDeterministic(t *testing.T) {
	vals := applyEdits(t, load(t, "production").Values,
		edit{"headroom:network.regions.us-east1.subnet", `"bad"`},
		edit{"headroom:network.regions.us-central1.subnet", `"bad"`},
		edit{"headroom:network.regions.us-central1.zzz", `1`},
		edit{"headroom:network.regions.us-east1.aaa", `1`},
		edit{"headroom:workloads[1].db.poolSize", `0`},
		edit{"headroom:zzz", `1`},
		edit{"headroom:aaa", `1`},
	)
	_, first := Decode("production", vals)
	require.EqualError(t, first, "headroom:aaa: unknown key; expected one of headroom:assumptions, headroom:consumerStacks, headroom:database, headroom:environment, headroom:monitoring, headroom:network, headroom:probe, headroom:targets, headroom:workloads")
	delete(vals, "headroom:aaa")
	delete(vals, "headroom:zzz")
	_, first = Decode("production", vals)
	require.Error(t, first)
	assert.Equal(t, "headroom:network.regions.us-central1.zzz", first.(*Error).Key)
	for range 50 {
		_, err := Decode("production", vals)
		require.Equal(t, first.Error(), err.Error())
	}
}

// TestDefaults: keys left out take their documented defaults; an explicit
// value that equals the default is kept.
func TestDefaults(t *testing.T) {
	vals := applyEdits(t, load(t, "staging").Values,
		edit{"headroom:network.regions.us-central1.connector.machineType", del},
		edit{"headroom:network.regions.us-central1.connector.minInstances", del},
		edit{"headroom:network.regions.us-central1.connector.maxInstances", del},
		edit{"headroom:database.edition", del},
		edit{"headroom:database.availability", del},
		edit{"headroom:database.backups", del},
		edit{"headroom:database.maintenanceWindow", del},
		edit{"headroom:workloads[0].concurrency", del},
		edit{"headroom:workloads[0].startupProbe", del},
		edit{"headroom:workloads[0].db.target", del},
		edit{"headroom:workloads[0].db.startupConnections", del},
		edit{"headroom:workloads[0].db.maxOverflow", del},
		edit{"headroom:targets", del},
	)
	s, err := Decode("staging", vals)
	require.NoError(t, err)
	c := s.Network.Regions["us-central1"].Connector
	assert.Equal(t, Connector{Name: "staging-connector", IPCIDRRange: "10.8.0.0/28", MachineType: "e2-micro", MinInstances: 2, MaxInstances: 10}, *c)
	assert.Equal(t, "ENTERPRISE", s.Database.Edition)
	assert.Equal(t, "ZONAL", s.Database.Availability)
	assert.Equal(t, Backups{Enabled: true, PointInTimeRecovery: true, RetainedBackups: 7, LogRetentionDays: 7}, s.Database.Backups)
	assert.Equal(t, MaintenanceWindow{Day: 7, Hour: 3}, s.Database.MaintenanceWindow)
	w := s.Workloads[0]
	assert.Equal(t, 80, w.Concurrency)
	assert.Equal(t, StartupProbe{PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 3}, w.StartupProbe)
	assert.Equal(t, "primary", w.DB.Target)
	assert.Equal(t, 1, w.DB.StartupConnections)
	assert.Equal(t, 0, w.DB.MaxOverflow)
	assert.Equal(t, Targets{}, s.Targets, "unset targets stay zero = model defaults")

	// Replica tier and max_connections default to the primary's.
	pvals := applyEdits(t, load(t, "production").Values,
		edit{"headroom:database.replicas[0]", `{"name":"prod-postgres-use1","region":"us-east1"}`})
	p, err := Decode("production", pvals)
	require.NoError(t, err)
	assert.Equal(t, Replica{Name: "prod-postgres-use1", Region: "us-east1", Tier: "db-custom-8-32768", MaxConnections: 1200, Availability: "ZONAL"}, p.Database.Replicas[0])

	// Direct VPC egress is accepted with its subnet.
	dvals := applyEdits(t, load(t, "staging").Values,
		edit{"headroom:network.regions.us-central1", `{"subnet":"10.10.0.0/20","egress":"direct","direct":{"subnet":"10.20.0.0/24"}}`})
	d, err := Decode("staging", dvals)
	require.NoError(t, err)
	assert.Nil(t, d.Network.Regions["us-central1"].Connector)
	assert.Equal(t, &Direct{Subnet: "10.20.0.0/24"}, d.Network.Regions["us-central1"].Direct)

	// Null means unset.
	nvals := applyEdits(t, load(t, "staging").Values, edit{"headroom:workloads[0].concurrency", `null`})
	n, err := Decode("staging", nvals)
	require.NoError(t, err)
	assert.Equal(t, 80, n.Workloads[0].Concurrency)
}

// TestTargetBoundsAgreeWithPack: a target the pack would refuse to load is
// refused by config validation with the same bound and the same words
// (connectP99Seconds 5000 used to pass the plan and fail the pack).
func TestTargetBoundsAgreeWithPack(t *testing.T) {
	for _, c := range []struct {
		key  string
		v    string
		want string
	}{
		{"headroom:targets.connectP99Seconds", "5000", "must be a number in (0, 3600], got 5000"},
		{"headroom:targets.connectP99Seconds", "3600.5", "must be a number in (0, 3600], got 3600.5"},
		{"headroom:targets.startupSuccessRate", "1", "must be a number in (0, 1), got 1"},
		{"headroom:targets.connectionUtilization", "0", "must be a number in (0, 1], got 0"},
	} {
		_, err := Decode("staging", applyEdits(t, load(t, "staging").Values, edit{c.key, c.v}))
		require.Error(t, err, c.key)
		assert.Contains(t, err.Error(), c.key+": "+c.want)
	}
	// The bounds themselves pass.
	for key, v := range map[string]string{"headroom:targets.connectP99Seconds": "3600", "headroom:targets.startupSuccessRate": "0.999"} {
		_, err := Decode("staging", applyEdits(t, load(t, "staging").Values, edit{key, v}))
		assert.NoError(t, err, key)
	}
}
