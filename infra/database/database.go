// Package database is the Cloud SQL for PostgreSQL side of Headroom's path:
// a private-IP-only primary sized by an explicit max_connections, optional
// cross-region read replicas, the application database(s), and one IAM
// service-account database user per workload.
package database

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/sql"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Type is the component's type token.
const Type = "headroom:database:Database"

// IAMUserType is the sql.User type for a service-account login
// (IAM database authentication, needs cloudsql.iam_authentication=on).
const IAMUserType = "CLOUD_IAM_SERVICE_ACCOUNT"

// BuiltinDatabase exists on every Cloud SQL for PostgreSQL instance; it is
// never created (Cloud SQL would answer "already exists").
const BuiltinDatabase = "postgres"

// Args configure a Database.
type Args struct {
	// Project is the GCP project id.
	Project string
	// Primary is the primary instance.
	Primary InstanceArgs
	// Replicas are cross-region read replicas of the primary.
	Replicas []ReplicaArgs
	// PrivateNetwork is the VPC id (projects/p/global/networks/n) the
	// instances get their private IP in.
	PrivateNetwork pulumi.StringInput
	// Databases are the application databases to create on the primary
	// (replicated to replicas); BuiltinDatabase is skipped.
	Databases []string
	// IAMUsers are the service accounts that log in with IAM database
	// authentication, one per workload.
	IAMUsers []IAMUser
	// Protect sets Pulumi's protect option on every instance and
	// application database: the engine then refuses to delete or replace
	// them (pulumi state unprotect first). The program sets it for
	// production stacks.
	Protect bool
	// DependsOn must include the private services access connection: an
	// instance with a private IP cannot be created before the peering
	// exists (docs/gcp-limits.md#private-ip).
	DependsOn []pulumi.Resource
}

// InstanceArgs is the primary's configuration.
type InstanceArgs struct {
	Name         string
	Version      string // POSTGRES_15
	Edition      string // ENTERPRISE | ENTERPRISE_PLUS
	Tier         string
	Region       string
	Availability string // ZONAL | REGIONAL
	// MaxConnections is set explicitly as the max_connections flag: the
	// tier default (docs/gcp-limits.md#cloud-sql-max-connections) is what the incident ran out of.
	MaxConnections int
	// DiskSizeGb 0 leaves the size to Cloud SQL (autoresize on).
	DiskSizeGb int
	// DeletionProtection sets both deletionProtection (IaC level) and
	// settings.deletionProtectionEnabled (API level), docs/gcp-limits.md#cloud-sql-backups.
	DeletionProtection bool
	Backups            Backups
	Maintenance        Maintenance
	// Consumers are the instance's non-Cloud-Run clients, carried as user
	// labels so the policy pack counts them (contract.ConsumerLabelPrefix).
	Consumers []capacity.Consumer
}

// Backups are the primary's automated backups and PITR (docs/gcp-limits.md#cloud-sql-backups).
type Backups struct {
	Enabled             bool
	PointInTimeRecovery bool
	RetainedBackups     int
	LogRetentionDays    int
}

// Maintenance is the one-hour maintenance window (docs/gcp-limits.md#cloud-sql-backups).
type Maintenance struct {
	Day  int // 1–7, Monday = 1
	Hour int // 0–23 UTC
}

// ReplicaArgs is one cross-region read replica. It has its own tier and
// max_connections: PostgreSQL requires a hot standby's max_connections to
// be ≥ its primary's, and a promoted replica must carry the primary's load.
type ReplicaArgs struct {
	Name           string
	Region         string
	Tier           string
	MaxConnections int
	Availability   string
	Consumers      []capacity.Consumer // see InstanceArgs.Consumers
}

// IAMUser is one service account database user.
type IAMUser struct {
	// Workload names the user's workload (logical resource name).
	Workload string
	// Email is the service account e-mail. The database user name is the
	// e-mail without ".gserviceaccount.com" (Cloud SQL's rule for IAM
	// service-account users).
	Email pulumi.StringInput
}

