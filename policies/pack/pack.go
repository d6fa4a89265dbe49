package pack

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Violation is one policy verdict.
type Violation struct {
	Policy string
	// Level is "mandatory" or "advisory" (the policy's configured level, or
	// advisory for unknown values, warnings and non-production leniency).
	Level   string
	Message string
	// Resource is the URN the violation is reported on; empty for the stack.
	Resource string
}

// Result is the outcome of evaluating a resource graph.
type Result struct {
	Topology   capacity.Topology
	Capacity   capacity.Report
	Violations []Violation
	Unknowns   []Unknown
}

// Mandatory returns the mandatory violations: a non-empty result blocks a
// deployment.
func (r Result) Mandatory() []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Level == LevelMandatory {
			out = append(out, v)
		}
	}
	return out
}

// LeveledManager is a policyx.PolicyManager that also takes a per-violation
// enforcement level. The pack's policies use it when the manager offers it
// (the served pack, Evaluate, policytest); with a plain PolicyManager a
// downgraded violation's message is prefixed with "[advisory] ".
type LeveledManager interface {
	policyx.PolicyManager
	ReportViolationLevel(level, message, urn string)
}

// New builds the policyx policy pack for cfg.
func New(cfg Config) (policyx.PolicyPack, error) {
	return policyx.NewPolicyPack(Name, semver.MustParse(Version), policyx.EnforcementLevelAdvisory, Policies(cfg))
}

// Policies builds every policy of the catalog as a policyx policy bound to
// cfg. Stack policies built by one call share one evaluation per resource
// list, so the topology is extracted and the capacity model (including the
// simulation) runs once per AnalyzeStack, not once per policy.
func Policies(cfg Config) []policyx.Policy {
	ps, _ := policies(cfg)
	return ps
}

func policies(cfg Config) ([]policyx.Policy, *evalMemo) {
	memo := &evalMemo{cfg: cfg}
	out := make([]policyx.Policy, 0, len(catalog))
	for _, def := range catalog {
		info := def.info
		level := levelToPolicyx(cfg.Level(info.Name))
		// Every policy publishes a schema so Pulumi Cloud validates (and
		// shows) its config: the shared settings under capacity-model, none
		// elsewhere (only the enforcement level).
		schema := levelOnlySchema()
		if def.schema != nil {
			schema = def.schema()
		}
		switch info.Kind {
		case KindResource:
			check := def.resource
			out = append(out, policyx.NewResourceValidationPolicy(info.Name, policyx.ResourceValidationPolicyArgs{
				Description:      info.Description,
				EnforcementLevel: level,
				ConfigSchema:     schema,
				ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
					if !appliesTo(info, args.Resource.Type) || cfg.Level(info.Name) == LevelDisabled {
						return nil
					}
					r := args.Resource
					f := &findings{urn: r.URN}
					check(&r, cfg, f)
					emit(args.Manager, cfg, info, f.out)
					return nil
				},
			}))
		case KindStack:
			check := def.stack
			out = append(out, policyx.NewStackValidationPolicy(info.Name, policyx.StackValidationPolicyArgs{
				Description:      info.Description,
				EnforcementLevel: level,
				ConfigSchema:     schema,
				ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
					if cfg.Level(info.Name) == LevelDisabled {
						return nil
					}
					ev := memo.get(args.Resources)
					f := &findings{}
					check(ev, cfg, f)
					emit(args.Manager, cfg, info, f.out)
					return nil
				},
			}))
		}
	}
	return out, memo
}

func appliesTo(info PolicyInfo, typ string) bool {
	for _, t := range info.Types {
		if t == typ {
			return true
		}
	}
	return false
}

// emit reports findings at the policy's level, advisory ones at advisory.
func emit(m policyx.PolicyManager, cfg Config, info PolicyInfo, fs []finding) {
	if m == nil {
		return
	}
	level := cfg.Level(info.Name)
	sink, _ := m.(unknownSink)
	for _, f := range fs {
		if f.unknown != nil && sink != nil {
			u := *f.unknown
			u.Policy = info.Name
			sink.reportUnknown(u)
		}
		l := level
		if f.advisory {
			l = LevelAdvisory
		}
		// Env values read from resources may carry credentials: every
		// message leaves the pack through contract.Redact.
		msg := contract.Redact(f.msg)
		if lm, ok := m.(LeveledManager); ok {
			lm.ReportViolationLevel(l, msg, f.urn)
			continue
		}
		if l != level {
			msg = "[" + l + "] " + msg
		}
		m.ReportViolation(msg, f.urn)
	}
}

