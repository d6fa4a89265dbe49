package infra

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/infra/database"
)

// OutputCapacity is the cross-stack export (contract.StackExport): this
// stack's databases and the demand every stack holds on them, read by app
// stacks through a StackReference and by the policy pack in their previews
// (docs/cli.md#budget-across-stacks).
const OutputCapacity = contract.StackRefOutput

// StackName is the fully-qualified name of the running stack,
// "org/project/stack", as a StackReference names it.
func StackName(ctx *pulumi.Context) string {
	return ctx.Organization() + "/" + ctx.Project() + "/" + ctx.Stack()
}

// CapacityExport is the export of stack self for a validated config, with
// the private IPs it knows (instance → IP) and without consumer stacks:
// the databases as the capacity model sees them (Topology) and this
// stack's own demand per database (capacity.FullScaleDemand), so the
// number another stack counts is the one this stack's plan counts.
func CapacityExport(self string, st config.Stack, ips map[string]string) contract.StackExport {
	topo := Topology(st)
	e := contract.StackExport{Stack: self}
	for _, d := range topo.Databases {
		if d.Edition == "" {
			d.Edition = capacity.DefaultEdition(st.Database.Version)
		}
		e.Databases = append(e.Databases, contract.ExportedDatabase{
			Database:       d,
			ConnectionName: st.Project + ":" + d.Region + ":" + d.Name,
			PrivateIP:      ips[d.Name],
		})
	}
	for _, dd := range capacity.FullScaleDemand(topo) {
		e.Demand = append(e.Demand, contract.StackDemand{Stack: self, Database: dd.Database,
			Connections: dd.Connections, StartupConnections: dd.StartupConnections, Services: dd.Services})
	}
	return e
}

// Republish adds to e the demand the consumer stacks' exports state for
// themselves on e's databases (what one consumer says of another stack is
// that stack's to say). exports[i] is the output of st.ConsumerStacks[i]
// (nil when the stack exports none: skipped, and named in the returned
// notes). A malformed export is an error naming the key and the stack.
func Republish(e *contract.StackExport, consumers []string, exports []any) (notes []string, err error) {
	own := map[string]bool{}
	for _, d := range e.Databases {
		own[d.Name] = true
	}
	for i, name := range consumers {
		if exports[i] == nil {
			notes = append(notes, fmt.Sprintf("headroom:consumerStacks[%d]: stack %s has no %s output; its demand is not republished", i, name, contract.StackRefOutput))
			continue
		}
		x, derr := contract.DecodeStackExport(exports[i])
		if derr != nil {
			return nil, fmt.Errorf("headroom:consumerStacks[%d]: stack %s: %w", i, name, derr)
		}
		for _, d := range x.Demand {
			if d.Stack == x.Stack && d.Stack != e.Stack && own[d.Database] {
				e.Demand = append(e.Demand, d)
			}
		}
	}
	return notes, nil
}

// exportCapacity declares OutputCapacity: this stack's export plus the
// demand of headroom:consumerStacks, read through StackReferences. It is
// unknown in a preview until the instances' private IPs are known.
func exportCapacity(ctx *pulumi.Context, st config.Stack, db *database.Database) error {
	self := StackName(ctx)
	names := db.InstanceNames()
	var inputs []any
	for _, n := range names {
		inst, _ := db.Instance(n)
		inputs = append(inputs, inst.PrivateIpAddress)
	}
	for _, cs := range st.ConsumerStacks {
		ref, err := pulumi.NewStackReference(ctx, cs, &pulumi.StackReferenceArgs{Name: pulumi.String(cs)})
		if err != nil {
			return fmt.Errorf("headroom:consumerStacks: %s: %w", cs, err)
		}
		inputs = append(inputs, ref.GetOutput(pulumi.String(contract.StackRefOutput)))
	}
	out := pulumi.All(inputs...).ApplyT(func(args []any) (any, error) {
		ips := map[string]string{}
		for i, n := range names {
			if s, ok := args[i].(string); ok {
				ips[n] = s
			}
		}
		e := CapacityExport(self, st, ips)
		notes, err := Republish(&e, st.ConsumerStacks, args[len(names):])
		if err != nil {
			return nil, err
		}
		for _, n := range notes {
			_ = ctx.Log.Warn(n, nil)
		}
		return contract.EncodeStackExport(e), nil
	})
	ctx.Export(OutputCapacity, out)
	return nil
}