// Database is the component.
type Database struct {
	pulumi.ResourceState

	Primary   *sql.DatabaseInstance
	Replicas  map[string]*sql.DatabaseInstance
	Users     map[string]*sql.User
	Databases map[string]*sql.Database

	primaryName string
}

// New creates the database component.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Database, error) {
	if args == nil {
		return nil, fmt.Errorf("database %q: args are nil", name)
	}
	if err := args.check(); err != nil {
		return nil, fmt.Errorf("database %q: %w", name, err)
	}
	d := &Database{
		Replicas:    map[string]*sql.DatabaseInstance{},
		Users:       map[string]*sql.User{},
		Databases:   map[string]*sql.Database{},
		primaryName: args.Primary.Name,
	}
	if err := ctx.RegisterComponentResource(Type, name, d, opts...); err != nil {
		return nil, fmt.Errorf("database %q: %w", name, err)
	}
	parent := pulumi.Parent(d)
	p := args.Primary
	project := pulumi.String(args.Project)

	primary, err := sql.NewDatabaseInstance(ctx, p.Name, &sql.DatabaseInstanceArgs{
		Project:            project,
		Name:               pulumi.String(p.Name),
		Region:             pulumi.String(p.Region),
		DatabaseVersion:    pulumi.String(p.Version),
		DeletionProtection: pulumi.Bool(p.DeletionProtection),
		Settings: &sql.DatabaseInstanceSettingsArgs{
			Tier:                      pulumi.String(p.Tier),
			Edition:                   pulumi.String(p.Edition),
			AvailabilityType:          pulumi.String(p.Availability),
			DeletionProtectionEnabled: pulumi.Bool(p.DeletionProtection),
			DiskType:                  pulumi.String("PD_SSD"),
			DiskSize:                  diskSize(p.DiskSizeGb),
			DiskAutoresize:            pulumi.Bool(true),
			DatabaseFlags:             Flags(p.MaxConnections),
			IpConfiguration:           privateOnly(args.PrivateNetwork),
			BackupConfiguration: &sql.DatabaseInstanceSettingsBackupConfigurationArgs{
				Enabled:                     pulumi.Bool(p.Backups.Enabled),
				PointInTimeRecoveryEnabled:  pulumi.Bool(p.Backups.PointInTimeRecovery),
				TransactionLogRetentionDays: pulumi.Int(p.Backups.LogRetentionDays),
				StartTime:                   pulumi.String(backupStart(p.Maintenance.Hour)),
				BackupRetentionSettings: &sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs{
					RetainedBackups: pulumi.Int(p.Backups.RetainedBackups),
					RetentionUnit:   pulumi.String("COUNT"),
				},
			},
			MaintenanceWindow: &sql.DatabaseInstanceSettingsMaintenanceWindowArgs{
				Day:         pulumi.Int(p.Maintenance.Day),
				Hour:        pulumi.Int(p.Maintenance.Hour),
				UpdateTrack: pulumi.String("stable"),
			},
			InsightsConfig: insights(),
			UserLabels:     userLabels("primary", p.Consumers),
		},
	}, parent, pulumi.DependsOn(args.DependsOn), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("database %q: primary %s: %w", name, p.Name, err)
	}
	d.Primary = primary

	for _, r := range args.Replicas {
		rep, err := sql.NewDatabaseInstance(ctx, r.Name, &sql.DatabaseInstanceArgs{
			Project:            project,
			Name:               pulumi.String(r.Name),
			Region:             pulumi.String(r.Region),
			DatabaseVersion:    pulumi.String(p.Version),
			MasterInstanceName: primary.Name,
			DeletionProtection: pulumi.Bool(p.DeletionProtection),
			Settings: &sql.DatabaseInstanceSettingsArgs{
				Tier:                      pulumi.String(r.Tier),
				Edition:                   pulumi.String(p.Edition),
				AvailabilityType:          pulumi.String(r.Availability),
				DeletionProtectionEnabled: pulumi.Bool(p.DeletionProtection),
				DiskType:                  pulumi.String("PD_SSD"),
				DiskSize:                  diskSize(p.DiskSizeGb),
				DiskAutoresize:            pulumi.Bool(true),
				DatabaseFlags:             Flags(r.MaxConnections),
				IpConfiguration:           privateOnly(args.PrivateNetwork),
				// A read replica has no backups of its own; PITR and
				// retention belong to the primary (docs/gcp-limits.md#cloud-sql-backups). Backups are
				// explicitly off so the provider does not diff.
				BackupConfiguration: &sql.DatabaseInstanceSettingsBackupConfigurationArgs{
					Enabled: pulumi.Bool(false),
				},
				MaintenanceWindow: &sql.DatabaseInstanceSettingsMaintenanceWindowArgs{
					Day:         pulumi.Int(p.Maintenance.Day),
					Hour:        pulumi.Int(p.Maintenance.Hour),
					UpdateTrack: pulumi.String("stable"),
				},
				InsightsConfig: insights(),
				UserLabels:     userLabels("replica", r.Consumers),
			},
		}, parent, pulumi.DependsOn(append(append([]pulumi.Resource{}, args.DependsOn...), primary)), pulumi.Protect(args.Protect))
		if err != nil {
			return nil, fmt.Errorf("database %q: replica %s: %w", name, r.Name, err)
		}
		d.Replicas[r.Name] = rep
	}

	for _, db := range uniq(args.Databases) {
		if db == BuiltinDatabase {
			continue
		}
		sdb, err := sql.NewDatabase(ctx, p.Name+"-"+db, &sql.DatabaseArgs{
			Project:  project,
			Name:     pulumi.String(db),
			Instance: primary.Name,
		}, parent, pulumi.Protect(args.Protect))
		if err != nil {
			return nil, fmt.Errorf("database %q: database %s: %w", name, db, err)
		}
		d.Databases[db] = sdb
	}

	for _, u := range args.IAMUsers {
		user, err := sql.NewUser(ctx, u.Workload+"-db-user", &sql.UserArgs{
			Project:  project,
			Instance: primary.Name,
			Name:     DBUserName(u.Email),
			Type:     pulumi.String(IAMUserType),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("database %q: user %s: %w", name, u.Workload, err)
		}
		d.Users[u.Workload] = user
	}

	conn := pulumi.StringMap{p.Name: primary.ConnectionName}
	ips := pulumi.StringMap{p.Name: primary.PrivateIpAddress}
	for n, r := range d.Replicas {
		conn[n] = r.ConnectionName
		ips[n] = r.PrivateIpAddress
	}
	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"connectionNames": conn,
		"privateIps":      ips,
	}); err != nil {
		return nil, fmt.Errorf("database %q: outputs: %w", name, err)
	}
	return d, nil
}

