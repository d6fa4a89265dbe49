package pack

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// Managed Connection Pooling as pulumi-gcp ≥ 8.30 declares it on a Cloud SQL
// instance: settings.connectionPoolConfigs (a list of one) or
// settings.connectionPoolConfig (an object), each with
// connectionPoolingEnabled and flags [{name, value}]
// (docs/gcp-limits.md#managed-connection-pooling). Our own program, on
// pulumi-gcp v7.38.0, cannot declare it.

// poolConfigPaths are where the config may sit, newest shape first.
var poolConfigPaths = []string{"settings.connectionPoolConfigs", "settings.connectionPoolConfig"}

// readManagedPooling reads an instance's pooling config: ok is false when it
// is absent or disabled; st is stUnknown when a value is unknown.
func readManagedPooling(p property.Map) (capacity.ManagedPooling, bool, status, error) {
	for _, path := range poolConfigPaths {
		f := get(p, path)
		switch f.st {
		case stMissing:
			continue
		case stUnknown:
			return capacity.ManagedPooling{}, false, stUnknown, nil
		}
		cfg := f.v
		if cfg.IsArray() {
			if cfg.AsArray().Len() == 0 {
				continue
			}
			cfg = cfg.AsArray().Get(0)
		}
		c := classify(cfg)
		if c.st == stUnknown {
			return capacity.ManagedPooling{}, false, stUnknown, nil
		}
		if !cfg.IsMap() {
			return capacity.ManagedPooling{}, false, stInvalid, fmt.Errorf("%s: not an object", path)
		}
		m := cfg.AsMap()
		enabled, st := get(m, "connectionPoolingEnabled").boolean()
		switch st {
		case stUnknown:
			return capacity.ManagedPooling{}, false, stUnknown, nil
		case stMissing, stInvalid:
			return capacity.ManagedPooling{}, false, stOK, nil
		}
		if !enabled {
			return capacity.ManagedPooling{}, false, stOK, nil
		}
		flags := map[string]string{}
		if arr, st := get(m, "flags").array(); st == stUnknown {
			return capacity.ManagedPooling{}, false, stUnknown, nil
		} else if st == stOK {
			for _, e := range arr {
				if !e.IsMap() {
					continue
				}
				name, s1 := get(e.AsMap(), "name").str()
				value, s2 := get(e.AsMap(), "value").text()
				if s1 == stUnknown || s2 == stUnknown {
					return capacity.ManagedPooling{}, false, stUnknown, nil
				}
				if s1 == stOK && s2 == stOK {
					flags[name] = value
				}
			}
		}
		mp, err := capacity.ParseManagedPoolingFlags(flags)
		if err != nil {
			return capacity.ManagedPooling{}, false, stInvalid, err
		}
		return mp, true, stOK, nil
	}
	return capacity.ManagedPooling{}, false, stMissing, nil
}

// readPooling sets db.Pooling from the instance's pooling config when it is
// on and its edition can have it; the capacity model then judges the
// pooling arithmetic in every scenario (clients against the poolers,
// server connections through them against max_connections). An unknown
// config, a bad flag or an edition without pooling leave the instance
// judged as if unpooled (the most server connections), the last two with
// a mandatory finding: Google rejects the instance.
func (ex *extraction) readPooling(inst *sqlInstance, db *capacity.Database) {
	r := inst.res
	mp, on, st, err := readManagedPooling(r.Properties)
	switch {
	case st == stUnknown:
		ex.unknown(r, "settings.connectionPoolConfigs", "Managed Connection Pooling not judged; the instance is judged without it")
		return
	case err != nil:
		ex.problem(r, false, "%s: Managed Connection Pooling: %v", inst.name, err)
		return
	case !on || !inst.complete:
		return // an incomplete instance is left out of the analyses
	}
	if edition := capacity.EffectiveEdition(db.Edition, ""); !capacity.ManagedPoolingSupported(edition) {
		ex.problem(r, false, "%s: Managed Connection Pooling is enabled on a %s instance; it needs Enterprise Plus, so Google rejects it (docs/gcp-limits.md#managed-connection-pooling)", inst.name, edition)
		return
	}
	db.Pooling = &mp
}
