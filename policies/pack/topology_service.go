package pack

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// envOf returns the env vars of the first container that declares any, and
// whether the envs list itself is unknown.
func envOf(p property.Map) (map[string]field, status) {
	containers, st := get(p, "template.containers").array()
	if st != stOK {
		return nil, st
	}
	for _, c := range containers {
		if c.IsComputed() {
			return nil, stUnknown
		}
		if !c.IsMap() {
			continue
		}
		envs, st := get(c.AsMap(), "envs").array()
		if st == stUnknown {
			return nil, stUnknown
		}
		if st == stOK && len(envs) > 0 {
			return kvList(envs), stOK
		}
	}
	return map[string]field{}, stOK
}

// hasDBContract reports whether a service declares Headroom's DB_* pool
// contract. DB_HOST alone (and DB_POOL, Rails' convention) is common in any
// program and does not make one: such a service is read through the
// framework catalog (topology_foreign.go).
func hasDBContract(env map[string]field) bool {
	for _, k := range contractEnv {
		if _, ok := env[k]; ok {
			return true
		}
	}
	return false
}

// contractEnv are the env names only Headroom's contract uses.
var contractEnv = []string{envInstance, envPoolSize, envMaxOverflow, envStartupConns, envConnectTimeout,
	contract.EnvDBProcesses, contract.EnvDBExtraPools}

