// Package infra composes Headroom's components into the Pulumi program:
// config → network → identities → database → workloads, plus the stack
// outputs. main.go only calls pulumi.Run(infra.Program).
package infra

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/database"
	"github.com/headroom-dev/headroom/infra/monitoring"
	"github.com/headroom-dev/headroom/infra/network"
	"github.com/headroom-dev/headroom/infra/probejob"
	"github.com/headroom-dev/headroom/infra/workloads"
)

// ProjectName is the Pulumi project name (Pulumi.yaml `name:`); it is part
// of every URN.
const ProjectName = "headroom"

// Stack output names.
const (
	OutputConnectionNames = "connectionNames" // instance → "project:region:instance"
	OutputPrivateIPs      = "privateIps"      // instance → private IP
	OutputConnectorIDs    = "connectorIds"    // region → connector id
	OutputServiceURLs     = "serviceUrls"     // service → https URL
	OutputNetworkID       = "networkId"
	OutputServiceAccounts = "serviceAccounts" // workload → e-mail
)

// Program is the Pulumi program: it reads the stack's typed configuration
// from Pulumi config (headroom:*, gcp:project) and deploys it. A bad config
// is an error naming the key, never a panic.
func Program(ctx *pulumi.Context) error {
	st, err := config.FromPulumi(ctx)
	if err != nil {
		return err
	}
	_, err = Deploy(ctx, st)
	return err
}

// Deployment is everything Deploy declared.
type Deployment struct {
	Network    *network.Network
	Identities *workloads.Identities
	Database   *database.Database
	Workloads  *workloads.Workloads
	// Monitoring is nil when headroom:monitoring.enabled is false.
	Monitoring *monitoring.Monitoring
	// Probe is nil unless headroom:probe.enabled is true.
	Probe *probejob.ProbeJobs
}

// Deploy declares a stack's resources from a validated config.Stack.
func Deploy(ctx *pulumi.Context, st config.Stack) (*Deployment, error) {
	if st.Project == "" {
		return nil, fmt.Errorf("gcp:project: required (the GCP project id)")
	}
	net, err := network.New(ctx, st.Network.Name, NetworkArgs(st))
	if err != nil {
		return nil, err
	}

	names := make([]string, 0, len(st.Workloads))
	extraRoles := map[string][]string{}
	for _, w := range st.Workloads {
		names = append(names, w.Name)
		extraRoles[w.Name] = w.ServiceAccountRoles
	}
	ids, err := workloads.NewIdentities(ctx, "identities", &workloads.IdentitiesArgs{
		Project:    st.Project,
		Workloads:  names,
		DependsOn:  []pulumi.Resource{net.APIs[network.APIIAM]},
		ExtraRoles: extraRoles,
	})
	if err != nil {
		return nil, err
	}

	dbArgs := DatabaseArgs(st)
	dbArgs.PrivateNetwork = net.NetworkID
	dbArgs.DependsOn = []pulumi.Resource{net.PSA, net.APIs[network.APISQLAdmin]}
	for _, w := range st.Workloads {
		email, _ := ids.Email(w.Name)
		dbArgs.IAMUsers = append(dbArgs.IAMUsers, database.IAMUser{Workload: w.Name, Email: email})
	}
	db, err := database.New(ctx, st.Database.Name, dbArgs)
	if err != nil {
		return nil, err
	}

	wargs := &workloads.Args{
		Project:    st.Project,
		Egress:     map[string]network.Egress{},
		Identities: ids,
		DBUsers:    map[string]pulumi.Resource{},
		DependsOn:  []pulumi.Resource{net.APIs[network.APIRun]},
		// Values set with `pulumi config set --secret` stay secrets in
		// state and outputs.
		SecretConfig: st.IsSecret(config.Namespace + ":workloads"),
	}
	for _, r := range st.SortedRegions() {
		if e, ok := net.Egress(r); ok {
			wargs.Egress[r] = e
		}
	}
	for i, w := range st.Workloads {
		target := st.TargetInstance(w)
		inst, ok := db.Instance(target)
		if !ok {
			return nil, fmt.Errorf("headroom:workloads[%d].db.target: %q is neither \"primary\" nor a replica name", i, w.DB.Target)
		}
		region := st.Database.Region
		if r, ok := st.Replica(target); ok {
			region = r.Region
		}
		wargs.Workloads = append(wargs.Workloads, workloads.Workload{
			Workload: w,
			Target: workloads.Target{
				Instance:  target,
				PrivateIP: inst.PrivateIpAddress,
				// Cloud SQL's connection name is "<project>:<region>:<instance>";
				// built from config, not from the instance's output, so
				// DB_INSTANCE names the target even in a preview of a new stack,
				// where connectionName and privateIpAddress are still unknown
				// (docs/architecture.md, env contract).
				ConnectionName: pulumi.String(st.Project + ":" + region + ":" + target),
			},
		})
		if u, ok := db.Users[w.Name]; ok {
			wargs.DBUsers[w.Name] = u
		}
	}
	wl, err := workloads.New(ctx, "workloads", wargs)
	if err != nil {
		return nil, err
	}

	var probes *probejob.ProbeJobs
	if pw, pc, ok := st.ProbeWorkload(); ok {
		var target workloads.Target
		for _, x := range wargs.Workloads {
			if x.Name == pw.Name {
				target = x.Target
			}
		}
		email, _ := ids.Email(pw.Name)
		deps := []pulumi.Resource{net.APIs[network.APIRun]}
		for _, m := range ids.Members[pw.Name] {
			deps = append(deps, m)
		}
		if u, ok := db.Users[pw.Name]; ok {
			deps = append(deps, u)
		}
		probes, err = probejob.New(ctx, "probe", &probejob.Args{
			Project: st.Project, Image: pc.Image, Workload: pw,
			TaskCount: pc.TaskCount, Parallelism: pc.Parallelism,
			Egress: wargs.Egress, ServiceAccount: email,
			PrivateIP: target.PrivateIP, ConnectionName: target.ConnectionName,
			Assumptions: st.CapacityAssumptions(), Targets: st.CapacityTargets(),
			DependsOn: deps,
		})
		if err != nil {
			return nil, err
		}
	}

	var mon *monitoring.Monitoring
	if st.Monitoring.IsEnabled() {
		mon, err = monitoring.New(ctx, "monitoring", MonitoringArgs(st, wl))
		if err != nil {
			return nil, err
		}
	}

	conn, ips := pulumi.StringMap{}, pulumi.StringMap{}
	for _, n := range db.InstanceNames() {
		inst, _ := db.Instance(n)
		conn[n] = inst.ConnectionName
		ips[n] = inst.PrivateIpAddress
	}
	connectors := pulumi.StringMap{}
	for r, c := range net.Connectors {
		connectors[r] = c.ID().ToStringOutput()
	}
	urls := pulumi.StringMap{}
	for n, s := range wl.Services {
		urls[n] = s.Uri
	}
	emails := pulumi.StringMap{}
	for w, a := range ids.Accounts {
		emails[w] = a.Email
	}
	ctx.Export(OutputConnectionNames, conn)
	ctx.Export(OutputPrivateIPs, ips)
	ctx.Export(OutputConnectorIDs, connectors)
	ctx.Export(OutputServiceURLs, urls)
	ctx.Export(OutputNetworkID, net.NetworkID)
	ctx.Export(OutputServiceAccounts, emails)
	if err := exportCapacity(ctx, st, db); err != nil {
		return nil, err
	}

	return &Deployment{Network: net, Identities: ids, Database: db, Workloads: wl, Monitoring: mon, Probe: probes}, nil
}

