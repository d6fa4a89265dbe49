// Package config is the typed configuration of one Headroom stack: what the
// Pulumi program reads under the `headroom:` namespace, and what offline tools
// read from a stack file (stacks/Pulumi.<stack>.yaml). Both paths go through
// the same decoder and validation.
package config

import "github.com/headroom-dev/headroom/infra/capacity"

// Stack is the whole configuration of one stack. YAML/JSON key names are the
// documented config keys (README "Config reference"); keep them stable.
type Stack struct {
	// Name is the stack name (e.g. "staging"); taken from the file name or
	// the Pulumi context, not from a config key.
	Name string `yaml:"-" json:"-"`
	// Project is gcp:project.
	Project string `yaml:"-" json:"-"`

	Environment string     `yaml:"environment" json:"environment"` // staging | production
	Network     Network    `yaml:"network" json:"network"`
	Database    Database   `yaml:"database" json:"database"`
	Workloads   []Workload `yaml:"workloads" json:"workloads"`
	Targets     Targets    `yaml:"targets" json:"targets"`
	// Assumptions override the capacity model's defaults (optional).
	Assumptions Assumptions `yaml:"assumptions" json:"assumptions"`
	// Monitoring configures the alert policies and dashboard (optional).
	Monitoring Monitoring `yaml:"monitoring" json:"monitoring"`
	// Probe declares the storm probe as a Cloud Run job (optional, opt-in).
	Probe Probe `yaml:"probe" json:"probe"`
	// ConsumerStacks are the app stacks ("org/project/stack") whose
	// services use this stack's databases: the program reads their
	// cross-stack export and republishes their demand in its own
	// (docs/cli.md#budget-across-stacks). Optional.
	ConsumerStacks []string `yaml:"consumerStacks" json:"consumerStacks"`

	// SecretKeys are the config keys set with `pulumi config set --secret`
	// ("headroom:workloads"): the program passes what it derives from them
	// to resources as Pulumi secrets, so state and outputs keep them
	// encrypted.
	SecretKeys map[string]bool `yaml:"-" json:"-"`
}

// IsSecret reports whether the config key (e.g. "headroom:workloads") was
// set as a secret.
func (s Stack) IsSecret(key string) bool { return s.SecretKeys[key] }

// Network is headroom:network.
type Network struct {
	Name                      string            `yaml:"name" json:"name"`
	PrivateServiceAccessRange string            `yaml:"privateServiceAccessRange" json:"privateServiceAccessRange"`
	Regions                   map[string]Region `yaml:"regions" json:"regions"`
}

// Region is headroom:network.regions.<region>.
type Region struct {
	Subnet    string     `yaml:"subnet" json:"subnet"`
	Egress    string     `yaml:"egress" json:"egress"` // connector | direct
	Connector *Connector `yaml:"connector,omitempty" json:"connector,omitempty"`
	Direct    *Direct    `yaml:"direct,omitempty" json:"direct,omitempty"`
}

// Connector is a Serverless VPC Access connector.
type Connector struct {
	Name         string `yaml:"name" json:"name"`
	IPCIDRRange  string `yaml:"ipCidrRange" json:"ipCidrRange"`
	MachineType  string `yaml:"machineType" json:"machineType"`
	MinInstances int    `yaml:"minInstances" json:"minInstances"`
	MaxInstances int    `yaml:"maxInstances" json:"maxInstances"`
}

// Direct is a Direct VPC egress subnet.
type Direct struct {
	Subnet string `yaml:"subnet" json:"subnet"`
}

// Database is headroom:database, the Cloud SQL for PostgreSQL primary.
type Database struct {
	Name               string            `yaml:"name" json:"name"`
	Version            string            `yaml:"version" json:"version"`
	Edition            string            `yaml:"edition" json:"edition"`
	Tier               string            `yaml:"tier" json:"tier"`
	Region             string            `yaml:"region" json:"region"`
	Availability       string            `yaml:"availability" json:"availability"` // ZONAL | REGIONAL
	MaxConnections     int               `yaml:"maxConnections" json:"maxConnections"`
	DiskSizeGb         int               `yaml:"diskSizeGb" json:"diskSizeGb"`
	DeletionProtection *bool             `yaml:"deletionProtection,omitempty" json:"deletionProtection,omitempty"`
	Backups            Backups           `yaml:"backups" json:"backups"`
	MaintenanceWindow  MaintenanceWindow `yaml:"maintenanceWindow" json:"maintenanceWindow"`
	Replicas           []Replica         `yaml:"replicas" json:"replicas"`
	// Consumers are clients that are not Cloud Run services (migration and
	// cron jobs, psql, BI tools); their connections count in every scenario.
	Consumers []Consumer `yaml:"consumers" json:"consumers"`
}

// Consumer is one entry of headroom:database.consumers.
type Consumer struct {
	Name        string `yaml:"name" json:"name"`
	Connections int    `yaml:"connections" json:"connections"`
	// Target is "primary" (default) or the name of a replica.
	Target string `yaml:"target" json:"target"`
}

