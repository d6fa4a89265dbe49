// Package graph records the resource graph a Pulumi program declares, by
// running the program against Pulumi's own mock resource monitor
// (pulumi.RunErr + pulumi.WithMocks). The recorded graph is what the offline
// plan, the policy pack's tests and the checkpoint export consume: the same
// type tokens, names, inputs, parents and dependencies the engine would see
// during `pulumi preview`, without a cloud, a CLI or a provider plugin.
//
// The mock returns deterministic outputs for the resource types Headroom
// declares (see mocks.go and docs/architecture.md):
// private IPs, connection names, connector ids, run.app URIs and service
// account e-mails, so a run is reproducible byte for byte.
package graph

import (
	"container/heap"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// StackType is the type token of the root stack resource.
const StackType = "pulumi:pulumi:Stack"

// Resource is one registered resource: a custom (provider-managed) resource,
// a component, or the root stack.
type Resource struct {
	// Type is the type token, e.g. contract.TypeSQLInstance.
	Type string
	// Name is the logical (URN) name.
	Name string
	// URN is the resource URN as the mock monitor assigns it.
	URN string
	// Parent is the parent URN; empty only for the root stack.
	Parent string
	// Provider is the provider reference ("<urn>::<id>"); empty for default
	// providers (the mock monitor does not register them).
	Provider string
	// Custom is true for provider-managed resources, false for components
	// and the root stack.
	Custom bool
	// ID is the mock's physical ID for custom resources (also Outputs "id");
	// empty for components and the stack.
	ID string
	// Inputs are the inputs the program sent (what a preview analyzes).
	Inputs property.Map
	// Outputs are the inputs merged with the mock's computed outputs (what a
	// state, i.e. `pulumi policy analyze`, analyzes). For the stack resource
	// they are the stack outputs.
	Outputs property.Map
	// Dependencies are the URNs of resources this one depends on (explicit
	// DependsOn plus those implied by inputs).
	Dependencies []string
	// PropertyDependencies maps an input property to the URNs it came from.
	PropertyDependencies map[string][]string
	// Protect, IgnoreChanges, DeleteBeforeReplace, ReplaceOnChanges and
	// AdditionalSecretOutputs are the resource options as sent to the engine.
	Protect                 bool
	IgnoreChanges           []string
	DeleteBeforeReplace     bool
	ReplaceOnChanges        []string
	AdditionalSecretOutputs []string
}

// Graph is the whole recorded stack.
type Graph struct {
	Project string
	Stack   string
	// Resources are in a deterministic topological order: every resource
	// comes after its parent and its dependencies; ties are broken by URN.
	// The root stack resource is first.
	Resources []Resource
	// Outputs are the stack outputs (ctx.Export) after resolution.
	Outputs property.Map
}

// RunOptions configure one mock run.
type RunOptions struct {
	Project string
	Stack   string
	// Config is the stack config as the Pulumi engine passes it to a
	// program ("<namespace>:<key>" → string; structured values as JSON), so
	// the program's real config path (pulumi/config) is exercised.
	Config map[string]string
	// ConfigSecretKeys lists the Config keys that are secrets.
	ConfigSecretKeys []string
	// DryRun makes ctx.DryRun() true (a preview). Mock outputs stay known
	// unless PreviewUnknowns is set too.
	DryRun bool
	// PreviewUnknowns (with DryRun) makes the mock behave like a preview of
	// a stack that does not exist yet: it returns no physical IDs and no
	// computed outputs, so every input derived from another resource's
	// output (DB_HOST from privateIpAddress, vpcAccess.connector from the
	// connector id, …) is unknown — what `pulumi preview` hands a policy
	// pack on the first deploy. Stack outputs are then empty.
	PreviewUnknowns bool
}

// Run executes program under Pulumi's mock monitor and returns the graph it
// declared. It is safe to call concurrently: every call has its own recorder
// and its own RunInfo; nothing is read from the process environment that the
// options do not override.
func Run(opts RunOptions, program pulumi.RunFunc) (*Graph, error) {
	if opts.Project == "" {
		return nil, errors.New("graph: RunOptions.Project is empty")
	}
	if opts.Stack == "" {
		return nil, errors.New("graph: RunOptions.Stack is empty")
	}
	if program == nil {
		return nil, errors.New("graph: program is nil")
	}
	rec := newRecorder(opts)

	var (
		outMu    sync.Mutex
		outputs  map[string]any
		captured bool
		progErr  error // the program's own error, before RunErr wraps it
	)
	body := func(ctx *pulumi.Context) (err error) {
		// pulumi/config's Require* panic on a missing key; a CLI must get
		// an error naming the key instead of a crash.
		defer func() {
			if p := recover(); p != nil {
				// The panic text of pulumi/config spans lines; keep the first.
				msg := strings.SplitN(fmt.Sprint(p), "\n", 2)[0]
				err = fmt.Errorf("program: %s", strings.TrimSpace(msg))
				outMu.Lock()
				progErr = err
				outMu.Unlock()
			}
		}()
		err = program(ctx)
		if err != nil {
			outMu.Lock()
			progErr = err
			outMu.Unlock()
			return err
		}
		// Capture the stack outputs after resolution. The apply joins the
		// context's work group (its inputs come from resources), so RunErr
		// does not return before it ran.
		exports := ctx.GetCurrentExportMap()
		if len(exports) > 0 {
			m := pulumi.Map{}
			for k, v := range exports {
				m[k] = v
			}
			m.ToMapOutput().ApplyT(func(v map[string]any) (int, error) {
				outMu.Lock()
				outputs, captured = v, true
				outMu.Unlock()
				return 0, nil
			})
		}
		return err
	}

	setInfo := func(info *pulumi.RunInfo) {
		info.Config = copyConfig(opts.Config)
		info.ConfigSecretKeys = append([]string(nil), opts.ConfigSecretKeys...)
		info.DryRun = opts.DryRun
		// A real engine address in the environment must not leak in.
		info.MonitorAddr, info.EngineAddr = "", ""
		info.Parallel = 0
	}
	if err := pulumi.RunErr(body, pulumi.WithMocks(opts.Project, opts.Stack, rec), setInfo); err != nil {
		// RunErr wraps the program's error in a multi-line multierror;
		// callers (the CLI) want the program's one-line error.
		outMu.Lock()
		defer outMu.Unlock()
		if progErr != nil {
			return nil, progErr
		}
		return nil, err
	}

	g := &Graph{Project: opts.Project, Stack: opts.Stack, Outputs: property.Map{}}
	outMu.Lock()
	if captured {
		g.Outputs = resource.FromResourcePropertyMap(resource.NewPropertyMapFromMap(outputs))
	}
	outMu.Unlock()

	stack := Resource{
		Type:    StackType,
		Name:    fmt.Sprintf("%s-%s", opts.Project, opts.Stack),
		URN:     rec.stackURN(),
		Inputs:  property.Map{},
		Outputs: g.Outputs,
	}
	g.Resources = append([]Resource{stack}, topoSort(rec.resources())...)
	return g, nil
}

func copyConfig(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// topoSort orders resources so parents and dependencies precede dependents;
// among resources whose prerequisites are all placed, the smallest URN goes
// first, which makes the order independent of goroutine scheduling.
func topoSort(rs []Resource) []Resource {
	byURN := make(map[string]int, len(rs))
	for i, r := range rs {
		byURN[r.URN] = i
	}
	indeg := make([]int, len(rs))
	next := make([][]int, len(rs))
	// seen[j] == i+1 marks j as already a prerequisite of i: one slice for
	// the whole sort instead of a map per resource (alert policies depend
	// on every service).
	seen := make([]int, len(rs))
	for i := range rs {
		r := &rs[i]
		pre := func(u string) {
			if j, ok := byURN[u]; ok && j != i && seen[j] != i+1 {
				seen[j] = i + 1
				indeg[i]++
				next[j] = append(next[j], i)
			}
		}
		if r.Parent != "" {
			pre(r.Parent)
		}
		for _, d := range r.Dependencies {
			pre(d)
		}
		for _, urns := range r.PropertyDependencies {
			for _, d := range urns {
				pre(d)
			}
		}
	}
	// ready is a min-heap of indexes by URN: O(n log n) in all, where
	// re-sorting the ready list on every pick was quadratic on wide graphs
	// (hundreds of services ready at once).
	ready := &urnHeap{rs: rs}
	for i := range rs {
		if indeg[i] == 0 {
			ready.idx = append(ready.idx, i)
		}
	}
	heap.Init(ready)
	out := make([]Resource, 0, len(rs))
	placed := make([]bool, len(rs))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		placed[i] = true
		out = append(out, rs[i])
		for _, j := range next[i] {
			indeg[j]--
			if indeg[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	// A cycle cannot be registered by a real program; keep any leftovers
	// (sorted) rather than dropping them.
	var rest []Resource
	for i := range rs {
		if !placed[i] {
			rest = append(rest, rs[i])
		}
	}
	sort.Slice(rest, func(a, b int) bool { return rest[a].URN < rest[b].URN })
	return append(out, rest...)
}

// urnHeap is a container/heap of resource indexes, smallest URN first.
type urnHeap struct {
	rs  []Resource
	idx []int
}

func (h *urnHeap) Len() int           { return len(h.idx) }
func (h *urnHeap) Less(a, b int) bool { return h.rs[h.idx[a]].URN < h.rs[h.idx[b]].URN }
func (h *urnHeap) Swap(a, b int)      { h.idx[a], h.idx[b] = h.idx[b], h.idx[a] }
func (h *urnHeap) Push(x any)         { h.idx = append(h.idx, x.(int)) }
func (h *urnHeap) Pop() any {
	n := len(h.idx) - 1
	x := h.idx[n]
	h.idx = h.idx[:n]
	return x
}

// Find returns the first resource with the given type token and logical name.
func (g *Graph) Find(typ, name string) (Resource, bool) {
	for _, r := range g.Resources {
		if r.Type == typ && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// ByType returns the resources of one type token, in graph order.
func (g *Graph) ByType(typ string) []Resource {
	var out []Resource
	for _, r := range g.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// ByURN returns the resource with the given URN.
func (g *Graph) ByURN(urn string) (Resource, bool) {
	for _, r := range g.Resources {
		if r.URN == urn {
			return r, true
		}
	}
	return Resource{}, false
}

// Counts returns the number of resources per type token (stack and
// components included).
func (g *Graph) Counts() map[string]int {
	out := map[string]int{}
	for _, r := range g.Resources {
		out[r.Type]++
	}
	return out
}

// urnFor mirrors the mock monitor's URN scheme (pulumi mocks.go newURN):
// the parent's qualified type is prefixed unless the parent is the stack.
func urnFor(project, stack, parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(stack), tokens.PackageName(project), parentType,
		tokens.Type(typ), name))
}