// MonitoringArgs maps the stack config to the monitoring component's args:
// every threshold is the capacity model's number for the topology Deploy
// declares (capacity.AlertThresholds of Topology(st)).
func MonitoringArgs(st config.Stack, wl *workloads.Workloads) *monitoring.Args {
	a := &monitoring.Args{
		Project:              st.Project,
		Stack:                st.Name,
		Thresholds:           capacity.AlertThresholds(Topology(st)),
		NotificationChannels: st.Monitoring.NotificationChannels,
	}
	if wl != nil {
		// The services themselves, not their component: a dependency on a
		// component is expanded to whichever children are registered at
		// the time, which would make the recorded graph order racy.
		a.Watched = make(map[string]pulumi.Resource, len(wl.Services))
		for _, n := range wl.ServiceNames() {
			a.Watched[n] = wl.Services[n]
		}
	}
	return a
}

// NetworkArgs maps the stack config to the network component's args.
func NetworkArgs(st config.Stack) *network.Args {
	a := &network.Args{
		Project:                   st.Project,
		Name:                      st.Network.Name,
		PrivateServiceAccessRange: st.Network.PrivateServiceAccessRange,
		Regions:                   map[string]network.RegionArgs{},
	}
	for r, rc := range st.Network.Regions {
		ra := network.RegionArgs{Subnet: rc.Subnet, Egress: rc.Egress}
		if rc.Connector != nil {
			ra.Connector = &network.ConnectorArgs{
				Name:         rc.Connector.Name,
				IPCIDRRange:  rc.Connector.IPCIDRRange,
				MachineType:  rc.Connector.MachineType,
				MinInstances: rc.Connector.MinInstances,
				MaxInstances: rc.Connector.MaxInstances,
			}
		}
		if rc.Direct != nil {
			ra.DirectSubnet = rc.Direct.Subnet
		}
		a.Regions[r] = ra
	}
	return a
}

// DatabaseArgs maps the stack config to the database component's args
// (without the network inputs and users, which Deploy adds).
func DatabaseArgs(st config.Stack) *database.Args {
	d := st.Database
	protect := true
	if d.DeletionProtection != nil {
		protect = *d.DeletionProtection
	}
	a := &database.Args{
		Project: st.Project,
		// Production databases carry Pulumi's protect option besides
		// both deletion protections: a replacement or deletion stops in
		// the engine even if every other check was bypassed.
		Protect: st.Environment == string(capacity.EnvProduction),
		Primary: database.InstanceArgs{
			Name:               d.Name,
			Version:            d.Version,
			Edition:            d.Edition,
			Tier:               d.Tier,
			Region:             d.Region,
			Availability:       d.Availability,
			MaxConnections:     d.MaxConnections,
			DiskSizeGb:         d.DiskSizeGb,
			DeletionProtection: protect,
			Backups: database.Backups{
				Enabled:             d.Backups.Enabled,
				PointInTimeRecovery: d.Backups.PointInTimeRecovery,
				RetainedBackups:     d.Backups.RetainedBackups,
				LogRetentionDays:    d.Backups.LogRetentionDays,
			},
			Maintenance: database.Maintenance{Day: d.MaintenanceWindow.Day, Hour: d.MaintenanceWindow.Hour},
			Consumers:   st.ConsumersOf(config.PrimaryTarget),
		},
	}
	for _, r := range d.Replicas {
		a.Replicas = append(a.Replicas, database.ReplicaArgs{
			Name: r.Name, Region: r.Region, Tier: r.Tier, MaxConnections: r.MaxConnections, Availability: r.Availability,
			Consumers: st.ConsumersOf(r.Name),
		})
	}
	for _, w := range st.Workloads {
		a.Databases = append(a.Databases, w.DB.Database)
	}
	return a
}
