package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

func (ex *extraction) readInstance(r *policyx.AnalyzerResource) *sqlInstance {
	p := r.Properties
	inst := &sqlInstance{res: r, name: resourceName(r), complete: true}
	db := capacity.Database{Name: inst.name}
	need := func(path string, dst *string) {
		s, st := get(p, path).str()
		switch st {
		case stOK:
			*dst = s
		case stUnknown:
			inst.complete = false
			ex.unknown(r, path, "instance left out of the capacity analyses")
		}
	}
	need("region", &db.Region)
	need("settings.tier", &db.Tier)
	need("settings.edition", &db.Edition)
	need("settings.availabilityType", &db.Availability)
	if db.Availability == "" {
		db.Availability = capacity.AvailabilityZonal // provider default (docs/gcp-limits.md#cloud-sql-ha)
	}
	if db.Edition == "" {
		// Cloud SQL's default for the version: Enterprise Plus from
		// PostgreSQL 16 (docs/gcp-limits.md#cloud-sql-tiers).
		version, _ := get(p, "databaseVersion").str()
		db.Edition = capacity.DefaultEdition(version)
	}
	switch master, st := get(p, "masterInstanceName").str(); st {
	case stOK:
		db.ReplicaOf = lastSegment(master, ':')
	case stUnknown:
		// The replica's primary is often an output of the primary; fall
		// back to the dependency on exactly one instance.
		if dep := ex.dependencyOfType(r, "masterInstanceName", TypeSQLInstance); dep != nil {
			db.ReplicaOf = resourceName(dep)
		} else {
			inst.complete = false
			ex.unknown(r, "masterInstanceName", "instance left out of the capacity analyses")
		}
	}
	mc, st := maxConnectionsFlag(p)
	switch st {
	case stOK:
		db.MaxConnections = mc
	case stUnknown:
		inst.complete = false
		ex.unknown(r, "settings.databaseFlags[max_connections]", "instance left out of the capacity analyses")
	case stInvalid:
		ex.problem(r, false, "%s: max_connections flag is not an integer; the tier default is assumed", inst.name)
	}
	switch labels, st := get(p, "settings.userLabels").obj(); st {
	case stOK:
		db.Consumers = ex.readConsumers(r, labels)
	case stUnknown:
		inst.complete = false
		ex.unknown(r, "settings.userLabels", "instance left out of the capacity analyses")
	}
	if ip, st := get(p, "privateIpAddress").str(); st == stOK && ip != "" {
		inst.ips = append(inst.ips, ip)
	} else if st == stUnknown {
		inst.ipsUnknown = true
	}
	switch addrs, st := get(p, "ipAddresses").array(); st {
	case stOK:
		for _, a := range addrs {
			if a.IsMap() {
				if ip, st := get(a.AsMap(), "ipAddress").str(); st == stOK && ip != "" {
					inst.ips = append(inst.ips, ip)
				} else if st == stUnknown {
					inst.ipsUnknown = true
				}
			}
		}
	case stUnknown:
		inst.ipsUnknown = true
	}
	ex.readPooling(inst, &db)
	inst.db = db
	return inst
}

// maxConnectionsFlag reads settings.databaseFlags[name=max_connections].
func maxConnectionsFlag(p property.Map) (int, status) {
	flags, st := get(p, "settings.databaseFlags").array()
	if st != stOK {
		return 0, st
	}
	f, ok := kvList(flags)["max_connections"]
	if !ok {
		// A computed element hides whether the flag is there.
		for _, fl := range flags {
			if fl.IsComputed() {
				return 0, stUnknown
			}
		}
		return 0, stMissing
	}
	return f.integer()
}