// evalMemo caches the evaluation of the last resource list seen. The
// engine hands every stack policy of one AnalyzeStack the same slice, and
// Evaluate does too, so the key is cheap: a shallow copy of the list,
// compared field by field (sameResources), which for the same slice is a
// pointer compare per field. Nothing is formatted or hashed, and the copy
// shares every string, map and slice with the caller's list.
type evalMemo struct {
	cfg  Config
	mu   sync.Mutex
	seen []policyx.AnalyzerResource
	ev   *evaluation
}

func (m *evalMemo) get(resources []policyx.AnalyzerResource) *evaluation {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ev != nil && sameResources(m.seen, resources) {
		return m.ev
	}
	m.ev = newEvaluation(resources, m.cfg)
	m.seen = slices.Clone(resources)
	return m.ev
}

// sameResources reports whether two resource lists hold the same resources
// in the same order, as far as the pack reads them: URN, type, name,
// parent, properties, dependencies and property dependencies. Strings and
// slices compare by value (a pointer compare when they share memory);
// property maps are immutable, so the same map is the same content, and
// two different maps are compared value by value (property.Map.Equals,
// secrets and unknowns included).
func sameResources(a, b []policyx.AnalyzerResource) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.URN != y.URN || x.Type != y.Type || x.Name != y.Name || x.Parent != y.Parent ||
			!sameMap(x.Properties, y.Properties) ||
			!slices.Equal(x.Dependencies, y.Dependencies) ||
			!maps.EqualFunc(x.PropertyDependencies, y.PropertyDependencies, slices.Equal[[]string]) {
			return false
		}
	}
	return true
}

// sameMap is a.Equals(b), short-cut when both share their underlying map.
func sameMap(a, b property.Map) bool {
	if a.Len() != b.Len() {
		return false
	}
	if a.Len() > 0 && reflect.ValueOf(a).Field(0).Pointer() == reflect.ValueOf(b).Field(0).Pointer() {
		return true
	}
	return a.Equals(b)
}

// unknownSink receives the structured form of "cannot verify" findings.
type unknownSink interface {
	reportUnknown(u Unknown)
}

// recorder is the LeveledManager Evaluate uses.
type recorder struct {
	policy   string
	out      *[]Violation
	unknowns *[]Unknown
	level    string
}

func (r *recorder) reportUnknown(u Unknown) { *r.unknowns = append(*r.unknowns, u) }

func (r *recorder) ReportViolation(message, urn string) {
	r.ReportViolationLevel(r.level, message, urn)
}

func (r *recorder) ReportViolationLevel(level, message, urn string) {
	*r.out = append(*r.out, Violation{Policy: r.policy, Level: level, Message: message, Resource: urn})
}

// Evaluate judges a resource graph with every policy of the pack, through
// the same policyx policies the served pack runs: resource policies on each
// resource, stack policies on the whole list. Violations are sorted by
// policy, resource and message.
func Evaluate(resources []policyx.AnalyzerResource, cfg Config) (Result, error) {
	if cfg.Levels == nil {
		cfg.Levels = map[string]string{}
	}
	policies, memo := policies(cfg)
	var res Result
	ctx := context.Background()
	for _, p := range policies {
		if cfg.Level(p.Name()) == LevelDisabled {
			continue
		}
		rec := &recorder{policy: p.Name(), out: &res.Violations, unknowns: &res.Unknowns, level: cfg.Level(p.Name())}
		switch p := p.(type) {
		case policyx.ResourceValidationPolicy:
			for _, r := range resources {
				if err := p.Validate(ctx, policyx.ResourceValidationArgs{Manager: rec, Resource: r}); err != nil {
					return Result{}, fmt.Errorf("policy %s on %s: %w", p.Name(), r.URN, err)
				}
			}
		case policyx.StackValidationPolicy:
			if err := p.Validate(ctx, policyx.StackValidationArgs{Manager: rec, Resources: resources}); err != nil {
				return Result{}, fmt.Errorf("policy %s: %w", p.Name(), err)
			}
		}
	}
	// The stack policies' shared evaluation: reuse it rather than recompute.
	ev := memo.get(resources)
	res.Topology = ev.ex.topo
	res.Capacity = ev.report
	slices.SortStableFunc(res.Violations, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Message, b.Message))
	})
	return res, nil
}

// ShortURN returns the type and name of a URN for display.
func ShortURN(urn string) string {
	if urn == "" {
		return "(stack)"
	}
	return urnName(urn)
}

// levelOnlySchema is the schema of a policy whose only setting is its
// enforcement level: no properties, so the engine refuses any other key
// before the pack sees it.
func levelOnlySchema() *policyx.ConfigSchema {
	return &policyx.ConfigSchema{Properties: map[string]map[string]any{}}
}
