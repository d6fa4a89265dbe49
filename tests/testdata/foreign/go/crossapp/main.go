// An app stack of an organisation whose database lives in a platform
// stack (Headroom's program): the service reaches the platform's instance
// by the private IP the platform exports, read through a StackReference,
// and the stack exports its own demand in the platform's cross-stack
// schema (docs/cli.md "Budget across stacks") for the platform to
// republish. Headroom's pack judges its preview against what the other
// stacks hold (tests/e2e).
package main

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/cloudrunv2"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/vpcaccess"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		platform := cfg.Require("platform")
		connectionLimit := cfg.RequireInt("connectionLimit")
		maxInstances := cfg.RequireInt("maxInstances")
		cidr := cfg.Require("connectorRange")
		region := "us-central1"

		ref, err := pulumi.NewStackReference(ctx, platform, &pulumi.StackReferenceArgs{Name: pulumi.String(platform)})
		if err != nil {
			return err
		}
		// The platform's instance and its private IP (its only instance).
		db := ref.GetOutput(pulumi.String("privateIps")).ApplyT(func(v any) ([]string, error) {
			ips, ok := v.(map[string]any)
			if !ok || len(ips) == 0 {
				return nil, fmt.Errorf("stack %s exports no privateIps", platform)
			}
			names := make([]string, 0, len(ips))
			for n := range ips {
				names = append(names, n)
			}
			sort.Strings(names)
			return []string{names[0], fmt.Sprint(ips[names[0]])}, nil
		}).(pulumi.StringArrayOutput)

		network, err := compute.NewNetwork(ctx, "vpc", &compute.NetworkArgs{AutoCreateSubnetworks: pulumi.Bool(false)})
		if err != nil {
			return err
		}
		connector, err := vpcaccess.NewConnector(ctx, "conn", &vpcaccess.ConnectorArgs{
			Region: pulumi.String(region), Network: network.Name, IpCidrRange: pulumi.String(cidr),
			MachineType: pulumi.String("e2-standard-4"), MinInstances: pulumi.Int(3), MaxInstances: pulumi.Int(10),
		})
		if err != nil {
			return err
		}
		_, err = cloudrunv2.NewService(ctx, "api", &cloudrunv2.ServiceArgs{
			Location: pulumi.String(region),
			Ingress:  pulumi.String("INGRESS_TRAFFIC_INTERNAL_ONLY"),
			Template: &cloudrunv2.ServiceTemplateArgs{
				Scaling:   &cloudrunv2.ServiceTemplateScalingArgs{MaxInstanceCount: pulumi.Int(maxInstances)},
				VpcAccess: &cloudrunv2.ServiceTemplateVpcAccessArgs{Connector: connector.ID(), Egress: pulumi.String("PRIVATE_RANGES_ONLY")},
				Containers: cloudrunv2.ServiceTemplateContainerArray{&cloudrunv2.ServiceTemplateContainerArgs{
					Image: pulumi.String("us-docker.pkg.dev/acme-artifacts/apps/orders-api:2.3.1"),
					Envs: cloudrunv2.ServiceTemplateContainerEnvArray{
						&cloudrunv2.ServiceTemplateContainerEnvArgs{Name: pulumi.String("DATABASE_URL"),
							Value: pulumi.Sprintf("postgresql://app@%s:5432/orders?connection_limit=%d", db.Index(pulumi.Int(1)), connectionLimit)},
					},
				}},
			},
		})
		if err != nil {
			return err
		}
		// The stack's headroomCapacity: the platform's export (its
		// databases and the demand the other stacks hold), with this
		// stack's own entry in place of the platform's copy. The policy
		// pack reads it from the stack's outputs in this stack's preview;
		// the platform republishes the entry of this stack.
		self := ctx.Organization() + "/" + ctx.Project() + "/" + ctx.Stack()
		own := maxInstances * connectionLimit
		ctx.Export("headroomCapacity", pulumi.All(ref.GetOutput(pulumi.String("headroomCapacity")), db.Index(pulumi.Int(0))).ApplyT(
			func(args []any) (map[string]any, error) {
				exp, ok := args[0].(map[string]any)
				if !ok {
					return nil, fmt.Errorf("stack %s exports no headroomCapacity", platform)
				}
				demand := []any{map[string]any{"stack": self, "database": args[1], "connections": own}}
				others, _ := exp["demand"].([]any)
				for _, d := range others {
					if m, ok := d.(map[string]any); ok && m["stack"] != self {
						demand = append(demand, m)
					}
				}
				return map[string]any{"version": exp["version"], "stack": self, "databases": exp["databases"], "demand": demand}, nil
			}))
		return nil
	})
}
