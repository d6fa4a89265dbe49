// Package probejob declares the storm probe as a Cloud Run job (opt-in,
// headroom:probe): one job per region of the probed workload, whose tasks
// each play one starting instance of it — `headroom probe task` with the
// workload's startup connections, connect timeout and the stack's retry
// backoff — over the same VPC egress (connector or Direct VPC egress),
// under the workload's own service account, so it logs in as the same IAM
// database user. Executions are started by hand (gcloud run jobs execute);
// `headroom probe merge` judges their lines (docs/probe.md).
package probejob

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
	"github.com/headroom-dev/headroom/infra/workloads"
)

// Type is the component's type token.
const Type = "headroom:probe:ProbeJobs"

// LabelProbe marks the jobs (value: the probed workload).
const LabelProbe = "headroom-probe"

// taskMarginSeconds is added to the connect timeout for a task's timeout:
// process start and the final report, not part of the storm.
const taskMarginSeconds = 60

// Args configure the jobs.
type Args struct {
	Project string
	Image   string
	// Workload is the probed workload (its regions, pool contract, probe).
	Workload config.Workload
	// TaskCount and Parallelism per job (config defaults applied).
	TaskCount, Parallelism int
	// Egress per region, from the network (the workloads' own path).
	Egress map[string]network.Egress
	// ServiceAccount is the workload's service account e-mail.
	ServiceAccount pulumi.StringOutput
	// PrivateIP and ConnectionName of the workload's target instance.
	PrivateIP      pulumi.StringInput
	ConnectionName pulumi.StringInput
	// Assumptions (retry backoff) and Targets of the stack, defaults applied
	// by New.
	Assumptions capacity.Assumptions
	Targets     capacity.Targets
	DependsOn   []pulumi.Resource
}

// ProbeJobs is the component.
type ProbeJobs struct {
	pulumi.ResourceState
	// Jobs by region.
	Jobs map[string]*cloudrunv2.Job
}

// JobName is the job of a workload in a region.
func JobName(workload, region string) string { return contract.ProbeJobName(workload, region) }

// TaskArgs are the container arguments of every task: the workload's
// startup connections per instance, connect timeout, the stack's retry
// backoff and targets.
func (a *Args) TaskArgs(egress string) []string {
	as, tg := a.Assumptions.WithDefaults(), a.Targets.WithDefaults()
	w := a.Workload
	conns := capacity.Workload{
		Processes: w.Processes, ExtraPools: w.CapacityPools(), StartupConnections: w.DB.StartupConnections,
	}.StartupConnectionsPerInstance()
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	return []string{
		"probe", "task", "--iam-auth", "--i-know-this-is-not-production",
		"--egress", egress,
		"--startup-connections", strconv.Itoa(max(conns, 1)),
		"--connect-timeout", f(w.DB.ConnectTimeoutSeconds) + "s",
		"--retry-initial", f(as.RetryInitialSeconds) + "s",
		"--retry-max", f(as.RetryMaxSeconds) + "s",
		"--retry-multiplier", f(as.RetryMultiplier),
		"--target-success-rate", f(tg.StartupSuccessRate),
		"--target-connect-p99", f(tg.ConnectP99Seconds) + "s",
	}
}

// New declares one job per region of the workload.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*ProbeJobs, error) {
	if args == nil || args.Project == "" || args.Image == "" {
		return nil, fmt.Errorf("probe jobs %q: project and image are required", name)
	}
	if args.TaskCount < 1 || args.Parallelism < 1 || args.Parallelism > args.TaskCount {
		return nil, fmt.Errorf("probe jobs %q: task count %d and parallelism %d: want 1 ≤ parallelism ≤ task count", name, args.TaskCount, args.Parallelism)
	}
	p := &ProbeJobs{Jobs: map[string]*cloudrunv2.Job{}}
	if err := ctx.RegisterComponentResource(Type, name, p, opts...); err != nil {
		return nil, fmt.Errorf("probe jobs %q: %w", name, err)
	}
	w := args.Workload
	dbUser := args.ServiceAccount.ApplyT(func(e string) string {
		const suffix = ".gserviceaccount.com"
		if len(e) > len(suffix) && e[len(e)-len(suffix):] == suffix {
			return e[:len(e)-len(suffix)]
		}
		return e
	}).(pulumi.StringOutput)
	regions := append([]string{}, w.Regions...)
	sort.Strings(regions)
	for _, region := range regions {
		eg, ok := args.Egress[region]
		if !ok {
			return nil, fmt.Errorf("probe jobs %q: region %s has no VPC egress", name, region)
		}
		vpc := &cloudrunv2.JobTemplateTemplateVpcAccessArgs{Egress: pulumi.String(workloads.EgressPrivateRangesOnly)}
		if eg.Mode == network.EgressDirect {
			vpc.NetworkInterfaces = cloudrunv2.JobTemplateTemplateVpcAccessNetworkInterfaceArray{
				&cloudrunv2.JobTemplateTemplateVpcAccessNetworkInterfaceArgs{Network: eg.Network, Subnetwork: eg.Subnetwork},
			}
		} else {
			vpc.Connector = eg.Connector
		}
		env := func(k string, v pulumi.StringInput) *cloudrunv2.JobTemplateTemplateContainerEnvArgs {
			return &cloudrunv2.JobTemplateTemplateContainerEnvArgs{Name: pulumi.String(k), Value: v}
		}
		jn := JobName(w.Name, region)
		job, err := cloudrunv2.NewJob(ctx, jn, &cloudrunv2.JobArgs{
			Project:  pulumi.String(args.Project),
			Name:     pulumi.String(jn),
			Location: pulumi.String(region),
			Labels: pulumi.StringMap{
				LabelProbe:               pulumi.String(w.Name),
				workloads.LabelManagedBy: pulumi.String(workloads.ManagedBy),
			},
			Template: &cloudrunv2.JobTemplateArgs{
				TaskCount:   pulumi.Int(args.TaskCount),
				Parallelism: pulumi.Int(args.Parallelism),
				Template: &cloudrunv2.JobTemplateTemplateArgs{
					ServiceAccount: args.ServiceAccount,
					MaxRetries:     pulumi.Int(0), // a retried task would be a second instance start
					Timeout:        pulumi.String(strconv.Itoa(int(w.DB.ConnectTimeoutSeconds)+taskMarginSeconds) + "s"),
					VpcAccess:      vpc,
					Containers: cloudrunv2.JobTemplateTemplateContainerArray{
						&cloudrunv2.JobTemplateTemplateContainerArgs{
							Name:  pulumi.String("probe"),
							Image: pulumi.String(args.Image),
							Args:  pulumi.ToStringArray(args.TaskArgs(eg.Mode)),
							Envs: cloudrunv2.JobTemplateTemplateContainerEnvArray{
								env(workloads.EnvDBHost, args.PrivateIP),
								env(workloads.EnvDBName, pulumi.String(w.DB.Database)),
								env(workloads.EnvDBUser, dbUser),
								env(workloads.EnvDBInstance, args.ConnectionName),
							},
						},
					},
				},
			},
		}, pulumi.Parent(p), pulumi.DependsOn(args.DependsOn))
		if err != nil {
			return nil, fmt.Errorf("probe jobs %q: job %s: %w", name, jn, err)
		}
		p.Jobs[region] = job
	}
	if err := ctx.RegisterResourceOutputs(p, pulumi.Map{}); err != nil {
		return nil, fmt.Errorf("probe jobs %q: outputs: %w", name, err)
	}
	return p, nil
}
