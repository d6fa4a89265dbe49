package pack

import (
	"fmt"
	"math"

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

// judgeManagedPooling reports, for every instance with pooling on: a
// mandatory finding when its edition cannot have it (Google rejects the
// instance), otherwise the pooling arithmetic at full scale — clients of
// the services bound to it against the poolers, and the server connections
// the poolers may open against the allowed connections. Each service is
// taken as its own database/user pair (the most server connections).
func (ex *extraction) judgeManagedPooling(cfg Config) {
	for _, inst := range ex.g.instances {
		if inst.imported {
			continue // the owning stack's preview judges its pooling
		}
		r := inst.res
		mp, on, st, err := readManagedPooling(r.Properties)
		switch {
		case st == stUnknown:
			ex.unknown(r, "settings.connectionPoolConfigs", "Managed Connection Pooling not judged")
			continue
		case err != nil:
			ex.problem(r, false, "%s: Managed Connection Pooling: %v", inst.name, err)
			continue
		case !on || !inst.complete:
			continue
		}
		db := inst.db
		edition := capacity.EffectiveEdition(db.Edition, "")
		if !capacity.ManagedPoolingSupported(edition) {
			ex.problem(r, false, "%s: Managed Connection Pooling is enabled on a %s instance; it needs Enterprise Plus, so Google rejects it (docs/gcp-limits.md#managed-connection-pooling)", inst.name, edition)
			continue
		}
		tier, err := capacity.ParseTier(db.Tier)
		if err != nil {
			continue // the tier's own finding says why
		}
		maxConns := db.MaxConnections
		if maxConns == 0 {
			maxConns = capacity.DefaultMaxConnections(tier)
		}
		a := cfg.Assumptions.WithDefaults()
		t := cfg.Targets.WithDefaults()
		allowed := int(math.Floor(float64(maxConns-a.ReservedConnections) * t.ConnectionUtilization))
		var pairs []capacity.PairDemand
		for _, w := range ex.topo.Workloads {
			if w.Database != db.Name {
				continue
			}
			n := w.MaxInstances
			if n == 0 {
				n = capacity.CloudRunDefaultMaxInstances
			}
			pairs = append(pairs, capacity.PairDemand{Database: db.Name, User: w.Name + "/" + w.Region, Clients: n * w.ConnectionsPerInstance()})
		}
		v := capacity.CheckManagedPooling(tier.VCPUs, mp, allowed, pairs)
		clients := "max_client_connections unset (Google's default not verified): clients not judged"
		if v.ClientsJudged {
			clients = fmt.Sprintf("%d clients against %d poolers × %d = %d", v.Clients, v.Poolers, mp.MaxClientConnections, v.ClientCapacity)
		}
		msg := fmt.Sprintf("%s: Managed Connection Pooling: %s; %d server connections (per service min(clients, %d poolers × max_pool_size)) against %d allowed",
			inst.name, clients, v.ServerConnections, v.Poolers, allowed)
		fits := v.ServerFits && (!v.ClientsJudged || v.ClientsFit)
		if fits && v.ClientsJudged {
			continue
		}
		ex.problem(r, fits, "%s", msg)
	}
}
