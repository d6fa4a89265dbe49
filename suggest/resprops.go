package suggest

import (
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/ingest"
)

// Reading and editing a resource's property map (suggest on a preview or
// state). property.Map is immutable: every edit returns a new map and
// leaves the resources of the plan as they were. A value the file holds as
// a secret stays one.

// propText is a known string or number as text ("" otherwise).
func propText(v property.Value) (string, bool) {
	switch {
	case v.IsComputed():
		return "", false
	case v.IsString():
		return v.AsString(), v.AsString() != ingest.RedactedSecret
	case v.IsNumber():
		return strconv.FormatFloat(v.AsNumber(), 'f', -1, 64), true
	}
	return "", false
}

// propInt is a known integer (number or numeric string).
func propInt(v property.Value) (int, bool) {
	s, ok := propText(v)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}

// setProp sets path in m (creating maps on the way), keeping the old
// value's secretness.
func setProp(m property.Map, v property.Value, path ...string) property.Map {
	old, _ := m.GetOk(path[0])
	if len(path) == 1 {
		return m.Set(path[0], v.WithSecret(old.Secret() || v.Secret()))
	}
	child := property.Map{}
	if old.IsMap() {
		child = old.AsMap()
	}
	return m.Set(path[0], property.New(setProp(child, v, path[1:]...)).WithSecret(old.Secret()))
}

// resourceDisplayName is the pack's name of a resource: its GCP name
// property, else its logical name.
func resourceDisplayName(r *policyx.AnalyzerResource) string {
	if s, ok := propText(ingest.At(r.Properties, "name")); ok && s != "" {
		return s
	}
	return r.Name
}

// mainContainerIndex is the container the pack reads env from: the first
// that declares env vars, else the first; -1 when there is none.
func mainContainerIndex(p property.Map) int {
	cs := ingest.At(p, "template", "containers")
	if !cs.IsArray() {
		return -1
	}
	first := -1
	for i, c := range cs.AsArray().AsSlice() {
		if !c.IsMap() {
			continue
		}
		if first < 0 {
			first = i
		}
		if e := ingest.At(c.AsMap(), "envs"); e.IsArray() && e.AsArray().Len() > 0 {
			return i
		}
	}
	return first
}

// containerOf reads container i as the framework catalog's plain view
// (known env values; secrets and unknowns by name only).
func containerOf(p property.Map, i int) contract.Container {
	out := contract.Container{Env: map[string]string{}, Opaque: map[string]string{}}
	cs := ingest.At(p, "template", "containers")
	if i < 0 || !cs.IsArray() || i >= cs.AsArray().Len() || !cs.AsArray().Get(i).IsMap() {
		return out
	}
	c := cs.AsArray().Get(i).AsMap()
	if envs := ingest.At(c, "envs"); envs.IsArray() {
		for _, e := range envs.AsArray().AsSlice() {
			if !e.IsMap() {
				continue
			}
			name, ok := propText(ingest.At(e.AsMap(), "name"))
			if !ok {
				continue
			}
			v := ingest.At(e.AsMap(), "value")
			if s, ok := propText(v); ok {
				out.Env[name] = s
				continue
			}
			switch {
			case v.IsComputed() || v.IsString():
				out.Opaque[name] = "unknown until apply"
			default:
				if secret, ok := propText(ingest.At(e.AsMap(), "valueSource", "secretKeyRef", "secret")); ok {
					out.Opaque[name] = "from Secret Manager secret " + secret[strings.LastIndexByte(secret, '/')+1:]
				} else if !ingest.At(e.AsMap(), "valueSource").IsNull() {
					out.Opaque[name] = "from Secret Manager"
				}
			}
		}
	}
	for _, k := range []string{"commands", "args"} {
		if a := ingest.At(c, k); a.IsArray() {
			for _, x := range a.AsArray().AsSlice() {
				if s, ok := propText(x); ok {
					if k == "commands" {
						out.Command = append(out.Command, s)
					} else {
						out.Args = append(out.Args, s)
					}
				}
			}
		}
	}
	if s, ok := propText(ingest.At(c, "resources", "limits", "cpu")); ok {
		out.VCPU, _ = contract.ParseCPU(s)
	}
	return out
}

// setEnv sets env var name of container ci to value (appending it when
// the container does not declare it).
func setEnv(p property.Map, ci int, name, value string) property.Map {
	cs := ingest.At(p, "template", "containers")
	if !cs.IsArray() || ci < 0 || ci >= cs.AsArray().Len() {
		return p
	}
	list := cs.AsArray().AsSlice()
	c := list[ci].AsMap()
	var envs []property.Value
	if e := ingest.At(c, "envs"); e.IsArray() {
		envs = e.AsArray().AsSlice()
	}
	done := false
	for i, e := range envs {
		if !e.IsMap() {
			continue
		}
		if n, _ := propText(ingest.At(e.AsMap(), "name")); n == name {
			old := ingest.At(e.AsMap(), "value")
			envs[i] = property.New(e.AsMap().Set("value", property.New(value).WithSecret(old.Secret())).Delete("valueSource"))
			done = true
		}
	}
	if !done {
		envs = append(envs, property.New(map[string]property.Value{"name": property.New(name), "value": property.New(value)}))
	}
	list[ci] = property.New(c.Set("envs", property.New(envs)))
	return setProp(p, property.New(list), "template", "containers")
}

// setDatabaseFlag sets settings.databaseFlags[name] to value.
func setDatabaseFlag(p property.Map, name, value string) property.Map {
	var flags []property.Value
	if f := ingest.At(p, "settings", "databaseFlags"); f.IsArray() {
		flags = f.AsArray().AsSlice()
	}
	done := false
	for i, f := range flags {
		if f.IsMap() {
			if n, _ := propText(ingest.At(f.AsMap(), "name")); n == name {
				flags[i] = property.New(f.AsMap().Set("value", property.New(value)))
				done = true
			}
		}
	}
	if !done {
		flags = append(flags, property.New(map[string]property.Value{"name": property.New(name), "value": property.New(value)}))
	}
	return setProp(p, property.New(flags), "settings", "databaseFlags")
}

// databaseFlag reads settings.databaseFlags[name].
func databaseFlag(p property.Map, name string) (string, bool) {
	if f := ingest.At(p, "settings", "databaseFlags"); f.IsArray() {
		for _, x := range f.AsArray().AsSlice() {
			if x.IsMap() {
				if n, _ := propText(ingest.At(x.AsMap(), "name")); n == name {
					return propText(ingest.At(x.AsMap(), "value"))
				}
			}
		}
	}
	return "", false
}
