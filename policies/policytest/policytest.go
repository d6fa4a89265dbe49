// Package policytest helps test Headroom's policy pack without the Pulumi
// engine: a recording fake PolicyManager, property-map builders for the
// resource types the pack judges (shaped the way the Headroom program emits
// them, see the resource conventions), and whole-stack fixtures (staging,
// production, incident) written by hand from the stack sizing spec.
package policytest

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// Violation is one violation recorded by Manager.
type Violation struct {
	Level   string // "" when reported through the plain ReportViolation
	Message string
	URN     string
}

// Manager is a fake policyx.PolicyManager (and pack.LeveledManager) that
// records every violation.
type Manager struct {
	mu         sync.Mutex
	Violations []Violation
}

// ReportViolation implements policyx.PolicyManager.
func (m *Manager) ReportViolation(message, urn string) {
	m.ReportViolationLevel("", message, urn)
}

// ReportViolationLevel implements pack.LeveledManager.
func (m *Manager) ReportViolationLevel(level, message, urn string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Violations = append(m.Violations, Violation{Level: level, Message: message, URN: urn})
}

// Messages returns the recorded messages.
func (m *Manager) Messages() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, len(m.Violations))
	for i, v := range m.Violations {
		out[i] = v.Message
	}
	return out
}

// computed marks an unknown value in a builder map.
type computed struct{}

// Computed is an unknown (preview-time) value.
var Computed = computed{}

// secret wraps a value that must be marked secret.
type secret struct{ v any }

// Secret marks v as a secret value.
func Secret(v any) any { return secret{v} }

// Value converts a builder value (nil, bool, int, float64, string, []any,
// []map[string]any, map[string]any, Computed, Secret(…), property.Value)
// into a property.Value. Unsupported types panic: builders are test code.
func Value(v any) property.Value {
	switch x := v.(type) {
	case nil:
		return property.Value{}
	case property.Value:
		return x
	case computed:
		return property.New(property.Computed)
	case secret:
		return Value(x.v).WithSecret(true)
	case bool:
		return property.New(x)
	case int:
		return property.New(float64(x))
	case float64:
		return property.New(x)
	case string:
		return property.New(x)
	case []any:
		arr := make([]property.Value, len(x))
		for i, e := range x {
			arr[i] = Value(e)
		}
		return property.New(arr)
	case []map[string]any:
		arr := make([]property.Value, len(x))
		for i, e := range x {
			arr[i] = Value(e)
		}
		return property.New(arr)
	case []string:
		arr := make([]property.Value, len(x))
		for i, e := range x {
			arr[i] = property.New(e)
		}
		return property.New(arr)
	case map[string]any:
		return property.New(Map(x))
	case map[string]string:
		m := map[string]property.Value{}
		for k, e := range x {
			m[k] = property.New(e)
		}
		return property.New(m)
	}
	panic(fmt.Sprintf("policytest.Value: unsupported %T", v))
}

// Map converts a builder map into a property.Map.
func Map(m map[string]any) property.Map {
	out := make(map[string]property.Value, len(m))
	for k, v := range m {
		out[k] = Value(v)
	}
	return property.NewMap(out)
}

// Set sets a dotted path ("settings.ipConfiguration.ipv4Enabled") in a
// builder map, creating intermediate maps. A segment "name[i]" indexes a
// slice of maps.
func Set(m map[string]any, path string, v any) {
	segs := strings.Split(path, ".")
	cur := m
	for i, seg := range segs {
		last := i == len(segs)-1
		name, idx, hasIdx := splitIndex(seg)
		if hasIdx {
			arr := asMaps(cur[name])
			for len(arr) <= idx {
				arr = append(arr, map[string]any{})
			}
			cur[name] = arr
			if last {
				arr[idx] = v.(map[string]any)
				return
			}
			cur = arr[idx]
			continue
		}
		if last {
			cur[name] = v
			return
		}
		next, ok := cur[name].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[name] = next
		}
		cur = next
	}
}

// Delete removes a dotted path from a builder map.
func Delete(m map[string]any, path string) {
	segs := strings.Split(path, ".")
	cur := m
	for i, seg := range segs {
		name, idx, hasIdx := splitIndex(seg)
		if i == len(segs)-1 && !hasIdx {
			delete(cur, name)
			return
		}
		var next map[string]any
		if hasIdx {
			arr := asMaps(cur[name])
			if idx >= len(arr) {
				return
			}
			next = arr[idx]
		} else {
			n, ok := cur[name].(map[string]any)
			if !ok {
				return
			}
			next = n
		}
		cur = next
	}
}

