// Package capacity is Headroom's capacity model: a catalog of the Google Cloud
// limits the Cloud Run → VPC egress → Cloud SQL path depends on, a topology
// that describes one stack in those terms, analyses that judge it, and a
// deterministic cold-start storm simulator.
//
// It is pure Go: it imports nothing of Pulumi and nothing else of Headroom, so
// the Pulumi program, the policy pack, the offline plan and the probe all reach
// the same verdict from the same code.
package capacity

import "fmt"

// Environment selects how strict the analyses are.
type Environment string

const (
	// EnvStaging is judged on capacity only.
	EnvStaging Environment = "staging"
	// EnvProduction is also judged on multi-region redundancy.
	EnvProduction Environment = "production"
)

// EgressKind is how a region's Cloud Run services reach the VPC.
type EgressKind string

const (
	// EgressConnector is a Serverless VPC Access connector.
	EgressConnector EgressKind = "connector"
	// EgressDirect is Cloud Run Direct VPC egress into a subnet.
	EgressDirect EgressKind = "direct"
	// EgressNone means the workload has no VPC egress at all.
	EgressNone EgressKind = "none"
)

// ConnectionMethod is how a workload reaches its database.
type ConnectionMethod string

const (
	// MethodPrivateIP connects straight to the instance's private IP.
	MethodPrivateIP ConnectionMethod = "private-ip"
	// MethodBuiltin is Cloud Run's built-in Cloud SQL connection (the
	// /cloudsql unix socket), capped at 100 connections per instance.
	MethodBuiltin ConnectionMethod = "builtin"
	// MethodConnector is the Auth Proxy sidecar or a Cloud SQL language
	// connector: no per-instance cap, but Admin API connect quota per start.
	MethodConnector ConnectionMethod = "connector"
)

// Topology is one stack described in the model's terms. It is built from a
// stack's resource graph (policy pack, offline plan) or by hand (tests).
type Topology struct {
	// Stack is a display name; it has no effect on any analysis.
	Stack       string
	Environment Environment // selects production-only checks (multi-region)
	Databases   []Database  // primaries and replicas
	Egress      []Egress    // one or more per region
	Workloads   []Workload  // one per Cloud Run service and region
	Targets     Targets     // success criteria; zero fields take DefaultTargets
	Assumptions Assumptions // model inputs not in the graph; zero fields take DefaultAssumptions
}

// Database is one Cloud SQL for PostgreSQL instance: a primary or a replica.
type Database struct {
	// Name is the Cloud SQL instance name.
	Name   string
	Region string // GCP region, e.g. "us-central1"
	// Tier is the machine tier, e.g. "db-custom-4-16384".
	Tier string
	// Edition is "ENTERPRISE" or "ENTERPRISE_PLUS"; empty means ENTERPRISE.
	Edition string
	// Availability is "ZONAL" or "REGIONAL" (HA).
	Availability string
	// MaxConnections is the explicit max_connections flag; 0 means unset,
	// in which case the tier's memory-derived default applies.
	MaxConnections int
	// ReplicaOf names the primary this instance replicates; empty for a primary.
	ReplicaOf string
	// Pooling is the Managed Connection Pooling the instance declares; nil
	// means none. It counts only on Enterprise Plus; then the server side is
	// judged in server connections through the poolers
	// (docs/capacity-model.md "Managed Connection Pooling").
	Pooling *ManagedPooling `json:",omitempty"`
	// Consumers are clients that are not Cloud Run services (migration and
	// cron jobs, psql, BI tools); their connections count in every scenario.
	Consumers []Consumer
}

// Consumer is a non-Cloud-Run client of a database and the connections it
// may hold at once.
type Consumer struct {
	Name        string
	Connections int
}

// Egress is the VPC egress path of one region.
type Egress struct {
	Region string     // GCP region
	Kind   EgressKind // connector, direct or none
	// Name of the connector, or of the Direct VPC egress subnet.
	Name string
	// Connector sizing (Kind == EgressConnector).
	MachineType  string
	MinInstances int    // connector min instances (0 = default 2)
	MaxInstances int    // connector max instances (0 = default 10)
	IPCIDRRange  string // connector /28 range
	// SubnetCIDR is the Direct VPC egress subnet range (Kind == EgressDirect),
	// or the connector's subnet when it uses one instead of IPCIDRRange.
	SubnetCIDR string
}

// Workload is one Cloud Run service in one region.
type Workload struct {
	// Name is the Cloud Run service name (unique per region).
	Name string
	// Group is the logical workload the service belongs to (one per config
	// entry, possibly deployed to several regions); defaults to Name.
	Group  string
	Region string // GCP region the service runs in
	// Egress is the kind of VPC egress the service uses; EgressName names
	// the connector or subnet (matches Egress.Name in the same region).
	Egress     EgressKind
	EgressName string
	// Method is how the service reaches Database.
	Method ConnectionMethod
	// Database is the Cloud SQL instance name this service connects to.
	Database string

	MinInstances int // min_instance_count (kept warm)
	// MaxInstances is max_instance_count; 0 means unset (Cloud Run's
	// default of 100 applies).
	MaxInstances int
	Concurrency  int // max concurrent requests per instance (0 = 80)
	// EgressMbpsPerInstance is the expected VPC egress of one instance.
	EgressMbpsPerInstance float64

	// Pool contract of the application (the DB_* env vars). The main pool
	// and every extra pool exist once per process.
	PoolSize              int
	MaxOverflow           int     // connections beyond PoolSize under load
	StartupConnections    int     // connections opened before the instance is ready
	ConnectTimeoutSeconds float64 // the app's startup DB connect timeout
	// Processes is the number of worker processes per instance (gunicorn or
	// uvicorn workers), each with its own pools; 0 means 1.
	Processes int
	// ExtraPools are further pools each process opens besides the main one
	// (e.g. asyncpg beside SQLAlchemy).
	ExtraPools []Pool

	StartupProbe Probe // the service's startup probe (zero = Cloud Run default)

	// Deploy is how a new revision takes traffic (DeployLatest when empty).
	Deploy DeployStyle
}

