// Package workloads is the Cloud Run side of Headroom's path: per workload
// a service account with the Cloud SQL roles (identities.go) and per
// workload × region a Cloud Run v2 service that reaches its database's
// private IP through the region's VPC egress, with the database contract
// (DB_*) as container environment.
package workloads

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/cloudrunv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/network"
)

// Type is the services component's type token.
const Type = "headroom:workloads:Workloads"

// Labels and annotations the capacity model and the policy pack read
// (docs/architecture.md).
const (
	LabelWorkload           = contract.LabelWorkload
	LabelManagedBy          = contract.LabelManagedBy
	ManagedBy               = contract.ManagedBy
	AnnotationEgressMbps    = contract.AnnotationEgressMbps
	EgressPrivateRangesOnly = "PRIVATE_RANGES_ONLY"
	ContainerPort           = 8080
	ImageIgnorePath         = "template.containers[0].image"
)

// Env contract names (docs/architecture.md).
const (
	EnvDBHost               = contract.EnvDBHost
	EnvDBName               = contract.EnvDBName
	EnvDBUser               = contract.EnvDBUser
	EnvDBPoolSize           = contract.EnvDBPoolSize
	EnvDBMaxOverflow        = contract.EnvDBMaxOverflow
	EnvDBStartupConnections = contract.EnvDBStartupConnections
	EnvDBConnectTimeout     = contract.EnvDBConnectTimeout
	EnvDBInstance           = contract.EnvDBInstance
)

// Args configure the services.
type Args struct {
	Project string
	// Workloads, each with the database instance it targets.
	Workloads []Workload
	// Egress is the VPC egress path per region (from the network).
	Egress map[string]network.Egress
	// Identities hold each workload's service account.
	Identities *Identities
	// DBUsers are the workloads' IAM database users: a service must not
	// start before its login exists.
	DBUsers map[string]pulumi.Resource
	// DependsOn should include the Cloud Run API.
	DependsOn []pulumi.Resource
}

// Workload is one workload's configuration plus its resolved target.
type Workload struct {
	config.Workload
	Target Target
}

// Target is the Cloud SQL instance a workload connects to.
type Target struct {
	// Instance is the Cloud SQL instance name.
	Instance string
	// PrivateIP becomes DB_HOST.
	PrivateIP pulumi.StringInput
	// ConnectionName ("project:region:instance") becomes DB_INSTANCE.
	ConnectionName pulumi.StringInput
}

// Workloads is the component.
type Workloads struct {
	pulumi.ResourceState

	// Services by service name ("<workload>-<region>").
	Services map[string]*cloudrunv2.Service
}

// New creates one Cloud Run v2 service per workload × region.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Workloads, error) {
	if args == nil || args.Project == "" || args.Identities == nil {
		return nil, fmt.Errorf("workloads %q: project and identities are required", name)
	}
	w := &Workloads{Services: map[string]*cloudrunv2.Service{}}
	if err := ctx.RegisterComponentResource(Type, name, w, opts...); err != nil {
		return nil, fmt.Errorf("workloads %q: %w", name, err)
	}
	for _, wl := range args.Workloads {
		email, ok := args.Identities.Email(wl.Name)
		if !ok {
			return nil, fmt.Errorf("workloads %q: workload %s has no service account", name, wl.Name)
		}
		if wl.Target.PrivateIP == nil || wl.Target.ConnectionName == nil {
			return nil, fmt.Errorf("workloads %q: workload %s has no database target", name, wl.Name)
		}
		deps := append([]pulumi.Resource{}, args.DependsOn...)
		for _, m := range args.Identities.Members[wl.Name] {
			deps = append(deps, m)
		}
		if u, ok := args.DBUsers[wl.Name]; ok && u != nil {
			deps = append(deps, u)
		}
		for _, region := range wl.Regions {
			eg, ok := args.Egress[region]
			if !ok {
				return nil, fmt.Errorf("workloads %q: workload %s: region %s has no VPC egress", name, wl.Name, region)
			}
			svcName := contract.ServiceName(wl.Name, region)
			if _, dup := w.Services[svcName]; dup {
				return nil, fmt.Errorf("workloads %q: service %s declared twice", name, svcName)
			}
			ropts := []pulumi.ResourceOption{pulumi.Parent(w), pulumi.DependsOn(deps)}
			if wl.IgnoreImageChanges {
				// The application pipeline ships images; `pulumi up` must not
				// roll them back to the config's image.
				ropts = append(ropts, pulumi.IgnoreChanges([]string{ImageIgnorePath}))
			}
			svc, err := cloudrunv2.NewService(ctx, svcName, serviceArgs(args.Project, wl, region, svcName, email, eg), ropts...)
			if err != nil {
				return nil, fmt.Errorf("workloads %q: service %s: %w", name, svcName, err)
			}
			w.Services[svcName] = svc
		}
	}
	urls := pulumi.StringMap{}
	for n, s := range w.Services {
		urls[n] = s.Uri
	}
	if err := ctx.RegisterResourceOutputs(w, pulumi.Map{"serviceUrls": urls}); err != nil {
		return nil, fmt.Errorf("workloads %q: outputs: %w", name, err)
	}
	return w, nil
}

