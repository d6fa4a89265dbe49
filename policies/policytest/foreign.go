package pack_test

import (
	"maps"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// A program written the ordinary way, not by Headroom: a Serverless VPC
// Access connector, a db-custom-1-3840 Cloud SQL instance (max_connections
// not set: the tier's default of 100) and a Cloud Run service "api" whose
// only database setting is its DATABASE_URL. Properties are the graph's
// inputs plus the outputs a real update records.

const foreignPassword = "s3cr3t-Pa55word"

func foreignInstance() map[string]any {
	return map[string]any{
		"name":               "db",
		"region":             "us-central1",
		"databaseVersion":    "POSTGRES_15",
		"deletionProtection": true,
		"settings": map[string]any{
			"tier": "db-custom-1-3840",
			"ipConfiguration": map[string]any{
				"ipv4Enabled":    false,
				"privateNetwork": "projects/p/global/networks/default",
				"sslMode":        "ENCRYPTED_ONLY",
			},
		},
		"privateIpAddress": "10.0.0.3",
		"connectionName":   "p:us-central1:db",
	}
}

func foreignConnector() map[string]any {
	return map[string]any{
		"name": "conn", "region": "us-central1", "network": "default", "ipCidrRange": "10.8.0.0/28",
		"machineType": "e2-micro", "minInstances": 2, "maxInstances": 3,
	}
}

// foreignService is the Cloud Run service with the given env vars (name →
// value) and extra container fields.
func foreignService(maxInstances int, env map[string]any, container map[string]any) map[string]any {
	envs := []map[string]any{}
	for _, k := range sortedKeys(env) {
		envs = append(envs, map[string]any{"name": k, "value": env[k]})
	}
	c := map[string]any{"image": "us-docker.pkg.dev/p/app/api:1", "envs": envs}
	maps.Copy(c, container)
	return map[string]any{
		"name":     "api",
		"location": "us-central1",
		"template": map[string]any{
			"scaling":    map[string]any{"maxInstanceCount": maxInstances},
			"vpcAccess":  map[string]any{"connector": "projects/p/locations/us-central1/connectors/conn", "egress": "PRIVATE_RANGES_ONLY"},
			"containers": []map[string]any{c},
		},
	}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// foreignStack is the connector, the instance and the service, in the
// order an update registers them.
func foreignStack(svc map[string]any) []policyx.AnalyzerResource {
	return []policyx.AnalyzerResource{
		pt.Resource(pt.TypeConnector, "conn", foreignConnector()),
		pt.Resource(pt.TypeSQLInstance, "db", foreignInstance()),
		pt.Resource(pt.TypeRunService, "api", svc),
	}
}

func prismaURL(limit string) string {
	u := "postgresql://app:" + foreignPassword + "@10.0.0.3:5432/app"
	if limit != "" {
		u += "?connection_limit=" + limit
	}
	return u
}