// Instance returns the instance with the given Cloud SQL name (the primary
// or a replica).
func (d *Database) Instance(name string) (*sql.DatabaseInstance, bool) {
	if name == d.primaryName {
		return d.Primary, true
	}
	r, ok := d.Replicas[name]
	return r, ok
}

// InstanceNames returns the primary's name then the replicas' (sorted).
func (d *Database) InstanceNames() []string {
	out := []string{d.primaryName}
	var reps []string
	for n := range d.Replicas {
		reps = append(reps, n)
	}
	sort.Strings(reps)
	return append(out, reps...)
}

// DBUserName is the Cloud SQL user name of an IAM service account: its
// e-mail without the ".gserviceaccount.com" suffix.
func DBUserName(email pulumi.StringInput) pulumi.StringOutput {
	return email.ToStringOutput().ApplyT(func(e string) string {
		return strings.TrimSuffix(e, ".gserviceaccount.com")
	}).(pulumi.StringOutput)
}

// FlagValues are the database flags every Headroom instance carries, in
// order, for a given max_connections:
//   - max_connections explicit: the tier's memory-derived default
//     (docs/gcp-limits.md#cloud-sql-max-connections) is implicit capacity the policy cannot see.
//   - cloudsql.iam_authentication=on: workloads log in as IAM service
//     accounts, no passwords in env.
//   - the CIS PostgreSQL logging set (contract.CISFlags, with the Checkov
//     check of each). log_connections also makes a slot-exhaustion storm
//     like incident 1278's
//     (docs/incident-1278.md) visible in Cloud Logging.
func FlagValues(maxConnections int) [][2]string {
	out := [][2]string{
		{"max_connections", strconv.Itoa(maxConnections)},
		{"cloudsql.iam_authentication", "on"},
	}
	for _, f := range contract.CISFlags() {
		out = append(out, [2]string{f.Name, f.Value})
	}
	return out
}

