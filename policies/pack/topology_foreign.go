package pack

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// Services that do not carry Headroom's DB_* contract ("foreign" programs:
// any team's Pulumi program, in any language) are read through the
// framework catalog (contract.ReadDemand): the pool and worker settings a
// framework keeps in env, args and command, its defaults where nothing is
// set, and the database found in a connection string, a Cloud SQL volume or
// annotation, a proxy sidecar's arguments or DB_HOST. What cannot be read
// becomes a cloudrun-db-demand-readable finding, never a silent zero.

// annotationCloudSQLInstances is Cloud Run's (v1) list of Cloud SQL
// connection names; teams carry it over to v2 services' annotations.
const annotationCloudSQLInstances = "run.googleapis.com/cloudsql-instances"

// demandNote is one finding of cloudrun-db-demand-readable.
type demandNote struct {
	urn, msg string
	// info notes (an assumed default, counted in the analyses) are
	// advisory whatever the policy's level.
	info bool
}

func (ex *extraction) note(r *policyx.AnalyzerResource, info bool, format string, args ...any) {
	ex.notes = append(ex.notes, demandNote{urn: r.URN, msg: fmt.Sprintf(format, args...), info: info})
}

// mainContainer returns the container whose env is read (the first that
// declares env vars, else the first), and whether the list is unknown.
func mainContainer(p property.Map) (property.Map, status) {
	containers, st := get(p, "template.containers").array()
	if st != stOK {
		return property.Map{}, st
	}
	var first *property.Map
	for _, c := range containers {
		if c.IsComputed() {
			return property.Map{}, stUnknown
		}
		if !c.IsMap() {
			continue
		}
		m := c.AsMap()
		if first == nil {
			first = &m
		}
		if envs, st := get(m, "envs").array(); st == stOK && len(envs) > 0 {
			return m, stOK
		}
	}
	if first == nil {
		return property.Map{}, stMissing
	}
	return *first, stOK
}

// readContainer converts a container into the catalog's plain view.
func readContainer(c property.Map) contract.Container {
	out := contract.Container{Env: map[string]string{}, Opaque: map[string]string{}}
	if envs, st := get(c, "envs").array(); st == stOK {
		for _, e := range envs {
			if !e.IsMap() {
				continue
			}
			m := e.AsMap()
			name, st := get(m, "name").str()
			if st != stOK {
				continue
			}
			switch v, vst := get(m, "value").text(); vst {
			case stOK:
				out.Env[name] = v
				continue
			case stUnknown:
				out.Opaque[name] = "unknown until apply"
				continue
			}
			switch ref, rst := get(m, "valueSource.secretKeyRef").obj(); rst {
			case stOK:
				secret, _ := get(ref, "secret").str()
				out.Opaque[name] = "from Secret Manager secret " + lastSegment(secret, '/')
			case stUnknown:
				out.Opaque[name] = "from Secret Manager"
			}
		}
	}
	out.Command = strList(get(c, "commands"))
	out.Args = strList(get(c, "args"))
	if cpu, st := get(c, "resources.limits").obj(); st == stOK {
		if s, st := key(cpu, "cpu").text(); st == stOK {
			if v, ok := contract.ParseCPU(s); ok {
				out.VCPU = v
			}
		}
	}
	return out
}

func strList(f field) []string {
	items, st := f.array()
	if st != stOK {
		return nil
	}
	var out []string
	for _, it := range items {
		if it.IsString() {
			out = append(out, it.AsString())
		}
	}
	return out
}

