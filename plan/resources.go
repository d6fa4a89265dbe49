package plan

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/cost"
	"github.com/headroom-dev/headroom/ingest"
	"github.com/headroom-dev/headroom/policies/pack"
	"github.com/headroom-dev/headroom/report"
)

// Resources is Run for resources read from the Pulumi CLI's files (a
// preview or state export, package ingest) instead of our program under
// mocks: the same Evaluate, the same report, the cost priced from the
// resources. stack names the stack in the report and errors; suggest calls
// it again on each edited copy of the resources.
func Resources(stack string, resources []policyx.AnalyzerResource, pc pack.Config) (Outcome, error) {
	res, err := pack.Evaluate(resources, pc)
	if err != nil {
		return Outcome{}, fmt.Errorf("stack %s: policy pack: %w", stack, err)
	}
	topo := res.Topology
	topo.Targets = topo.Targets.WithDefaults()
	vs := make([]report.Violation, 0, len(res.Violations))
	for _, v := range res.Violations {
		vs = append(vs, report.Violation{Policy: v.Policy, Level: v.Level, Message: v.Message, Resource: v.Resource})
	}
	counts := map[string]int{}
	for _, r := range resources {
		counts[r.Type]++
	}
	r := report.FromPlan(report.PlanInput{
		Stack:       stack,
		Environment: string(pc.Env()),
		Counts:      counts,
		Topology:    topo,
		Capacity:    res.Capacity,
		Violations:  vs,
	})
	r.Cost = report.CostOf(cost.Estimate(ingest.PricedStack(resources)))
	return Outcome{Report: r, Capacity: res.Capacity}, nil
}