func asMaps(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func splitIndex(seg string) (string, int, bool) {
	open := strings.IndexByte(seg, '[')
	if open < 0 || !strings.HasSuffix(seg, "]") {
		return seg, 0, false
	}
	var n int
	if _, err := fmt.Sscanf(seg[open+1:len(seg)-1], "%d", &n); err != nil {
		return seg, 0, false
	}
	return seg[:open], n, true
}

// SetFlag sets (or replaces) a database flag of a SQL instance builder map.
func SetFlag(m map[string]any, name, value string) {
	flags := asMaps(get(m, "settings.databaseFlags"))
	for _, f := range flags {
		if f["name"] == name {
			f["value"] = value
			return
		}
	}
	Set(m, "settings.databaseFlags", append(flags, map[string]any{"name": name, "value": value}))
}

// DeleteFlag removes a database flag.
func DeleteFlag(m map[string]any, name string) {
	flags := asMaps(get(m, "settings.databaseFlags"))
	out := flags[:0]
	for _, f := range flags {
		if f["name"] != name {
			out = append(out, f)
		}
	}
	Set(m, "settings.databaseFlags", out)
}

// SetEnv sets (or replaces) an env var of a Cloud Run service builder map.
func SetEnv(m map[string]any, name string, value any) {
	envs := asMaps(get(m, "template.containers[0].envs"))
	for _, e := range envs {
		if e["name"] == name {
			e["value"] = value
			return
		}
	}
	containers := asMaps(get(m, "template.containers"))
	if len(containers) == 0 {
		containers = []map[string]any{{}}
		Set(m, "template.containers", containers)
	}
	containers[0]["envs"] = append(envs, map[string]any{"name": name, "value": value})
}

// DeleteEnv removes an env var.
func DeleteEnv(m map[string]any, name string) {
	envs := asMaps(get(m, "template.containers[0].envs"))
	out := envs[:0]
	for _, e := range envs {
		if e["name"] != name {
			out = append(out, e)
		}
	}
	containers := asMaps(get(m, "template.containers"))
	if len(containers) > 0 {
		containers[0]["envs"] = out
	}
}

func get(m map[string]any, path string) any {
	var cur any = m
	for _, seg := range strings.Split(path, ".") {
		name, idx, hasIdx := splitIndex(seg)
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[name]
		if hasIdx {
			arr := asMaps(cur)
			if idx >= len(arr) {
				return nil
			}
			cur = arr[idx]
		}
	}
	return cur
}

// Stack accumulates resources with URNs of one project and stack.
type Stack struct {
	Project string
	Name    string
	// Props holds each resource's builder map by logical name, so tests can
	// mutate a fixture before Resources() converts it.
	Props map[string]map[string]any
	order []entry
}

type entry struct {
	typ, name string
	deps      []string
	propDeps  map[string][]string
}

// NewStack starts an empty stack.
func NewStack(project, stack string) *Stack {
	return &Stack{Project: project, Name: stack, Props: map[string]map[string]any{}}
}

// URN returns the URN of a resource of the stack.
func (s *Stack) URN(typ, name string) string {
	return fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", s.Name, s.Project, typ, name)
}

// Add adds a resource; deps are logical names of resources added before,
// recorded as dependencies and as property dependencies of "template" (for
// services) or of every top-level key.
func (s *Stack) Add(typ, name string, props map[string]any, deps ...string) {
	s.Props[name] = props
	e := entry{typ: typ, name: name}
	for _, d := range deps {
		for _, o := range s.order {
			if o.name == d {
				e.deps = append(e.deps, s.URN(o.typ, o.name))
			}
		}
	}
	s.order = append(s.order, e)
}

// Resources converts the stack into analyzer resources (as AnalyzeStack
// receives them: properties, parent, dependencies).
func (s *Stack) Resources() []policyx.AnalyzerResource {
	out := make([]policyx.AnalyzerResource, 0, len(s.order))
	for _, e := range s.order {
		r := policyx.AnalyzerResource{
			Type:         e.typ,
			Name:         e.name,
			URN:          s.URN(e.typ, e.name),
			Properties:   Map(s.Props[e.name]),
			Dependencies: append([]string(nil), e.deps...),
		}
		if len(e.deps) > 0 {
			r.PropertyDependencies = map[string][]string{}
			keys := make([]string, 0, len(s.Props[e.name]))
			for k := range s.Props[e.name] {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if k == "template" || k == "settings" || k == "masterInstanceName" {
					r.PropertyDependencies[k] = append([]string(nil), e.deps...)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// Resource converts one builder map into an analyzer resource (as Analyze
// receives it).
func Resource(typ, name string, props map[string]any) policyx.AnalyzerResource {
	return policyx.AnalyzerResource{
		Type:       typ,
		Name:       name,
		URN:        fmt.Sprintf("urn:pulumi:test::headroom::%s::%s", typ, name),
		Properties: Map(props),
	}
}