// cloudSQLNames collects the Cloud SQL connection names a service names
// outside its connection strings: a cloudSqlInstance volume, the
// cloudsql-instances annotation (service or template), and a Cloud SQL Auth
// Proxy sidecar's arguments. unknown is true when one of them is computed.
func cloudSQLNames(p property.Map) (names []string, unknown bool) {
	if vols, st := get(p, "template.volumes").array(); st == stOK {
		for _, v := range vols {
			if !v.IsMap() {
				continue
			}
			switch inst, st := get(v.AsMap(), "cloudSqlInstance.instances").array(); st {
			case stOK:
				for _, i := range inst {
					if i.IsComputed() {
						unknown = true
					} else if i.IsString() {
						names = append(names, i.AsString())
					}
				}
			case stUnknown:
				unknown = true
			}
		}
	} else if st == stUnknown {
		unknown = true
	}
	for _, path := range []string{"annotations", "template.annotations"} {
		if ann, st := get(p, path).obj(); st == stOK {
			switch s, st := key(ann, annotationCloudSQLInstances).str(); st {
			case stOK:
				for _, n := range strings.Split(s, ",") {
					if n = strings.TrimSpace(n); n != "" {
						names = append(names, n)
					}
				}
			case stUnknown:
				unknown = true
			}
		}
	}
	if containers, st := get(p, "template.containers").array(); st == stOK {
		for _, c := range containers {
			if !c.IsMap() {
				continue
			}
			for _, path := range []string{"args", "commands"} {
				for _, a := range strList(get(c.AsMap(), path)) {
					a = strings.TrimPrefix(strings.TrimPrefix(a, "--instances="), "-instances=")
					a, _, _ = strings.Cut(a, "?")
					a, _, _ = strings.Cut(a, "=")
					if contract.IsConnectionName(a) {
						names = append(names, a)
					}
				}
			}
		}
	}
	return names, unknown
}

// overrideOf merges the service's own override annotations and labels with
// the pack config's entry (which wins).
func (ex *extraction) overrideOf(r *policyx.AnalyzerResource, name string) (ServiceOverride, []string) {
	var o ServiceOverride
	var bad []string
	p := r.Properties
	for _, src := range []struct {
		path   string
		keyFor func(string) string
	}{
		{"labels", contract.OverrideLabel},
		{"annotations", contract.OverrideAnnotation},
	} {
		m, st := get(p, src.path).obj()
		if st != stOK {
			continue
		}
		ints := []struct {
			key string
			dst **int
			min int
		}{
			{contract.OverridePoolSize, &o.PoolSize, 1}, {contract.OverrideMaxOverflow, &o.MaxOverflow, 0},
			{contract.OverrideProcesses, &o.Processes, 1}, {contract.OverrideStartupConnections, &o.StartupConnections, 0},
		}
		for _, f := range ints {
			k := src.keyFor(f.key)
			switch n, st := key(m, k).integer(); st {
			case stOK:
				if n >= f.min {
					v := n
					*f.dst = &v
				} else {
					bad = append(bad, fmt.Sprintf("%s %s must be an integer ≥ %d, is %d", strings.TrimSuffix(src.path, "s"), k, f.min, n))
				}
			case stInvalid:
				bad = append(bad, fmt.Sprintf("%s %s must be an integer ≥ %d", strings.TrimSuffix(src.path, "s"), k, f.min))
			}
		}
		if s, st := key(m, src.keyFor(contract.OverrideDatabase)).str(); st == stOK && s != "" {
			o.Database = s
		}
	}
	cfgO, ok := ex.cfg.Services[name]
	if !ok && r.Name != "" {
		cfgO, ok = ex.cfg.Services[r.Name]
	}
	if ok {
		if cfgO.PoolSize != nil {
			o.PoolSize = cfgO.PoolSize
		}
		if cfgO.MaxOverflow != nil {
			o.MaxOverflow = cfgO.MaxOverflow
		}
		if cfgO.Processes != nil {
			o.Processes = cfgO.Processes
		}
		if cfgO.StartupConnections != nil {
			o.StartupConnections = cfgO.StartupConnections
		}
		if cfgO.EgressMbpsPerInstance != nil {
			o.EgressMbpsPerInstance = cfgO.EgressMbpsPerInstance
		}
		if cfgO.Database != "" {
			o.Database = cfgO.Database
		}
	}
	return o, bad
}

func (o ServiceOverride) any() bool {
	return o.PoolSize != nil || o.MaxOverflow != nil || o.Processes != nil || o.StartupConnections != nil || o.Database != ""
}

