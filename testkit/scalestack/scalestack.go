// Package scalestack generates the organisation-sized stack files the
// whole-path benchmarks run on (docs/cli.md#scale): the offline plan's and
// suggest's in cmd/headroom, and the real engine's preview in tests/e2e.
package scalestack

import (
	"fmt"
	"strings"
)

// BenchRegions is how many regions the benchmarks spread each workload
// over.
const BenchRegions = 8

// Regions are the regions a generated org-scale stack spreads over; the
// primary is in the first, its replica in the second.
var Regions = []string{
	"us-central1", "us-east1", "us-east4", "us-west1",
	"europe-west1", "europe-west4", "asia-east1", "asia-northeast1",
}

// Stack is the stack file of an organisation-sized stack: `workloads`
// services, each in the first `regions` regions behind a connector, on one
// 96-vCPU primary with a cross-region replica. Every service is sized so the
// stack passes: 2 instances × (1 + 0) connections per region, cold-start
// egress 100 × 2 × 5 Mbps = 1,000 Mbps per region against 4,800 at the
// connectors' minimum size. max_connections 5000 lies above our inferred 4×
// ceiling (4,000 for the tier's default 1,000) and inside what Cloud SQL
// accepts: the stack plans with an advisory, never a config error.
func Stack(workloads, regions int) string {
	if regions > len(Regions) {
		panic(fmt.Sprintf("scalestack: at most %d regions", len(Regions)))
	}
	rs := Regions[:regions]
	var b strings.Builder
	b.WriteString(`config:
  gcp:project: scale-bench
  headroom:environment: production
  headroom:network:
    name: scale-vpc
    privateServiceAccessRange: 10.100.0.0/16
    regions:
`)
	for i, r := range rs {
		fmt.Fprintf(&b, `      %s:
        subnet: 10.%d.0.0/20
        egress: connector
        connector:
          name: scale-conn-%d
          ipCidrRange: 10.8.%d.0/28
          machineType: e2-standard-4
          minInstances: 3
          maxInstances: 10
`, r, 10+i, i, i)
	}
	replicaRegion := rs[0]
	if len(rs) > 1 {
		replicaRegion = rs[1]
	}
	fmt.Fprintf(&b, `  headroom:database:
    name: scale-postgres
    version: POSTGRES_15
    edition: ENTERPRISE
    tier: db-custom-96-368640
    region: %s
    availability: REGIONAL
    maxConnections: 5000
    deletionProtection: true
    backups:
      enabled: true
      pointInTimeRecovery: true
      retainedBackups: 14
      logRetentionDays: 7
    maintenanceWindow:
      day: 7
      hour: 3
    replicas:
      - name: scale-postgres-r1
        region: %s
        tier: db-custom-96-368640
        maxConnections: 5000
        availability: ZONAL
  headroom:workloads:
`, rs[0], replicaRegion)
	for w := 0; w < workloads; w++ {
		fmt.Fprintf(&b, `    - name: svc-%03d
      image: us-docker.pkg.dev/cloudrun/container/hello
      regions: [%s]
      minInstances: 1
      maxInstances: 2
      concurrency: 80
      egressMbpsPerInstance: 5
      db:
        database: app
        target: primary
        poolSize: 1
        maxOverflow: 0
        startupConnections: 1
        connectTimeoutSeconds: 45
      startupProbe:
        path: /healthz/db
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 24
`, w, strings.Join(rs, ", "))
	}
	b.WriteString(`  headroom:targets:
    startupSuccessRate: 0.999
    connectP99Seconds: 30
    connectionUtilization: 0.80
`)
	return b.String()
}

// Refused is Stack with max_connections at the tier default (1000) on the
// primary and its replica: the services' connections no longer fit, so
// the plan refuses it and suggest has a search to run.
func Refused(workloads, regions int) string {
	return strings.ReplaceAll(Stack(workloads, regions), "maxConnections: 5000", "maxConnections: 1000")
}
