package pack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// The budget across stacks (docs/cli.md#budget-across-stacks). An app
// stack's preview holds its own services but not the database, which lives
// in a platform stack; the app stack reads the platform stack's export
// through a StackReference and exports it again with its own demand. The
// pack reads a contract.StackExport from the root stack resource's
// outputs (all the engine shows stack policies: read resources such as a
// StackReference are not passed) and from any StackReference's
// outputs.<key> (state exports, `pulumi policy analyze`), and takes:
//
//   - the exported databases, as instances this stack's services bind to
//     (connection name, private IP) through the ordinary binding code;
//   - the demand every OTHER stack holds on them, as consumers named
//     "stack org/project/name", counted in every scenario like any
//     non-Cloud-Run client. A stack whose resources are in the graph (this
//     stack, or every stack of a merged `headroom plan --state …`) is
//     counted live, never from the export, so nothing is counted twice.
//
// capacity-model.externalDemand in the pack config is the fallback for
// stacks that cannot read references; it is counted the same way.

// consumerStackPrefix names a consumer that is another stack's demand.
const consumerStackPrefix = "stack "

// stackRefEffect is what the pack does without a reference's export.
const stackRefEffect = "the demand other stacks hold on its databases is not counted"

// stackExport is one decoded export and the reference it came from.
type stackExport struct {
	res *policyx.AnalyzerResource
	exp contract.StackExport
}

// readStackRefs adds the referenced databases and the other stacks'
// demand (and the configured external demand) to the graph's instances.
// It runs after the instances are read and before the services are bound.
func (ex *extraction) readStackRefs(resources []policyx.AnalyzerResource) {
	present := presentStacks(resources)
	var exports []stackExport
	ownInstances := len(ex.g.instances) > 0
	for i := range resources {
		r := &resources[i]
		var e contract.StackExport
		var ok bool
		switch r.Type {
		case contract.TypeStackReference:
			e, ok = ex.readStackRef(r)
		case contract.TypeRootStack:
			e, ok = ex.readStackOutput(r, ownInstances)
		}
		if ok {
			exports = append(exports, stackExport{res: r, exp: e})
		}
	}
	for _, se := range exports {
		for _, d := range se.exp.Databases {
			if ex.instanceNamed(d.Name) != nil {
				continue // in the graph itself (a merged plan), or from an earlier reference
			}
			db := d.Database
			db.Consumers = append([]capacity.Consumer(nil), d.Consumers...)
			inst := &sqlInstance{res: se.res, name: d.Name, db: db, complete: true, imported: true}
			if d.PrivateIP != "" {
				inst.ips = []string{d.PrivateIP}
			}
			ex.g.instances = append(ex.g.instances, inst)
		}
	}
	counted := map[[2]string]bool{}
	for _, d := range mergeDemand(exports) {
		if present[stackKey(d.Stack)] {
			continue // counted live from its resources
		}
		if inst := ex.instanceNamed(d.Database); inst != nil {
			inst.db.Consumers = append(inst.db.Consumers, capacity.Consumer{Name: consumerStackPrefix + d.Stack, Connections: d.Connections})
			counted[[2]string{d.Stack, d.Database}] = true
		}
	}
	ex.addExternalDemand(present, counted)
}

// readStackRef decodes a reference's export; ok is false when it has none
// (a reference to a stack that is not ours) or it cannot be read (reported).
func (ex *extraction) readStackRef(r *policyx.AnalyzerResource) (contract.StackExport, bool) {
	outputs, st := get(r.Properties, "outputs").obj()
	switch st {
	case stOK:
	case stUnknown:
		ex.unknown(r, "outputs", stackRefEffect)
		ex.refPending = stackRefName(r)
		return contract.StackExport{}, false
	default:
		return contract.StackExport{}, false
	}
	f := key(outputs, contract.StackRefOutput)
	path := "outputs." + contract.StackRefOutput
	switch f.st {
	case stOK:
	case stUnknown:
		ex.unknown(r, path, stackRefEffect)
		ex.refPending = stackRefName(r)
		return contract.StackExport{}, false
	default:
		return contract.StackExport{}, false
	}
	v, known := plainOf(f.v)
	if !known {
		ex.unknown(r, path, stackRefEffect)
		ex.refPending = stackRefName(r)
		return contract.StackExport{}, false
	}
	e, err := contract.DecodeStackExport(v)
	if err != nil {
		ex.problem(r, false, "stack reference %s: %v; %s", stackRefName(r), err, stackRefEffect)
		return contract.StackExport{}, false
	}
	return e, true
}

