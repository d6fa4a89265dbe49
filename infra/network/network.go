// Package network is the VPC side of Headroom's path: a custom-mode VPC,
// one subnet per region, private services access (PSA) for Cloud SQL's
// private IP, and per region the Cloud Run egress path — a Serverless VPC
// Access connector or a Direct VPC egress subnet — plus the Google APIs all
// of that needs.
package network

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/projects"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/servicenetworking"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/vpcaccess"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Type is the component's type token.
const Type = "headroom:network:Network"

// Egress modes (headroom:network.regions.<r>.egress).
const (
	EgressConnector = "connector"
	EgressDirect    = "direct"
)

// Google APIs the path needs. Each is a projects.Service so a fresh project
// works, with disableOnDestroy false: destroying this stack must not switch
// off an API other stacks or people in the project rely on.
const (
	APICompute           = "compute.googleapis.com"
	APIVPCAccess         = "vpcaccess.googleapis.com"
	APIServiceNetworking = "servicenetworking.googleapis.com"
	APISQLAdmin          = "sqladmin.googleapis.com"
	APIRun               = "run.googleapis.com"
	APIIAM               = "iam.googleapis.com"
)

// RequiredAPIs are enabled by every Headroom network, in this order.
var RequiredAPIs = []string{APICompute, APIVPCAccess, APIServiceNetworking, APISQLAdmin, APIRun, APIIAM}

// Args configure a Network.
type Args struct {
	// Project is the GCP project id (gcp:project).
	Project string
	// Name is the VPC name.
	Name string
	// PrivateServiceAccessRange is the CIDR allocated to private services
	// access (Cloud SQL private IPs); /24 at least, /16 recommended
	// (gcp-capacity.md §6).
	PrivateServiceAccessRange string
	// Regions maps a region to its subnet and egress path.
	Regions map[string]RegionArgs
}

// RegionArgs is one region's subnet and Cloud Run egress path.
type RegionArgs struct {
	// Subnet is the region's primary subnet CIDR.
	Subnet string
	// Egress is EgressConnector or EgressDirect.
	Egress string
	// Connector is required for EgressConnector.
	Connector *ConnectorArgs
	// DirectSubnet is the Direct VPC egress subnet CIDR, required for
	// EgressDirect (Cloud Run takes instance IPs from it).
	DirectSubnet string
}

// ConnectorArgs size a Serverless VPC Access connector (gcp-capacity.md §3:
// a /28 range, machine type f1-micro|e2-micro|e2-standard-4, min 2–9,
// max 3–10, min < max; the config layer validates those bounds).
type ConnectorArgs struct {
	Name         string
	IPCIDRRange  string
	MachineType  string
	MinInstances int
	MaxInstances int
}

// Egress is what a Cloud Run service in one region needs to reach the VPC.
type Egress struct {
	Region string
	// Mode is EgressConnector or EgressDirect.
	Mode string
	// Connector is the connector id (projects/p/locations/r/connectors/n);
	// set for EgressConnector.
	Connector pulumi.StringOutput
	// ConnectorResource is the connector, for dependencies.
	ConnectorResource *vpcaccess.Connector
	// Network and Subnetwork are names for Direct VPC egress.
	Network    pulumi.StringOutput
	Subnetwork pulumi.StringOutput
}

// DirectSubnetName is the name of a region's Direct VPC egress subnet.
func DirectSubnetName(network, region string) string { return network + "-" + region + "-direct" }

// Network is the component.
type Network struct {
	pulumi.ResourceState

	VPC           *compute.Network
	Subnets       map[string]*compute.Subnetwork
	DirectSubnets map[string]*compute.Subnetwork
	Connectors    map[string]*vpcaccess.Connector
	PSARange      *compute.GlobalAddress
	PSA           *servicenetworking.Connection
	APIs          map[string]*projects.Service

	// NetworkID is the VPC's id (projects/p/global/networks/n), the form
	// Cloud SQL's ipConfiguration.privateNetwork takes.
	NetworkID pulumi.StringOutput
	// NetworkName is the VPC's name.
	NetworkName pulumi.StringOutput

	egress map[string]Egress
}

