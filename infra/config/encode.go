package config

import (
	"encoding/json"
	"fmt"
)

// unsetWhenZero lists the keys (by pattern) whose zero value means "not
// set": Values leaves them out, because for several of them an explicit
// zero is invalid (targets must be in (0, 1]) and for the others absence
// and zero mean the same (model default, Cloud Run default, provider
// default).
var unsetWhenZero = map[string]bool{
	"database.diskSizeGb":           true,
	"workloads[].cpu":               true,
	"workloads[].memory":            true,
	"workloads[].startupProbe.path": true,
	"targets.startupSuccessRate":    true,
	"targets.connectP99Seconds":     true,
	"targets.connectionUtilization": true,
}

// Values renders a Stack in the engine's config form (what Decode takes):
// the inverse of Decode for a decoded Stack, so Decode(s.Name, s.Values())
// returns s. Tests and tools use it to build config from Go values.
// Assumptions equal to zero (model defaults) are left out.
func (s Stack) Values() (map[string]string, error) {
	out := map[string]string{ProjectKey: s.Project}
	if s.Environment != "" {
		out[Namespace+":environment"] = s.Environment
	}
	parts := []struct {
		key string
		v   any
	}{
		{"network", s.Network},
		{"database", s.Database},
		{"workloads", s.Workloads},
		{"targets", s.Targets},
		{"assumptions", s.Assumptions},
	}
	for _, p := range parts {
		b, err := json.Marshal(p.v)
		if err != nil {
			return nil, fmt.Errorf("headroom:%s: %w", p.key, err)
		}
		g, err := parseJSON(string(b))
		if err != nil {
			return nil, fmt.Errorf("headroom:%s: %w", p.key, err)
		}
		g = prune(path{pattern: p.key}, g)
		if m, ok := g.(map[string]any); ok && len(m) == 0 && (p.key == "targets" || p.key == "assumptions") {
			continue
		}
		if b, err = json.Marshal(g); err != nil {
			return nil, fmt.Errorf("headroom:%s: %w", p.key, err)
		}
		out[Namespace+":"+p.key] = string(b)
	}
	return out, nil
}

// prune drops unset-when-zero keys (and every zero assumption).
func prune(p path, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			var kp path
			if p.pattern == "network.regions" {
				kp = p.key(k)
			} else {
				kp = p.field(k)
			}
			if isZero(e) && (unsetWhenZero[kp.pattern] || p.pattern == "assumptions") {
				delete(x, k)
				continue
			}
			x[k] = prune(kp, e)
		}
	case []any:
		for i, e := range x {
			x[i] = prune(p.index(i), e)
		}
	}
	return v
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	}
	return false
}