// readForeign reads the demand and database of a service without the DB_*
// contract into w. It returns false when the service is left out of the
// analyses (an unknown or a note was reported instead).
func (ex *extraction) readForeign(r *policyx.AnalyzerResource, p property.Map, w *capacity.Workload, miss func(string)) bool {
	cm, cst := mainContainer(p)
	if cst == stUnknown {
		miss("template.containers")
		return false
	}
	c := readContainer(cm)
	d := contract.ReadDemand(c)
	o, bad := ex.overrideOf(r, w.Name)
	for _, b := range bad {
		ex.note(r, false, "service %s: %s; ignored", w.Name, b)
	}
	names, namesUnknown := cloudSQLNames(p)
	_, hasHost := c.Env[envHost]
	if !d.UsesPostgres && len(names) == 0 && !namesUnknown && !o.any() && len(d.Opaque) == 0 && !hasHost {
		return true // no database
	}
	ok := true
	// A DB-looking env value unknown until apply: the demand or the
	// target may hide in it, so the service cannot be judged yet.
	for _, k := range sortedKeys(c.Opaque) {
		if c.Opaque[k] == "unknown until apply" && contract.IsDBEnvName(k) {
			miss("env " + k)
			ok = false
		}
	}
	if !ok {
		return false
	}

	// Demand: the catalog, then the overrides.
	w.PoolSize, w.MaxOverflow, w.StartupConnections, w.Processes = d.PoolSize, d.MaxOverflow, d.StartupConnections, d.Processes
	w.ConnectTimeoutSeconds = d.ConnectTimeoutSeconds
	if o.PoolSize != nil {
		w.PoolSize = *o.PoolSize
	}
	if o.MaxOverflow != nil {
		w.MaxOverflow = *o.MaxOverflow
	}
	if o.Processes != nil {
		w.Processes = *o.Processes
	}
	if o.StartupConnections != nil {
		w.StartupConnections = *o.StartupConnections
	}
	if w.PoolSize == 0 && o.PoolSize == nil {
		// A Cloud SQL reference or a secret URL with no framework
		// recognised: the catalog's default for an unidentified client.
		d2 := contract.ReadDemand(contract.Container{Env: map[string]string{"DATABASE_URL": "postgresql://unidentified/db"}})
		w.PoolSize, w.StartupConnections = d2.PoolSize, d2.StartupConnections
		d.Framework, d.Assumed = d2.Framework, d2.Assumed
	}
	if w.StartupConnections > w.PoolSize+w.MaxOverflow {
		w.StartupConnections = w.PoolSize + w.MaxOverflow
	}
	if o.PoolSize == nil && len(d.Assumed) > 0 {
		fw, _ := contract.LookupFramework(d.Framework)
		where := ""
		if fw.DocURL != "" {
			where = " (" + fw.DocURL + ")"
		}
		// A value that cannot be read (a Secret Manager reference) makes
		// the demand unreadable: a finding at the policy's level. A
		// service that sets nothing gets the default, named for the record.
		if len(d.Opaque) > 0 {
			ex.note(r, false, "service %s: its pool cannot be read (%s); assumed %s%s, %d connection(s) per instance; "+
				"override capacity-model.services.%s.poolSize (annotation %s) with the real number",
				w.Name, strings.Join(d.Opaque, ", "), strings.Join(d.Assumed, ", "), where, w.ConnectionsPerInstance(),
				w.Name, contract.OverrideAnnotation(contract.OverridePoolSize))
		} else {
			ex.note(r, true, "service %s: no pool size is set; assumed %s%s, %d connection(s) per instance; "+
				"set it explicitly or override capacity-model.services.%s.poolSize (annotation %s)",
				w.Name, strings.Join(d.Assumed, ", "), where, w.ConnectionsPerInstance(),
				w.Name, contract.OverrideAnnotation(contract.OverridePoolSize))
		}
	}

	// Database.
	db, how, st := ex.bindForeign(r, c, d, o, names, namesUnknown)
	switch st {
	case stOK:
		w.Database = db
		if how != "" {
			ex.note(r, true, "service %s: bound to Cloud SQL instance %s: %s", w.Name, db, how)
		}
		return true
	case stUnknown:
		miss(how)
		return false
	}
	target := how
	if len(d.Opaque) > 0 && target == "" {
		target = strings.Join(d.Opaque, ", ")
	}
	if target == "" {
		target = "nothing names its database"
	}
	ex.note(r, false, "service %s uses PostgreSQL (%d connection(s) per instance × up to %d instances) but its database cannot be read: %s; "+
		"its connections are counted against no instance. Set override capacity-model.services.%s.database (annotation %s) to the instance name",
		w.Name, w.ConnectionsPerInstance(), max(w.MaxInstances, 1), target, w.Name, contract.OverrideAnnotation(contract.OverrideDatabase))
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// bindForeign finds the Cloud SQL instance a foreign service talks to. how
// explains a binding that is a judgement (stOK), names the unknown value
// (stUnknown), or says what was found and matched nothing (otherwise).
func (ex *extraction) bindForeign(r *policyx.AnalyzerResource, c contract.Container, d contract.Demand, o ServiceOverride,
	names []string, namesUnknown bool,
) (string, string, status) {
	if o.Database != "" {
		if inst := ex.instanceNamed(contract.InstanceOfConnectionName(o.Database)); inst != nil {
			return inst.name, "", stOK
		}
		return "", fmt.Sprintf("override database %q is no Cloud SQL instance of this stack", o.Database), stMissing
	}
	for _, ep := range d.Endpoints {
		if ep.CloudSQLInstance != "" {
			names = append(names, ep.CloudSQLInstance)
		}
	}
	for _, n := range names {
		if inst := ex.instanceNamed(contract.InstanceOfConnectionName(n)); inst != nil {
			return inst.name, "", stOK
		}
	}
	// Hosts: connection strings first, then DB_HOST.
	type hostRef struct{ host, where string }
	var hosts []hostRef
	for _, ep := range d.Endpoints {
		if ep.Host != "" {
			hosts = append(hosts, hostRef{ep.Host, "env " + ep.Env})
		}
	}
	if h, ok := c.Env[envHost]; ok && h != "" {
		hosts = append(hosts, hostRef{h, "env " + envHost})
	}
	ipsUnknown := false
	for _, h := range hosts {
		for _, inst := range ex.g.instances {
			for _, ip := range inst.ips {
				if ip == h.host {
					return inst.name, "", stOK
				}
			}
			if inst.ipsUnknown {
				ipsUnknown = true
			}
		}
	}
	if dep := ex.dependencyOfType(r, "", TypeSQLInstance); dep != nil {
		return resourceName(dep), "", stOK
	}
	if len(hosts) > 0 && ex.registration {
		// At registration the instances are seen by their inputs, which
		// carry no address: the stack's only primary is the target.
		if inst := ex.onlyPrimary(); inst != nil && !isLoopback(hosts[0].host) {
			return inst.name, fmt.Sprintf("%s points at %s and the instance is the stack's only Cloud SQL primary (its address is not among its inputs)",
				hosts[0].where, hosts[0].host), stOK
		}
	}
	switch {
	case namesUnknown:
		return "", "template.volumes/annotations (Cloud SQL instance)", stUnknown
	case ex.refPending != "" && (len(names) > 0 || len(hosts) > 0):
		return "", "its database (it may be one of stack reference " + ex.refPending + "'s, whose export is not known yet)", stUnknown
	case ipsUnknown && len(hosts) > 0:
		return "", hosts[0].where + " (host " + hosts[0].host + ", the instance's address is not known yet)", stUnknown
	case len(names) > 0:
		return "", fmt.Sprintf("Cloud SQL instance %s is not in this stack", names[0]), stMissing
	case len(hosts) > 0:
		return "", fmt.Sprintf("%s points at %s, which is no Cloud SQL instance of this stack", hosts[0].where, hosts[0].host), stMissing
	}
	return "", "", stMissing
}

func (ex *extraction) instanceNamed(name string) *sqlInstance {
	for _, inst := range ex.g.instances {
		if inst.name == name || (inst.res != nil && !inst.imported && inst.res.Name == name) {
			return inst
		}
	}
	return nil
}

// onlyPrimary is the stack's single Cloud SQL primary, nil if none or
// several.
func (ex *extraction) onlyPrimary() *sqlInstance {
	var found *sqlInstance
	for _, inst := range ex.g.instances {
		if inst.db.ReplicaOf != "" {
			continue
		}
		if found != nil {
			return nil
		}
		found = inst
	}
	return found
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
