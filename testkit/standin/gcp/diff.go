package gcp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Change is one changed property path.
type Change struct {
	Path    string
	Kind    pulumirpc.PropertyDiff_Kind
	Replace bool
	// Rule is the replacement rule that fired (when Replace).
	Rule Rule
}

// Diff compares the program's checked inputs (news) with the resource as
// it is (olds: the state's outputs, refreshed when the engine refreshed)
// the way the bridge's plan does: every input path whose value differs,
// and every input the program stopped setting. A change under a rule of
// the spec forces replacement.
func (s *Spec) Diff(olds, news, oldInputs resource.PropertyMap) []Change {
	var out []Change
	add := func(path string, kind pulumirpc.PropertyDiff_Kind, o, n resource.PropertyValue) {
		c := Change{Path: path, Kind: kind}
		if r, ok := s.ruleFor(path); ok && r.fires(o, n) {
			c.Replace, c.Rule = true, r
			c.Kind = replaceKind(kind)
		}
		out = append(out, c)
	}
	var walk func(path string, o, n resource.PropertyValue, oldIn bool)
	walk = func(path string, o, n resource.PropertyValue, oldIn bool) {
		o, n = unwrap(o), unwrap(n)
		switch {
		case n.IsComputed() || (n.IsOutput() && !n.OutputValue().Known):
			add(path, pulumirpc.PropertyDiff_UPDATE, o, n)
		case n.IsObject() && (o.IsObject() || o.IsNull()):
			om := resource.PropertyMap{}
			if o.IsObject() {
				om = o.ObjectValue()
			}
			for _, k := range n.ObjectValue().StableKeys() {
				walk(join(path, string(k)), om[k], n.ObjectValue()[k], oldIn)
			}
		case n.IsArray() && (o.IsArray() || o.IsNull()):
			var oa []resource.PropertyValue
			if o.IsArray() {
				oa = o.ArrayValue()
			}
			na := n.ArrayValue()
			for i := 0; i < len(na) || i < len(oa); i++ {
				p := fmt.Sprintf("%s[%d]", path, i)
				switch {
				case i >= len(na):
					add(p, pulumirpc.PropertyDiff_DELETE, oa[i], resource.NewNullProperty())
				case i >= len(oa):
					walk(p, resource.NewNullProperty(), na[i], oldIn)
				default:
					walk(p, oa[i], na[i], oldIn)
				}
			}
		case n.IsNull():
			// Not set by the program: handled by removed().
		case o.IsNull():
			add(path, pulumirpc.PropertyDiff_ADD, o, n)
		case !o.DeepEquals(n):
			add(path, pulumirpc.PropertyDiff_UPDATE, o, n)
		}
	}
	root := resource.NewObjectProperty(news)
	walk("", resource.NewObjectProperty(olds), root, true)

	// Inputs the program no longer sets: the provider would clear them
	// (Optional, non-Computed fields) — the top-level computed ones keep
	// their value and show no diff.
	computed := map[string]bool{}
	for _, k := range s.Computed {
		computed[k] = true
	}
	var removed func(path string, oi, n, o resource.PropertyValue)
	removed = func(path string, oi, n, o resource.PropertyValue) {
		oi, n, o = unwrap(oi), unwrap(n), unwrap(o)
		if !oi.IsObject() {
			return
		}
		for _, k := range oi.ObjectValue().StableKeys() {
			p := join(path, string(k))
			nv := lookup(n, k)
			ov := lookup(o, k)
			if nv.IsNull() {
				if !oi.ObjectValue()[k].IsNull() && !(path == "" && computed[string(k)]) {
					old := ov
					if old.IsNull() {
						old = oi.ObjectValue()[k]
					}
					add(p, pulumirpc.PropertyDiff_DELETE, old, resource.NewNullProperty())
				}
				continue
			}
			removed(p, oi.ObjectValue()[k], nv, ov)
		}
	}
	removed("", resource.NewObjectProperty(oldInputs), root, resource.NewObjectProperty(olds))
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func lookup(v resource.PropertyValue, k resource.PropertyKey) resource.PropertyValue {
	v = unwrap(v)
	if v.IsObject() {
		if e, ok := v.ObjectValue()[k]; ok {
			return e
		}
	}
	return resource.NewNullProperty()
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func replaceKind(k pulumirpc.PropertyDiff_Kind) pulumirpc.PropertyDiff_Kind {
	switch k {
	case pulumirpc.PropertyDiff_ADD:
		return pulumirpc.PropertyDiff_ADD_REPLACE
	case pulumirpc.PropertyDiff_DELETE:
		return pulumirpc.PropertyDiff_DELETE_REPLACE
	case pulumirpc.PropertyDiff_UPDATE:
		return pulumirpc.PropertyDiff_UPDATE_REPLACE
	}
	return k
}

// topKey is the top-level property of a path ("settings" of
// "settings.tier", "template" of "template.containers[0]").
func topKey(path string) string {
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

// diffResponse turns changes into the engine's answer. A replacement of a
// resource with an explicit name deletes the old one first: Google Cloud
// names are unique, so the new one could not be created beside it (the
// bridge does the same for explicitly named, auto-nameable resources).
func diffResponse(changes []Change, news resource.PropertyMap) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
		HasDetailedDiff: true,
	}
	diffs, replaces := map[string]bool{}, map[string]bool{}
	for _, c := range changes {
		resp.DetailedDiff[c.Path] = &pulumirpc.PropertyDiff{Kind: c.Kind, InputDiff: true}
		diffs[topKey(c.Path)] = true
		if c.Replace {
			replaces[topKey(c.Path)] = true
		}
	}
	if len(changes) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	resp.Diffs = sortedKeys(diffs)
	resp.Replaces = sortedKeys(replaces)
	if len(replaces) > 0 {
		if n := unwrap(news["name"]); n.IsString() && n.StringValue() != "" {
			resp.DeleteBeforeReplace = true
		}
	}
	return resp
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