// Backups is headroom:database.backups.
type Backups struct {
	Enabled             bool `yaml:"enabled" json:"enabled"`
	PointInTimeRecovery bool `yaml:"pointInTimeRecovery" json:"pointInTimeRecovery"`
	RetainedBackups     int  `yaml:"retainedBackups" json:"retainedBackups"`
	LogRetentionDays    int  `yaml:"logRetentionDays" json:"logRetentionDays"`
}

// MaintenanceWindow is headroom:database.maintenanceWindow (day 1–7, Monday=1; hour 0–23 UTC).
type MaintenanceWindow struct {
	Day  int `yaml:"day" json:"day"`
	Hour int `yaml:"hour" json:"hour"`
}

// Replica is one cross-region read replica.
type Replica struct {
	Name           string `yaml:"name" json:"name"`
	Region         string `yaml:"region" json:"region"`
	Tier           string `yaml:"tier" json:"tier"`
	MaxConnections int    `yaml:"maxConnections" json:"maxConnections"`
	Availability   string `yaml:"availability" json:"availability"`
}

// Workload is one entry of headroom:workloads: a Cloud Run service deployed
// to each of its regions.
type Workload struct {
	Name               string   `yaml:"name" json:"name"`
	Image              string   `yaml:"image" json:"image"`
	IgnoreImageChanges bool     `yaml:"ignoreImageChanges" json:"ignoreImageChanges"`
	Regions            []string `yaml:"regions" json:"regions"`
	MinInstances       int      `yaml:"minInstances" json:"minInstances"`
	MaxInstances       int      `yaml:"maxInstances" json:"maxInstances"`
	// Processes is the number of worker processes per instance (gunicorn or
	// uvicorn workers), each with its own pools; default 1.
	Processes             int          `yaml:"processes" json:"processes"`
	Concurrency           int          `yaml:"concurrency" json:"concurrency"`
	CPU                   string       `yaml:"cpu" json:"cpu"`
	Memory                string       `yaml:"memory" json:"memory"`
	EgressMbpsPerInstance float64      `yaml:"egressMbpsPerInstance" json:"egressMbpsPerInstance"`
	DB                    WorkloadDB   `yaml:"db" json:"db"`
	StartupProbe          StartupProbe `yaml:"startupProbe" json:"startupProbe"`
	// Deploy is how a new revision takes traffic.
	Deploy Deploy `yaml:"deploy" json:"deploy"`

	// The application's own settings (docs/config-reference.md).

	// Env are plain environment variables (never credentials, never DB_*).
	Env map[string]string `yaml:"env" json:"env"`
	// Secrets are environment variables read from Secret Manager.
	Secrets map[string]SecretRef `yaml:"secrets" json:"secrets"`
	// Ingress is all | internal | internal-and-cloud-load-balancing
	// (default internal in production, all in staging).
	Ingress string `yaml:"ingress" json:"ingress"`
	// Invokers are the IAM members granted roles/run.invoker.
	Invokers []string `yaml:"invokers" json:"invokers"`
	// Public states that the service is meant for anyone: required for an
	// allUsers invoker in production.
	Public bool `yaml:"public" json:"public"`
	// Command and Args override the image's entrypoint and arguments.
	Command []string `yaml:"command" json:"command"`
	Args    []string `yaml:"args" json:"args"`
	// TimeoutSeconds is the request timeout (Cloud Run's default when 0).
	TimeoutSeconds int `yaml:"timeoutSeconds" json:"timeoutSeconds"`
	// CPUAllocation is "request" (CPU only while serving; default) or
	// "always" (instance-based billing).
	CPUAllocation string `yaml:"cpuAllocation" json:"cpuAllocation"`
	// ExecutionEnvironment is gen1 or gen2 (Cloud Run's choice when empty).
	ExecutionEnvironment string `yaml:"executionEnvironment" json:"executionEnvironment"`
	// LivenessProbe restarts an instance whose HTTP check keeps failing.
	LivenessProbe *LivenessProbe `yaml:"livenessProbe,omitempty" json:"livenessProbe,omitempty"`
	// ServiceAccountRoles are further project roles for the workload's
	// service account.
	ServiceAccountRoles []string `yaml:"serviceAccountRoles" json:"serviceAccountRoles"`
	// Labels are added to the Cloud Run services.
	Labels map[string]string `yaml:"labels" json:"labels"`
}

// SecretRef is one entry of headroom:workloads[].secrets: a Secret Manager
// secret and the version the container reads.
type SecretRef struct {
	// Secret is a secret ID in the stack's project, or
	// projects/<project>/secrets/<id>.
	Secret string `yaml:"secret" json:"secret"`
	// Version is "latest" (default) or a version number.
	Version string `yaml:"version" json:"version"`
}

