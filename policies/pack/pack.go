package pack

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

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
	for _, info := range catalog {
		info := info
		level := levelToPolicyx(cfg.Level(info.Name))
		var schema *policyx.ConfigSchema
		if info.Name == PolicyCapacityModel {
			schema = modelConfigSchema()
		}
		switch info.Kind {
		case KindResource:
			check := resourceChecks[info.Name]
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
			check := stackCheckFor(info.Name)
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
		if lm, ok := m.(LeveledManager); ok {
			lm.ReportViolationLevel(l, f.msg, f.urn)
			continue
		}
		msg := f.msg
		if l != level {
			msg = "[" + l + "] " + msg
		}
		m.ReportViolation(msg, f.urn)
	}
}

// evalMemo caches the evaluation of the last resource list seen.
type evalMemo struct {
	cfg Config
	mu  sync.Mutex
	key uint64
	ev  *evaluation
}

func (m *evalMemo) get(resources []policyx.AnalyzerResource) *evaluation {
	key := fingerprint(resources)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ev != nil && m.key == key {
		return m.ev
	}
	m.ev = newEvaluation(resources, m.cfg)
	m.key = key
	return m.ev
}

// fingerprint identifies a resource list by identity and content (URNs,
// types and property values), so a cached evaluation is reused only for
// the same stack.
//
// It walks the values itself: fmt's %v sorts and prints every map on each of
// the stack policies' calls, which dominated the evaluation of large graphs.
func fingerprint(resources []policyx.AnalyzerResource) uint64 {
	h := fnv.New64a()
	for i := range resources {
		r := &resources[i]
		hashString(h, r.URN)
		hashString(h, r.Type)
		hashValue(h, property.New(r.Properties))
		for _, d := range r.Dependencies {
			hashString(h, d)
		}
		h.Write([]byte{0x02})
		keys := make([]string, 0, len(r.PropertyDependencies))
		for k := range r.PropertyDependencies {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			hashString(h, k)
			for _, d := range r.PropertyDependencies[k] {
				hashString(h, d)
			}
			h.Write([]byte{0x03})
		}
		h.Write([]byte{0x01})
	}
	return h.Sum64()
}

// hashString writes s length-prefixed, so concatenations cannot collide.
func hashString(h hash.Hash64, s string) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// hashValue writes a property value with a tag per kind (and the secret
// flag), maps in sorted key order.
func hashValue(h hash.Hash64, v property.Value) {
	tag := byte(0)
	if v.Secret() {
		tag = 0x80
	}
	switch {
	case v.IsComputed():
		h.Write([]byte{tag | 1})
	case v.IsNull():
		h.Write([]byte{tag | 2})
	case v.IsBool():
		b := byte(0)
		if v.AsBool() {
			b = 1
		}
		h.Write([]byte{tag | 3, b})
	case v.IsNumber():
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], math.Float64bits(v.AsNumber()))
		h.Write([]byte{tag | 4})
		h.Write(n[:])
	case v.IsString():
		h.Write([]byte{tag | 5})
		hashString(h, v.AsString())
	case v.IsArray():
		a := v.AsArray()
		h.Write([]byte{tag | 6})
		hashString(h, strconv.Itoa(a.Len()))
		for _, e := range a.All {
			hashValue(h, e)
		}
	case v.IsMap():
		m := v.AsMap()
		h.Write([]byte{tag | 7})
		hashString(h, strconv.Itoa(m.Len()))
		for k, e := range m.AllStable {
			hashString(h, k)
			hashValue(h, e)
		}
	default:
		// Resource references, assets and archives: their printed form.
		h.Write([]byte{tag | 8})
		fmt.Fprintf(h, "%v", v)
	}
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