// readService converts one Cloud Run service into a workload. ok is false
// when the service is left out of the topology (an unknown or an
// unresolvable reference was reported instead).
func (ex *extraction) readService(r *policyx.AnalyzerResource) (capacity.Workload, *subnet, bool) {
	p := r.Properties
	w := capacity.Workload{Name: resourceName(r), Method: capacity.MethodPrivateIP, Egress: capacity.EgressNone}
	ok := true
	miss := func(path string) {
		ok = false
		ex.unknown(r, path, "service left out of the capacity analyses")
	}
	switch s, st := get(p, "location").str(); st {
	case stOK:
		w.Region = s
	case stUnknown:
		miss("location")
	default:
		ex.problem(r, false, "service %s has no location", w.Name)
		ok = false
	}
	w.Group = w.Name
	if g, st := get(p, "labels").obj(); st == stOK {
		if s, st := key(g, labelWorkload).str(); st == stOK && s != "" {
			w.Group = s
		}
	}
	ints := []struct {
		path string
		dst  *int
	}{
		{"template.scaling.minInstanceCount", &w.MinInstances},
		{"template.scaling.maxInstanceCount", &w.MaxInstances},
		{"template.maxInstanceRequestConcurrency", &w.Concurrency},
	}
	for _, f := range ints {
		switch n, st := get(p, f.path).integer(); st {
		case stOK:
			*f.dst = n
		case stUnknown:
			miss(f.path)
		case stInvalid:
			ok = false
			ex.problem(r, false, "service %s: %s is not an integer", w.Name, f.path)
		}
	}
	// pulumi-gcp v9+: a service-level cap across revisions.
	switch n, st := get(p, serviceMaxInstancesPath).integer(); st {
	case stOK:
		if n > 0 && (w.MaxInstances == 0 || n < w.MaxInstances) {
			w.MaxInstances = n
		}
	case stUnknown:
		miss(serviceMaxInstancesPath)
	}
	if ann, st := get(p, "annotations").obj(); st == stOK {
		switch v, st := key(ann, annotationEgress).num(); st {
		case stOK:
			w.EgressMbpsPerInstance = v
		case stUnknown:
			miss("annotations." + annotationEgress)
		case stInvalid:
			ex.problem(r, false, "service %s: annotation %s is not a number", w.Name, annotationEgress)
		case stMissing:
			if v, ok := ex.egressOverride(r, w.Name); ok {
				w.EgressMbpsPerInstance = v
			} else {
				ex.problem(r, true, "service %s has no %s annotation; egress-headroom counts it as 0 Mbps", w.Name, annotationEgress)
			}
		}
		// Deploy style: absent means latest, the worst case; a value we do
		// not know is judged as latest too, and said so.
		switch v, st := key(ann, contract.AnnotationDeployStyle).str(); st {
		case stOK:
			style, err := capacity.ParseDeployStyle(v)
			if err != nil {
				ex.problem(r, true, "service %s: annotation %s: %v; judged as %s", w.Name, contract.AnnotationDeployStyle, err, capacity.DeployLatest)
				style = capacity.DeployLatest
			}
			w.Deploy = style
		case stUnknown:
			miss("annotations." + contract.AnnotationDeployStyle)
		}
	} else if v, ok := ex.egressOverride(r, w.Name); ok {
		w.EgressMbpsPerInstance = v
	} else {
		ex.problem(r, true, "service %s has no %s annotation; egress-headroom counts it as 0 Mbps", w.Name, annotationEgress)
	}

	// Egress path.
	var direct *subnet
	switch conn, st := get(p, "template.vpcAccess.connector").str(); {
	case st == stOK && conn != "":
		w.Egress = capacity.EgressConnector
		w.EgressName = lastSegment(conn, '/')
		if c := ex.connectorNamed(w.EgressName, w.Region); c == nil {
			if dep := ex.dependencyOfType(r, "template", TypeConnector); dep != nil {
				w.EgressName = resourceName(dep)
			} else {
				ex.problem(r, false, "service %s uses connector %q, which is not in the stack", w.Name, w.EgressName)
			}
		}
	case st == stUnknown:
		if dep := ex.dependencyOfType(r, "template", TypeConnector); dep != nil {
			w.Egress = capacity.EgressConnector
			w.EgressName = resourceName(dep)
		} else {
			miss("template.vpcAccess.connector")
		}
	default:
		nis, st := get(p, "template.vpcAccess.networkInterfaces").array()
		switch {
		case st == stUnknown:
			miss("template.vpcAccess.networkInterfaces")
		case st == stOK && len(nis) > 0:
			w.Egress = capacity.EgressDirect
			var sn string
			var sst status = stMissing
			if nis[0].IsMap() {
				sn, sst = get(nis[0].AsMap(), "subnetwork").str()
			} else if nis[0].IsComputed() {
				sst = stUnknown
			}
			name := lastSegment(sn, '/')
			if sst == stOK {
				direct = ex.subnetNamed(name, w.Region)
			}
			if direct == nil {
				if dep := ex.dependencyOfType(r, "template", TypeSubnetwork); dep != nil {
					for _, s := range ex.g.subnets {
						if s.res == dep {
							direct = s
						}
					}
				}
			}
			switch {
			case direct != nil:
				w.EgressName = direct.name
				if direct.cidr == "" {
					miss("ipCidrRange of subnet " + direct.name)
					direct = nil
				}
			case sst == stUnknown:
				miss("template.vpcAccess.networkInterfaces[0].subnetwork")
			default:
				ok = false
				ex.problem(r, false, "service %s uses Direct VPC egress into subnet %q, which is not in the stack", w.Name, name)
			}
		}
	}

	// Connection method: a mounted cloudSqlInstance volume means Cloud
	// Run's built-in connection (capped per instance, docs/gcp-limits.md#builtin-connection-cap).
	if vols, st := get(p, "template.volumes").array(); st == stOK {
		for _, v := range vols {
			if v.IsMap() {
				if inst, st := get(v.AsMap(), "cloudSqlInstance.instances").array(); st == stOK && len(inst) > 0 {
					w.Method = capacity.MethodBuiltin
				}
			}
		}
	}

	env, est := envOf(p)
	switch est {
	case stUnknown:
		miss("template.containers[].envs")
		return w, direct, false
	case stOK:
	default:
		env = map[string]field{}
	}
	if !hasDBContract(env) {
		if !ex.readForeign(r, p, &w, miss) {
			ok = false
		}
		if ok && w.Database != "" {
			ex.readServiceProbe(p, &w, miss)
		}
		return w, direct, ok
	}
	poolInts := []struct {
		key string
		dst *int
	}{
		{envPoolSize, &w.PoolSize},
		{envMaxOverflow, &w.MaxOverflow},
		{envStartupConns, &w.StartupConnections},
	}
	for _, f := range poolInts {
		fv, present := env[f.key]
		if !present {
			// cloudrun-db-pool-contract reports the missing variable.
			continue
		}
		switch n, st := fv.integer(); st {
		case stOK:
			*f.dst = n
		case stUnknown:
			miss("env " + f.key)
		}
	}
	ex.readDemand(r, env, &w, miss)
	if fv, present := env[envConnectTimeout]; present {
		switch t, st := fv.text(); st {
		case stOK:
			// A malformed value is cloudrun-db-pool-contract's to report.
			if v, err := capacity.ParseConnectTimeout(t); err == nil {
				w.ConnectTimeoutSeconds = v
			}
		case stUnknown:
			miss("env " + envConnectTimeout)
		}
	}
	ex.readServiceProbe(p, &w, miss)

	db, dst := ex.resolveDatabase(r, env)
	switch dst {
	case stOK:
		w.Database = db
	case stUnknown:
		miss("env DB_HOST/DB_INSTANCE")
	default:
		ok = false
		ex.problem(r, false, "service %s declares a database contract but its target resolves to no single Cloud SQL instance "+
			"(set DB_INSTANCE to \"<project>:<region>:<instance>\" or DB_HOST to the instance's private IP)", w.Name)
	}
	return w, direct, ok
}

