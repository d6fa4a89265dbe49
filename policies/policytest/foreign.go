package policytest

import (
	"maps"

	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// A program written the ordinary way, not by Headroom: a Serverless VPC
// Access connector, a db-custom-1-3840 Cloud SQL instance (max_connections
// not set: the tier's default of 100) and a Cloud Run service "api" whose
// only database setting is its DATABASE_URL. Properties are the graph's
// inputs plus the outputs a real update records.

// ForeignPassword is the password in every connection string of the
// fixture: no message may ever contain it.
const ForeignPassword = "s3cr3t-Pa55word"

// ForeignInstance is the instance's properties after an update (inputs and
// outputs); ForeignInstanceInputs is what Analyze receives before it exists.
func ForeignInstance() map[string]any {
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

// ForeignInstanceInputs is the instance as its registration sends it:
// no address, no connection name.
func ForeignInstanceInputs() map[string]any {
	m := ForeignInstance()
	delete(m, "privateIpAddress")
	delete(m, "connectionName")
	return m
}

// ForeignConnector is a Serverless VPC Access connector "conn".
func ForeignConnector() map[string]any {
	return map[string]any{
		"name": "conn", "region": "us-central1", "network": "default", "ipCidrRange": "10.8.0.0/28",
		"machineType": "e2-micro", "minInstances": 2, "maxInstances": 3,
	}
}

// ForeignService is the Cloud Run service with the given env vars (name →
// value) and extra container fields.
func ForeignService(maxInstances int, env map[string]any, container map[string]any) map[string]any {
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
	sort.Strings(out)
	return out
}

// ForeignStack is the connector, the instance and the service, in the
// order an update registers them.
func ForeignStack(svc map[string]any) []policyx.AnalyzerResource {
	return []policyx.AnalyzerResource{
		Resource(TypeConnector, "conn", ForeignConnector()),
		Resource(TypeSQLInstance, "db", ForeignInstance()),
		Resource(TypeRunService, "api", svc),
	}
}

// PrismaURL is the service's DATABASE_URL with Prisma's connection_limit
// (none when limit is empty), carrying ForeignPassword.
func PrismaURL(limit string) string {
	u := "postgresql://app:" + ForeignPassword + "@10.0.0.3:5432/app"
	if limit != "" {
		u += "?connection_limit=" + limit
	}
	return u
}