// readStackOutput decodes the stack's own StackRefOutput (the root stack
// resource's outputs are the stack outputs). Under the engine this is how
// an app stack's preview sees the platform's export: the engine passes no
// read resource, so no StackReference, to stack policies; the app stack
// exports the platform's export merged with its own demand
// (docs/cli.md#budget-across-stacks). An unknown value is reported only
// for a stack without an instance of its own (an app stack): our program's
// first preview always has one, and its export is unknown until apply.
func (ex *extraction) readStackOutput(r *policyx.AnalyzerResource, ownInstances bool) (contract.StackExport, bool) {
	f := key(r.Properties, contract.StackRefOutput)
	switch f.st {
	case stOK:
	case stUnknown:
		if !ownInstances {
			ex.unknown(r, contract.StackRefOutput, stackRefEffect)
			ex.refPending = "output " + contract.StackRefOutput
		}
		return contract.StackExport{}, false
	default:
		return contract.StackExport{}, false
	}
	v, known := plainOf(f.v)
	if !known {
		if !ownInstances {
			ex.unknown(r, contract.StackRefOutput, stackRefEffect)
			ex.refPending = "output " + contract.StackRefOutput
		}
		return contract.StackExport{}, false
	}
	e, err := contract.DecodeStackExport(v)
	if err != nil {
		ex.problem(r, false, "stack output %v; %s", err, stackRefEffect)
		return contract.StackExport{}, false
	}
	return e, true
}

// stackRefName is the referenced stack's name (the reference's name
// property), else the resource's name.
func stackRefName(r *policyx.AnalyzerResource) string {
	if s, st := get(r.Properties, "name").str(); st == stOK && s != "" {
		return s
	}
	return urnName(r.URN)
}

// mergeDemand lists every (stack, database) demand once, sorted. A stack's
// own export is its freshest word; a republished entry counts only when
// no reference reads the stack's own.
func mergeDemand(exports []stackExport) []contract.StackDemand {
	type pick struct {
		d   contract.StackDemand
		own bool
	}
	by := map[[2]string]pick{}
	for _, se := range exports {
		for _, d := range se.exp.Demand {
			k := [2]string{d.Stack, d.Database}
			own := d.Stack == se.exp.Stack
			if prev, ok := by[k]; !ok || (own && !prev.own) {
				by[k] = pick{d, own}
			}
		}
	}
	out := make([]contract.StackDemand, 0, len(by))
	for _, p := range by {
		out = append(out, p.d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Database != out[j].Database {
			return out[i].Database < out[j].Database
		}
		return out[i].Stack < out[j].Stack
	})
	return out
}

// presentStacks is the set of "project/stack" of the resources' URNs.
func presentStacks(resources []policyx.AnalyzerResource) map[string]bool {
	out := map[string]bool{}
	for i := range resources {
		u := urn.URN(resources[i].URN)
		if u.IsValid() {
			out[string(u.Project())+"/"+string(u.Stack())] = true
		}
	}
	return out
}

// stackKey is the "project/stack" part of a fully-qualified stack name
// (the organisation is not in a URN); "" when s is not one.
func stackKey(s string) string {
	_, project, stack, err := contract.SplitStackName(s)
	if err != nil {
		return ""
	}
	return project + "/" + stack
}