// ServiceNames returns the services' names, sorted.
func (w *Workloads) ServiceNames() []string {
	out := make([]string, 0, len(w.Services))
	for n := range w.Services {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func serviceArgs(project string, wl Workload, region, svcName string, email pulumi.StringOutput, eg network.Egress) *cloudrunv2.ServiceArgs {
	db := wl.DB
	env := cloudrunv2.ServiceTemplateContainerEnvArray{
		envVar(EnvDBHost, wl.Target.PrivateIP),
		envVar(EnvDBName, pulumi.String(db.Database)),
		envVar(EnvDBUser, trimSA(email)),
		envVar(EnvDBPoolSize, pulumi.String(strconv.Itoa(db.PoolSize))),
		envVar(EnvDBMaxOverflow, pulumi.String(strconv.Itoa(db.MaxOverflow))),
		envVar(EnvDBStartupConnections, pulumi.String(strconv.Itoa(db.StartupConnections))),
		envVar(EnvDBConnectTimeout, pulumi.String(formatFloat(db.ConnectTimeoutSeconds))),
		envVar(EnvDBInstance, wl.Target.ConnectionName),
		envVar(contract.EnvDBProcesses, pulumi.String(strconv.Itoa(max(wl.Processes, 1)))),
	}
	if pools := contract.EncodeExtraPools(wl.CapacityPools()); pools != "" {
		env = append(env, envVar(contract.EnvDBExtraPools, pulumi.String(pools)))
	}

	resources := &cloudrunv2.ServiceTemplateContainerResourcesArgs{
		// Startup CPU boost shortens the cold start the incident was about
		// (docs/gcp-limits.md#cloud-run).
		StartupCpuBoost: pulumi.Bool(true),
	}
	limits := pulumi.StringMap{}
	if wl.CPU != "" {
		limits["cpu"] = pulumi.String(wl.CPU)
	}
	if wl.Memory != "" {
		limits["memory"] = pulumi.String(wl.Memory)
	}
	if len(limits) > 0 {
		resources.Limits = limits
	}

	return &cloudrunv2.ServiceArgs{
		Project:  pulumi.String(project),
		Name:     pulumi.String(svcName),
		Location: pulumi.String(region),
		Ingress:  pulumi.String("INGRESS_TRAFFIC_ALL"),
		Labels: pulumi.StringMap{
			LabelWorkload:  pulumi.String(wl.Name),
			LabelManagedBy: pulumi.String(ManagedBy),
		},
		Annotations: pulumi.StringMap{
			AnnotationEgressMbps:           pulumi.String(formatFloat(wl.EgressMbpsPerInstance)),
			contract.AnnotationDeployStyle: pulumi.String(deployStyle(wl.Deploy.Style)),
		},
		Template: &cloudrunv2.ServiceTemplateArgs{
			ServiceAccount: email,
			Scaling: &cloudrunv2.ServiceTemplateScalingArgs{
				MinInstanceCount: pulumi.Int(wl.MinInstances),
				MaxInstanceCount: pulumi.Int(wl.MaxInstances),
			},
			MaxInstanceRequestConcurrency: pulumi.Int(wl.Concurrency),
			VpcAccess:                     vpcAccess(eg),
			Containers: cloudrunv2.ServiceTemplateContainerArray{
				&cloudrunv2.ServiceTemplateContainerArgs{
					Name:         pulumi.String("app"),
					Image:        pulumi.String(wl.Image),
					Ports:        cloudrunv2.ServiceTemplateContainerPortArray{&cloudrunv2.ServiceTemplateContainerPortArgs{ContainerPort: pulumi.Int(ContainerPort)}},
					Resources:    resources,
					Envs:         env,
					StartupProbe: startupProbe(wl.StartupProbe),
				},
			},
		},
	}
}

// vpcAccess routes only private ranges through the VPC: the database is a
// private IP; public egress stays direct (PRIVATE_RANGES_ONLY).
func vpcAccess(eg network.Egress) *cloudrunv2.ServiceTemplateVpcAccessArgs {
	if eg.Mode == network.EgressDirect {
		return &cloudrunv2.ServiceTemplateVpcAccessArgs{
			Egress: pulumi.String(EgressPrivateRangesOnly),
			NetworkInterfaces: cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArray{
				&cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs{
					Network:    eg.Network,
					Subnetwork: eg.Subnetwork,
				},
			},
		}
	}
	return &cloudrunv2.ServiceTemplateVpcAccessArgs{
		Connector: eg.Connector,
		Egress:    pulumi.String(EgressPrivateRangesOnly),
	}
}

// startupProbe is a TCP probe on the container port, or an HTTP probe when a
// path is configured (Direct VPC egress: Google recommends an HTTP probe
// that tests the egress destination, docs/gcp-limits.md#direct-vpc-egress).
func startupProbe(p config.StartupProbe) *cloudrunv2.ServiceTemplateContainerStartupProbeArgs {
	args := &cloudrunv2.ServiceTemplateContainerStartupProbeArgs{
		InitialDelaySeconds: pulumi.Int(p.InitialDelaySeconds),
		PeriodSeconds:       pulumi.Int(p.PeriodSeconds),
		TimeoutSeconds:      pulumi.Int(p.TimeoutSeconds),
		FailureThreshold:    pulumi.Int(p.FailureThreshold),
	}
	if p.Path != "" {
		args.HttpGet = &cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs{
			Path: pulumi.String(p.Path),
			Port: pulumi.Int(ContainerPort),
		}
	} else {
		args.TcpSocket = &cloudrunv2.ServiceTemplateContainerStartupProbeTcpSocketArgs{
			Port: pulumi.Int(ContainerPort),
		}
	}
	return args
}

func envVar(name string, v pulumi.StringInput) *cloudrunv2.ServiceTemplateContainerEnvArgs {
	return &cloudrunv2.ServiceTemplateContainerEnvArgs{Name: pulumi.String(name), Value: v}
}

// trimSA is the IAM database user name of a service account e-mail
// (the e-mail without ".gserviceaccount.com").
func trimSA(email pulumi.StringOutput) pulumi.StringOutput {
	return email.ApplyT(func(e string) string {
		const suffix = ".gserviceaccount.com"
		if len(e) > len(suffix) && e[len(e)-len(suffix):] == suffix {
			return e[:len(e)-len(suffix)]
		}
		return e
	}).(pulumi.StringOutput)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// deployStyle is the workload's deploy style as the pack reads it (the
// config fills the default; a hand-built config may leave it empty).
func deployStyle(s string) string {
	if s == "" {
		return string(capacity.DeployLatest)
	}
	return s
}