// LivenessProbe is a Cloud Run HTTP liveness probe.
type LivenessProbe struct {
	Path                string `yaml:"path" json:"path"`
	InitialDelaySeconds int    `yaml:"initialDelaySeconds" json:"initialDelaySeconds"`
	PeriodSeconds       int    `yaml:"periodSeconds" json:"periodSeconds"`
	TimeoutSeconds      int    `yaml:"timeoutSeconds" json:"timeoutSeconds"`
	FailureThreshold    int    `yaml:"failureThreshold" json:"failureThreshold"`
}

// Deploy is headroom:workloads[].deploy.
type Deploy struct {
	// Style is "latest" (default: the new revision takes all traffic at
	// once) or "candidate" (a tagged revision with no traffic at its floor,
	// then a flip).
	Style string `yaml:"style" json:"style"`
}

// WorkloadDB is the database contract of a workload (exported as DB_* env vars).
type WorkloadDB struct {
	// Target is "primary" or the name of a replica.
	Target                string  `yaml:"target" json:"target"`
	Database              string  `yaml:"database" json:"database"` // database name (DB_NAME)
	PoolSize              int     `yaml:"poolSize" json:"poolSize"`
	MaxOverflow           int     `yaml:"maxOverflow" json:"maxOverflow"`
	StartupConnections    int     `yaml:"startupConnections" json:"startupConnections"`
	ConnectTimeoutSeconds float64 `yaml:"connectTimeoutSeconds" json:"connectTimeoutSeconds"`
	// ExtraPools are further pools each process opens besides the main one.
	ExtraPools []Pool `yaml:"extraPools" json:"extraPools"`
}

// Pool is one entry of headroom:workloads[].db.extraPools.
type Pool struct {
	Name               string `yaml:"name" json:"name"`
	PoolSize           int    `yaml:"poolSize" json:"poolSize"`
	MaxOverflow        int    `yaml:"maxOverflow" json:"maxOverflow"`
	StartupConnections int    `yaml:"startupConnections" json:"startupConnections"`
}

// StartupProbe is a Cloud Run startup probe.
type StartupProbe struct {
	InitialDelaySeconds int    `yaml:"initialDelaySeconds" json:"initialDelaySeconds"`
	PeriodSeconds       int    `yaml:"periodSeconds" json:"periodSeconds"`
	TimeoutSeconds      int    `yaml:"timeoutSeconds" json:"timeoutSeconds"`
	FailureThreshold    int    `yaml:"failureThreshold" json:"failureThreshold"`
	Path                string `yaml:"path" json:"path"` // HTTP path; empty = TCP probe
}

// Targets is headroom:targets, the post-mortem's success criteria.
type Targets struct {
	StartupSuccessRate    float64 `yaml:"startupSuccessRate" json:"startupSuccessRate"`
	ConnectP99Seconds     float64 `yaml:"connectP99Seconds" json:"connectP99Seconds"`
	ConnectionUtilization float64 `yaml:"connectionUtilization" json:"connectionUtilization"`
}

// Assumptions is headroom:assumptions: overrides of the capacity model's
// assumptions (see infra/capacity.Assumptions); zero = model default.
type Assumptions struct {
	ConnectorScaleOutSeconds   float64 `yaml:"connectorScaleOutSeconds" json:"connectorScaleOutSeconds"`
	DirectEgressStartupSeconds float64 `yaml:"directEgressStartupSeconds" json:"directEgressStartupSeconds"`
	AcceptRatePerSecond        float64 `yaml:"acceptRatePerSecond" json:"acceptRatePerSecond"`
	HandshakeSeconds           float64 `yaml:"handshakeSeconds" json:"handshakeSeconds"`
	RetryInitialSeconds        float64 `yaml:"retryInitialSeconds" json:"retryInitialSeconds"`
	RetryMaxSeconds            float64 `yaml:"retryMaxSeconds" json:"retryMaxSeconds"`
	RetryMultiplier            float64 `yaml:"retryMultiplier" json:"retryMultiplier"`
	ReservedConnections        int     `yaml:"reservedConnections" json:"reservedConnections"`
	AdminSlackConnections      int     `yaml:"adminSlackConnections" json:"adminSlackConnections"`
	RampSeconds                float64 `yaml:"rampSeconds" json:"rampSeconds"`
	Seed                       int64   `yaml:"seed" json:"seed"`
	AcceptRatePerVCPU          float64 `yaml:"acceptRatePerVCPU" json:"acceptRatePerVCPU"`
	RevisionLingerSeconds      float64 `yaml:"revisionLingerSeconds" json:"revisionLingerSeconds"`
	MaxInstanceOvershoot       float64 `yaml:"maxInstanceOvershoot" json:"maxInstanceOvershoot"`
}

// capacity converts a pool to the capacity model's form.
func (p Pool) capacity() capacity.Pool {
	return capacity.Pool{Name: p.Name, PoolSize: p.PoolSize, MaxOverflow: p.MaxOverflow, StartupConnections: p.StartupConnections}
}
