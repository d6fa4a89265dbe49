package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// unsetWhenZero lists the keys (by pattern) whose zero value means "not
// set": Values leaves them out, because for several of them an explicit
// zero is invalid (targets must be in (0, 1]) and for the others absence
// and zero mean the same (model default, Cloud Run default, provider
// default, probe job off). Every zero assumption is left out too.
var unsetWhenZero = map[string]bool{
	"database.diskSizeGb":              true,
	"workloads[].cpu":                  true,
	"workloads[].memory":               true,
	"workloads[].ignoreImageChanges":   true,
	"workloads[].public":               true,
	"workloads[].timeoutSeconds":       true,
	"workloads[].executionEnvironment": true,
	"workloads[].startupProbe.path":    true,
	"targets.startupSuccessRate":       true,
	"targets.connectP99Seconds":        true,
	"targets.connectionUtilization":    true,
	"probe.enabled":                    true,
	"probe.image":                      true,
	"probe.workload":                   true,
	"probe.taskCount":                  true,
	"probe.parallelism":                true,
}

// Values renders a Stack in the engine's config form (what Decode takes):
// gcp:project, headroom:environment as plain text, and every other key
// Decode reads (topKeys) as JSON. It is the inverse of Decode for a decoded
// Stack: Decode(s.Name, s.Values()) returns s, defaults included, and with
// the keys of s.SecretConfigKeys() marked secret (pulumi config set
// --secret) the engine hands the program the same Stack, SecretKeys
// included. A section left entirely at its zero value (no targets, no
// assumptions, monitoring and probe job at their defaults) is left out
// unless it was a secret key; so are keys whose zero means unset
// (unsetWhenZero) and null (unset) fields.
func (s Stack) Values() (map[string]string, error) {
	out := map[string]string{ProjectKey: s.Project}
	rv := reflect.ValueOf(s)
	for _, k := range topKeys {
		key := Namespace + ":" + k
		f, _ := fieldByName(rv, k)
		if f.Kind() == reflect.String {
			// Scalars are plain text, as Decode takes them.
			if f.String() != "" || s.SecretKeys[key] {
				out[key] = f.String()
			}
			continue
		}
		b, err := json.Marshal(f.Interface())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		g, err := parseJSON(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		g = prune(path{pattern: k}, f.Type(), g)
		if (g == nil || isEmpty(g)) && !s.SecretKeys[key] {
			continue
		}
		if b, err = json.Marshal(g); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[key] = string(b)
	}
	return out, nil
}

// SecretConfigKeys lists, sorted, the config keys that were set as
// secrets (Stack.SecretKeys): with Values, the config to hand an engine
// run (WithConfig, graph.RunOptions.ConfigSecretKeys) that reproduces s.
func (s Stack) SecretConfigKeys() []string {
	keys := make([]string, 0, len(s.SecretKeys))
	for k, ok := range s.SecretKeys {
		if ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// prune drops, from the JSON form of a value of type t at path p, the
// fields that are null (Decode reads null as unset) and the
// unset-when-zero fields (and every zero assumption). Map keys (regions,
// env, secrets, labels) are names, never pruned.
func prune(p path, t reflect.Type, v any) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, e := range x {
				x[k] = prune(p.key(k), t.Elem(), e)
			}
		case reflect.Struct:
			for k, e := range x {
				sf, ok := structField(t, k)
				if !ok {
					continue
				}
				kp := p.field(k)
				if e == nil || isZero(e) && (unsetWhenZero[kp.pattern] || p.pattern == "assumptions") {
					delete(x, k)
					continue
				}
				x[k] = prune(kp, sf.Type, e)
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range x {
				x[i] = prune(p.index(i), t.Elem(), e)
			}
		}
	}
	return v
}

// structField is the field of struct type t whose config key is name.
func structField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() && f.Tag.Get("json") != "-" && jsonName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	}
	return false
}

// isEmpty: an object with no keys left (a section at its defaults).
func isEmpty(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}