// addExternalDemand counts capacity-model.externalDemand: entries for a
// stack in the graph or already read from a reference are skipped; an
// instance the graph does not hold is an advisory finding (a typo would
// otherwise drop demand in silence).
func (ex *extraction) addExternalDemand(present map[string]bool, counted map[[2]string]bool) {
	insts := make([]string, 0, len(ex.cfg.ExternalDemand))
	for k := range ex.cfg.ExternalDemand {
		insts = append(insts, k)
	}
	sort.Strings(insts)
	for _, name := range insts {
		inst := ex.instanceNamed(name)
		if inst == nil {
			ex.issues = append(ex.issues, issue{advisory: true, msg: fmt.Sprintf(
				"%s.externalDemand.%s: no Cloud SQL instance %s in this stack or its stack references; its external demand is not counted",
				PolicyCapacityModel, name, name)})
			continue
		}
		labels := make([]string, 0, len(ex.cfg.ExternalDemand[name]))
		for l := range ex.cfg.ExternalDemand[name] {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		for _, l := range labels {
			cname := l
			if k := stackKey(l); k != "" {
				if present[k] || counted[[2]string{l, name}] {
					continue
				}
				cname = consumerStackPrefix + l
			}
			inst.db.Consumers = append(inst.db.Consumers, capacity.Consumer{Name: cname, Connections: ex.cfg.ExternalDemand[name][l]})
		}
	}
}

// plainOf converts a property value into the plain values the contract's
// decoders take; known is false when a value in it is unknown or redacted.
func plainOf(v property.Value) (out any, known bool) {
	if classify(v).st == stUnknown {
		return nil, false
	}
	switch {
	case v.IsNull():
		return nil, true
	case v.IsBool():
		return v.AsBool(), true
	case v.IsNumber():
		return v.AsNumber(), true
	case v.IsString():
		return v.AsString(), true
	case v.IsArray():
		items := v.AsArray().AsSlice()
		a := make([]any, 0, len(items))
		for _, it := range items {
			p, ok := plainOf(it)
			if !ok {
				return nil, false
			}
			a = append(a, p)
		}
		return a, true
	case v.IsMap():
		m := map[string]any{}
		for k, it := range v.AsMap().All {
			p, ok := plainOf(it)
			if !ok {
				return nil, false
			}
			m[k] = p
		}
		return m, true
	}
	// Assets, archives and resource references have no place in an
	// export: a value the decoder refuses by its type.
	return struct{}{}, true
}

// checkExternalDemand validates capacity-model.externalDemand.
func checkExternalDemand(prefix string, ext map[string]map[string]int) error {
	insts := make([]string, 0, len(ext))
	for k := range ext {
		insts = append(insts, k)
	}
	sort.Strings(insts)
	for _, inst := range insts {
		if strings.TrimSpace(inst) == "" {
			return fmt.Errorf("policy-pack config: %s: want a Cloud SQL instance name as the key, got %q", strings.TrimSuffix(prefix, "."), inst)
		}
		labels := make([]string, 0, len(ext[inst]))
		for l := range ext[inst] {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		for _, l := range labels {
			if strings.TrimSpace(l) == "" {
				return fmt.Errorf("policy-pack config: %s%s: want a stack name or label as the key, got %q", prefix, inst, l)
			}
			if n := ext[inst][l]; n < 0 || n > maxExternalConnections {
				return fmt.Errorf("policy-pack config: %s%s.%s: want a whole number of connections between 0 and %d, got %d", prefix, inst, l, maxExternalConnections, n)
			}
		}
	}
	return nil
}

// maxExternalConnections bounds one externalDemand entry: Cloud SQL's
// largest max_connections (262,143) is far below it.
const maxExternalConnections = 1_000_000

// externalDemandSchema is the JSON schema of capacity-model.externalDemand.
func externalDemandSchema() map[string]any {
	return map[string]any{
		"type": "object",
		"additionalProperties": map[string]any{
			"type": "object",
			"additionalProperties": map[string]any{
				"type": "integer", "minimum": 0, "maximum": maxExternalConnections,
			},
		},
		"description": "Connections other stacks hold on a Cloud SQL instance: instance name → stack (\"org/project/stack\") or label → connections. " +
			"For stacks that cannot read the platform stack's export through a StackReference.",
	}
}

// emptyForUnknowns is true for the model's "nothing to analyze" finding
// when the topology is empty because what it needs is unknown (a stack
// reference's export in the preview of a stack the engine has not seen):
// the unknowns are reported instead, nothing is refused on a guess.
func (ex *extraction) emptyForUnknowns(check string) bool {
	return check == capacity.CheckTopologyConsistent && len(ex.unknowns) > 0 &&
		len(ex.topo.Databases) == 0 && len(ex.topo.Workloads) == 0
}