// readServiceProbe reads the service's startup probe into w.
func (ex *extraction) readServiceProbe(p property.Map, w *capacity.Workload, miss func(string)) {
	switch probe, st := startupProbe(p); st {
	case stOK:
		pr, path, pst := readProbe(probe)
		switch pst {
		case stOK:
			w.StartupProbe = pr
		case stUnknown:
			miss("startupProbe." + path)
		}
		// An HTTP startup probe (path "/" when unset) can test the database;
		// a TCP one passes as soon as the port is bound.
		switch hg, hst := get(probe, "httpGet").obj(); hst {
		case stOK:
			w.StartupProbe.Path = "/"
			if path, pst := get(hg, "path").str(); pst == stOK && path != "" {
				w.StartupProbe.Path = path
			}
		case stUnknown:
			miss("startupProbe.httpGet")
		}
	case stUnknown:
		miss("template.containers[0].startupProbe")
	}
}

// startupProbe returns the startup probe of the first container that has one.
func startupProbe(p property.Map) (property.Map, status) {
	containers, st := get(p, "template.containers").array()
	if st != stOK {
		return property.Map{}, st
	}
	for _, c := range containers {
		if !c.IsMap() {
			if c.IsComputed() {
				return property.Map{}, stUnknown
			}
			continue
		}
		probe, st := get(c.AsMap(), "startupProbe").obj()
		if st == stOK || st == stUnknown {
			return probe, st
		}
	}
	return property.Map{}, stMissing
}

// resolveDatabase applies the target resolution order of the resource
// conventions: DB_HOST equals an instance's private IP; DB_INSTANCE's last
// segment names an instance; the service depends on exactly one instance.
func (ex *extraction) resolveDatabase(r *policyx.AnalyzerResource, env map[string]field) (string, status) {
	unknown := false
	if f, ok := env[envHost]; ok {
		host, st := f.str()
		if st == stUnknown {
			unknown = true
		}
		if st == stOK {
			for _, inst := range ex.g.instances {
				for _, ip := range inst.ips {
					if ip == host {
						return inst.name, stOK
					}
				}
				// Not known before the instance exists: judge it once known
				// rather than refuse a target that may be this instance.
				if inst.ipsUnknown {
					unknown = true
				}
			}
		}
	}
	if f, ok := env[envInstance]; ok {
		conn, st := f.str()
		if st == stUnknown {
			unknown = true
		}
		if st == stOK {
			name := lastSegment(conn, ':')
			for _, inst := range ex.g.instances {
				if inst.name == name {
					return inst.name, stOK
				}
			}
		}
	}
	if dep := ex.dependencyOfType(r, "", TypeSQLInstance); dep != nil {
		return resourceName(dep), stOK
	}
	if unknown || ex.refPending != "" {
		return "", stUnknown
	}
	return "", stMissing
}

// dependencyOfType returns the single resource of type typ that r depends on
// (through key's property dependencies, or any dependency when key is "" or
// has none), or nil when there is none or more than one.
func (ex *extraction) dependencyOfType(r *policyx.AnalyzerResource, key, typ string) *policyx.AnalyzerResource {
	var urns []string
	if key != "" {
		urns = append(urns, r.PropertyDependencies[key]...)
	}
	if len(urns) == 0 {
		urns = append(urns, r.Dependencies...)
		keys := make([]string, 0, len(r.PropertyDependencies))
		for k := range r.PropertyDependencies {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			urns = append(urns, r.PropertyDependencies[k]...)
		}
	}
	var found *policyx.AnalyzerResource
	for _, u := range urns {
		dep, ok := ex.g.byURN[u]
		if !ok || dep.Type != typ {
			continue
		}
		if found != nil && found != dep {
			return nil
		}
		found = dep
	}
	return found
}