// DeployStyle is how a workload's new revision takes traffic.
type DeployStyle string

// ParseDeployStyle reads a deploy style; empty is DeployLatest.
func ParseDeployStyle(s string) (DeployStyle, error) {
	switch DeployStyle(s) {
	case "", DeployLatest:
		return DeployLatest, nil
	case DeployCandidate:
		return DeployCandidate, nil
	}
	return "", fmt.Errorf("deploy style %q: want %s or %s", s, DeployLatest, DeployCandidate)
}

const (
	// DeployLatest sends all traffic to the new revision as soon as it is
	// ready (Cloud Run's default, and the worst case: every new instance
	// starts at once while the old revision lingers).
	DeployLatest DeployStyle = "latest"
	// DeployCandidate deploys a tagged revision with no traffic that holds
	// only its floor (minInstances), then flips traffic to it at once.
	DeployCandidate DeployStyle = "candidate"
)

// Probe is a Cloud Run startup probe.
type Probe struct {
	InitialDelaySeconds int // initial_delay_seconds
	PeriodSeconds       int // period_seconds
	TimeoutSeconds      int // timeout_seconds (≤ period)
	FailureThreshold    int // failure_threshold
	// Path is the HTTP startup probe's path; empty means a TCP probe, which
	// passes as soon as the port is bound (before the database is reachable
	// when the app binds first).
	Path string
}

// Targets are the success criteria a stack must meet. Zero values take the
// defaults in DefaultTargets.
type Targets struct {
	// StartupSuccessRate is the minimum simulated cold-start success (0–1).
	StartupSuccessRate float64
	// ConnectP99Seconds is the maximum p99 connection establishment time.
	ConnectP99Seconds float64
	// ConnectionUtilization is the share of usable slots demand may use (0–1).
	ConnectionUtilization float64
}

// Assumptions are the numbers the model cannot read from the resource
// graph. Defaults come from DefaultAssumptions; a stack, the policy-pack
// config or a calibration run (headroom calibrate) overrides them. Zero
// values take the defaults.
type Assumptions struct {
	// ConnectorScaleOutSeconds is how long a Serverless VPC Access connector
	// takes to add an instance. Default 30 s, the incident's upper bound
	// (Google publishes no number: docs/gcp-limits.md#assumptions).
	ConnectorScaleOutSeconds float64
	// DirectEgressStartupSeconds is the connection-establishment delay of a
	// new Direct VPC egress instance (Google: "a minute or more" possible,
	// docs/gcp-limits.md#direct-vpc-egress). Default 60 s.
	DirectEgressStartupSeconds float64
	// AcceptRatePerSecond, when set (a `headroom calibrate` measurement),
	// is how many new connections per second every database instance
	// completes (backend fork + auth + TLS). Unset, the rate is
	// AcceptRatePerVCPU × the tier's vCPUs.
	AcceptRatePerSecond float64
	// AcceptRatePerVCPU is the accept rate of one database vCPU (default 50/s,
	// docs/gcp-limits.md#assumptions); shared-core tiers count as 1 vCPU.
	AcceptRatePerVCPU float64
	// RevisionLingerSeconds is how long an old revision's instances keep
	// their pools open after traffic moves to the new one (default 600 s).
	// Any positive value makes the rollout scenarios count both revisions.
	RevisionLingerSeconds float64
	// MaxInstanceOvershoot is how far Cloud Run may briefly exceed max
	// instances (default 2.0, Google's "typically less than twice"); the
	// overshoot scenario is judged at it, advisory only.
	MaxInstanceOvershoot float64
	// HandshakeSeconds is the latency of one successful connection
	// establishment with no queueing.
	HandshakeSeconds float64
	// RetryInitialSeconds, RetryMaxSeconds and RetryMultiplier describe the
	// application's exponential backoff after a refused attempt.
	RetryInitialSeconds float64
	RetryMaxSeconds     float64 // backoff cap
	RetryMultiplier     float64 // backoff growth factor (≥ 1)
	// ReservedConnections is max_connections minus what applications can
	// use: superuser_reserved_connections (3) plus Cloud SQL's own sessions
	// (≈2, measured, secondary: docs/gcp-limits.md#cloud-sql-max-connections). Default 5.
	ReservedConnections int
	// AdminSlackConnections are kept free for migrations and operators.
	AdminSlackConnections int
	// RampSeconds spreads instance starts over this window (0 = all at once,
	// the worst case: rollout, regional failover, scale from zero).
	RampSeconds float64
	// Seed makes the simulation reproducible.
	Seed int64
}