// Flags is FlagValues as provider input.
func Flags(maxConnections int) sql.DatabaseInstanceSettingsDatabaseFlagArray {
	var out sql.DatabaseInstanceSettingsDatabaseFlagArray
	for _, f := range FlagValues(maxConnections) {
		out = append(out, sql.DatabaseInstanceSettingsDatabaseFlagArgs{
			Name: pulumi.String(f[0]), Value: pulumi.String(f[1]),
		})
	}
	return out
}

// privateOnly is the ipConfiguration of every instance: no public IPv4, no
// authorized networks, TLS required (sslMode ENCRYPTED_ONLY), private IP in
// the given VPC.
func privateOnly(network pulumi.StringInput) *sql.DatabaseInstanceSettingsIpConfigurationArgs {
	return &sql.DatabaseInstanceSettingsIpConfigurationArgs{
		Ipv4Enabled:        pulumi.Bool(false),
		PrivateNetwork:     network,
		SslMode:            pulumi.String("ENCRYPTED_ONLY"),
		AuthorizedNetworks: sql.DatabaseInstanceSettingsIpConfigurationAuthorizedNetworkArray{},
	}
}

func insights() *sql.DatabaseInstanceSettingsInsightsConfigArgs {
	return &sql.DatabaseInstanceSettingsInsightsConfigArgs{
		QueryInsightsEnabled:  pulumi.Bool(true),
		QueryStringLength:     pulumi.Int(1024),
		RecordApplicationTags: pulumi.Bool(true),
		// Client addresses are Cloud Run instance IPs: noise, not signal.
		RecordClientAddress: pulumi.Bool(false),
	}
}

func diskSize(gb int) pulumi.IntPtrInput {
	if gb <= 0 {
		return nil
	}
	return pulumi.Int(gb)
}

// backupStart puts the daily backup (a 4-hour window, docs/gcp-limits.md#cloud-sql-backups) three hours
// before the maintenance hour so the two do not start together.
func backupStart(maintenanceHour int) string {
	return fmt.Sprintf("%02d:00", ((maintenanceHour-3)%24+24)%24)
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func (a *Args) check() error {
	if a.Project == "" {
		return fmt.Errorf("project is empty")
	}
	p := a.Primary
	if p.Name == "" || p.Region == "" || p.Tier == "" || p.Version == "" {
		return fmt.Errorf("primary: name, region, tier and version are required")
	}
	if p.MaxConnections <= 0 {
		return fmt.Errorf("primary %s: maxConnections must be set explicitly, got %d", p.Name, p.MaxConnections)
	}
	if a.PrivateNetwork == nil {
		return fmt.Errorf("privateNetwork is required (private IP only)")
	}
	seen := map[string]bool{p.Name: true}
	for _, r := range a.Replicas {
		if seen[r.Name] {
			return fmt.Errorf("replica %s: duplicate instance name", r.Name)
		}
		seen[r.Name] = true
		if r.Region == p.Region {
			return fmt.Errorf("replica %s: region %s is the primary's; replicas are cross-region", r.Name, r.Region)
		}
		// PostgreSQL refuses to start a hot standby whose max_connections
		// is below the primary's.
		if r.MaxConnections < p.MaxConnections {
			return fmt.Errorf("replica %s: maxConnections %d is below the primary's %d", r.Name, r.MaxConnections, p.MaxConnections)
		}
	}
	return nil
}

// userLabels are an instance's labels: who manages it, its role, and one
// label per non-Cloud-Run consumer.
func userLabels(role string, consumers []capacity.Consumer) pulumi.StringMap {
	m := pulumi.StringMap{contract.LabelManagedBy: pulumi.String(contract.ManagedBy), "role": pulumi.String(role)}
	for k, v := range contract.ConsumerLabels(consumers) {
		m[k] = pulumi.String(v)
	}
	return m
}