// New creates the network component.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Network, error) {
	if args == nil {
		return nil, fmt.Errorf("network %q: args are nil", name)
	}
	if err := args.check(); err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	n := &Network{
		Subnets:       map[string]*compute.Subnetwork{},
		DirectSubnets: map[string]*compute.Subnetwork{},
		Connectors:    map[string]*vpcaccess.Connector{},
		APIs:          map[string]*projects.Service{},
		egress:        map[string]Egress{},
	}
	if err := ctx.RegisterComponentResource(Type, name, n, opts...); err != nil {
		return nil, fmt.Errorf("network %q: %w", name, err)
	}
	parent := pulumi.Parent(n)
	project := pulumi.String(args.Project)

	for _, api := range RequiredAPIs {
		svc, err := projects.NewService(ctx, api, &projects.ServiceArgs{
			Project:          project,
			Service:          pulumi.String(api),
			DisableOnDestroy: pulumi.Bool(false),
			// Keep dependent services alone for the same reason.
			DisableDependentServices: pulumi.Bool(false),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network %q: api %s: %w", name, api, err)
		}
		n.APIs[api] = svc
	}

	vpc, err := compute.NewNetwork(ctx, args.Name, &compute.NetworkArgs{
		Project:               project,
		Name:                  pulumi.String(args.Name),
		AutoCreateSubnetworks: pulumi.Bool(false),
		// GLOBAL routing: a multi-region stack's Cloud Run services reach the
		// primary's private IP in another region (gcp-capacity.md §6:
		// private IP is reachable across regions).
		RoutingMode: pulumi.String("GLOBAL"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{n.APIs[APICompute]}))
	if err != nil {
		return nil, fmt.Errorf("network %q: vpc: %w", name, err)
	}
	n.VPC = vpc
	n.NetworkID = vpc.ID().ToStringOutput()
	n.NetworkName = vpc.Name

	// Private services access: an allocated range peered with
	// servicenetworking, which Cloud SQL private IP requires (§6).
	psaPrefix := netip.MustParsePrefix(args.PrivateServiceAccessRange).Masked()
	n.PSARange, err = compute.NewGlobalAddress(ctx, args.Name+"-psa", &compute.GlobalAddressArgs{
		Project:      project,
		Name:         pulumi.String(args.Name + "-psa"),
		Purpose:      pulumi.String("VPC_PEERING"),
		AddressType:  pulumi.String("INTERNAL"),
		Address:      pulumi.String(psaPrefix.Addr().String()),
		PrefixLength: pulumi.Int(psaPrefix.Bits()),
		Network:      vpc.ID(),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network %q: psa range: %w", name, err)
	}
	n.PSA, err = servicenetworking.NewConnection(ctx, args.Name+"-psa", &servicenetworking.ConnectionArgs{
		Network:               vpc.ID(),
		Service:               pulumi.String(APIServiceNetworking),
		ReservedPeeringRanges: pulumi.StringArray{n.PSARange.Name},
		// ABANDON: the peering cannot be deleted while Cloud SQL still
		// holds addresses in it; deleting it is the network team's call.
		DeletionPolicy: pulumi.String("ABANDON"),
	}, parent, pulumi.DependsOn([]pulumi.Resource{n.APIs[APIServiceNetworking]}))
	if err != nil {
		return nil, fmt.Errorf("network %q: psa connection: %w", name, err)
	}

	for _, region := range sortedKeys(args.Regions) {
		ra := args.Regions[region]
		sub, err := compute.NewSubnetwork(ctx, args.Name+"-"+region, &compute.SubnetworkArgs{
			Project:               project,
			Name:                  pulumi.String(args.Name + "-" + region),
			Region:                pulumi.String(region),
			Network:               vpc.ID(),
			IpCidrRange:           pulumi.String(ra.Subnet),
			PrivateIpGoogleAccess: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("network %q: subnet %s: %w", name, region, err)
		}
		n.Subnets[region] = sub

		switch ra.Egress {
		case EgressConnector:
			c := ra.Connector
			conn, err := vpcaccess.NewConnector(ctx, c.Name, &vpcaccess.ConnectorArgs{
				Project:      project,
				Name:         pulumi.String(c.Name),
				Region:       pulumi.String(region),
				Network:      vpc.Name,
				IpCidrRange:  pulumi.String(c.IPCIDRRange),
				MachineType:  pulumi.String(c.MachineType),
				MinInstances: pulumi.Int(c.MinInstances),
				MaxInstances: pulumi.Int(c.MaxInstances),
			}, parent, pulumi.DependsOn([]pulumi.Resource{n.APIs[APIVPCAccess], sub}))
			if err != nil {
				return nil, fmt.Errorf("network %q: connector %s: %w", name, c.Name, err)
			}
			n.Connectors[region] = conn
			n.egress[region] = Egress{
				Region: region, Mode: EgressConnector,
				Connector: conn.ID().ToStringOutput(), ConnectorResource: conn,
			}
		case EgressDirect:
			dname := DirectSubnetName(args.Name, region)
			d, err := compute.NewSubnetwork(ctx, dname, &compute.SubnetworkArgs{
				Project:               project,
				Name:                  pulumi.String(dname),
				Region:                pulumi.String(region),
				Network:               vpc.ID(),
				IpCidrRange:           pulumi.String(ra.DirectSubnet),
				PrivateIpGoogleAccess: pulumi.Bool(true),
			}, parent)
			if err != nil {
				return nil, fmt.Errorf("network %q: direct subnet %s: %w", name, region, err)
			}
			n.DirectSubnets[region] = d
			n.egress[region] = Egress{
				Region: region, Mode: EgressDirect,
				Network: vpc.Name, Subnetwork: d.Name,
			}
		}
	}

	connectorIDs := pulumi.StringMap{}
	for r, c := range n.Connectors {
		connectorIDs[r] = c.ID().ToStringOutput()
	}
	subnetIDs := pulumi.StringMap{}
	for r, s := range n.Subnets {
		subnetIDs[r] = s.ID().ToStringOutput()
	}
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"networkId":    n.NetworkID,
		"networkName":  n.NetworkName,
		"connectorIds": connectorIDs,
		"subnetIds":    subnetIDs,
		"psaRange":     n.PSARange.Name,
	}); err != nil {
		return nil, fmt.Errorf("network %q: outputs: %w", name, err)
	}
	return n, nil
}

// Egress returns the egress path of a region.
func (n *Network) Egress(region string) (Egress, bool) {
	e, ok := n.egress[region]
	return e, ok
}

// check rejects args the component cannot build. The config layer
// validates the same things with key paths; this guards direct callers.
func (a *Args) check() error {
	if a.Project == "" {
		return fmt.Errorf("project is empty")
	}
	if a.Name == "" {
		return fmt.Errorf("name is empty")
	}
	if p, err := netip.ParsePrefix(a.PrivateServiceAccessRange); err != nil || !p.Addr().Is4() {
		return fmt.Errorf("privateServiceAccessRange: want an IPv4 CIDR, got %q", a.PrivateServiceAccessRange)
	}
	if len(a.Regions) == 0 {
		return fmt.Errorf("regions: want at least one region")
	}
	for _, r := range sortedKeys(a.Regions) {
		ra := a.Regions[r]
		if _, err := netip.ParsePrefix(ra.Subnet); err != nil {
			return fmt.Errorf("regions.%s.subnet: want a CIDR, got %q", r, ra.Subnet)
		}
		switch ra.Egress {
		case EgressConnector:
			if ra.Connector == nil || ra.Connector.Name == "" {
				return fmt.Errorf("regions.%s.connector: required when egress is connector", r)
			}
		case EgressDirect:
			if _, err := netip.ParsePrefix(ra.DirectSubnet); err != nil {
				return fmt.Errorf("regions.%s.direct.subnet: want a CIDR, got %q", r, ra.DirectSubnet)
			}
		default:
			return fmt.Errorf("regions.%s.egress: want connector or direct, got %q", r, ra.Egress)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
