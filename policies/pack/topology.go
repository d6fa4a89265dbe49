package pack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// Unknown is a value the pack needed but could not read: computed until
// apply, or a redacted secret. Each becomes an advisory "cannot verify until
// known" violation of Policy; the rest of the stack is still judged.
type Unknown struct {
	Policy string
	// Resource is the URN of the resource holding the value.
	Resource string
	// Path is the property path, e.g. "template.scaling.maxInstanceCount".
	Path string
	// Effect says what the pack did without the value.
	Effect string
}

// Message is the violation text of an unknown.
func (u Unknown) Message() string {
	msg := fmt.Sprintf("cannot verify until known: %s %s", urnName(u.Resource), u.Path)
	if u.Effect != "" {
		msg += " (" + u.Effect + ")"
	}
	return msg
}

// issue is a capacity-model finding of the extraction itself.
type issue struct {
	msg, urn string
	advisory bool
}

// Env-var contract of a Cloud Run container (resource-conventions).
const (
	envHost           = "DB_HOST"
	envInstance       = "DB_INSTANCE"
	envPoolSize       = "DB_POOL_SIZE"
	envMaxOverflow    = "DB_MAX_OVERFLOW"
	envStartupConns   = "DB_STARTUP_CONNECTIONS"
	envConnectTimeout = "DB_CONNECT_TIMEOUT_SECONDS"

	annotationEgress = "headroom.dev/egress-mbps-per-instance"
	labelWorkload    = "headroom-workload"
)

type sqlInstance struct {
	res  *policyx.AnalyzerResource
	name string
	ips  []string
	db   capacity.Database
	// complete is false when a value the model needs is unknown.
	complete bool
}

type subnet struct {
	res     *policyx.AnalyzerResource
	name    string
	region  string
	cidr    string
	network string
}

type connector struct {
	res      *policyx.AnalyzerResource
	egress   capacity.Egress
	network  string
	complete bool
}

type psaRange struct {
	res     *policyx.AnalyzerResource
	cidr    string
	network string
}

// graph is the typed view of a resource list.
type graph struct {
	instances  []*sqlInstance
	subnets    []*subnet
	connectors []*connector
	psa        []*psaRange
	services   []*policyx.AnalyzerResource
	byURN      map[string]*policyx.AnalyzerResource
}

// extraction is the topology plus what could not be read.
type extraction struct {
	g        *graph
	topo     capacity.Topology
	unknowns []Unknown
	issues   []issue
}

// ExtractTopology converts a resource graph into the capacity model's
// topology, with the config's environment, targets and assumptions. Values
// that are unknown are returned as Unknowns (the element that needs them is
// left out of the topology); it never panics on missing, ill-typed, unknown
// or secret values.
func ExtractTopology(resources []policyx.AnalyzerResource, cfg Config) (capacity.Topology, []Unknown) {
	ex := extract(resources, cfg)
	return ex.topo, ex.unknowns
}

func extract(resources []policyx.AnalyzerResource, cfg Config) *extraction {
	ex := &extraction{g: &graph{byURN: map[string]*policyx.AnalyzerResource{}}}
	ex.topo = capacity.Topology{
		Environment: cfg.Env(),
		Targets:     cfg.Targets,
		Assumptions: cfg.Assumptions,
	}
	for i := range resources {
		r := &resources[i]
		if r.URN != "" {
			ex.g.byURN[r.URN] = r
		}
		if ex.topo.Stack == "" {
			ex.topo.Stack = urnStack(r.URN)
		}
		switch r.Type {
		case TypeSQLInstance:
			ex.g.instances = append(ex.g.instances, ex.readInstance(r))
		case TypeSubnetwork:
			ex.g.subnets = append(ex.g.subnets, readSubnet(r))
		case TypeGlobalAddress:
			if p := readPSA(r); p != nil {
				ex.g.psa = append(ex.g.psa, p)
			}
		case TypeRunService:
			ex.g.services = append(ex.g.services, r)
		}
	}
	// Connectors after subnets: a connector may name a subnet for its range.
	for i := range resources {
		if resources[i].Type == TypeConnector {
			ex.g.connectors = append(ex.g.connectors, ex.readConnector(&resources[i]))
		}
	}
	for _, inst := range ex.g.instances {
		if inst.complete {
			ex.topo.Databases = append(ex.topo.Databases, inst.db)
		}
	}
	for _, c := range ex.g.connectors {
		if c.complete {
			ex.topo.Egress = append(ex.topo.Egress, c.egress)
		}
	}
	direct := map[string]bool{}
	for _, svc := range ex.g.services {
		w, sub, ok := ex.readService(svc)
		if !ok {
			continue
		}
		if sub != nil && !direct[sub.region+"/"+sub.name] {
			direct[sub.region+"/"+sub.name] = true
			ex.topo.Egress = append(ex.topo.Egress, capacity.Egress{
				Region: sub.region, Kind: capacity.EgressDirect, Name: sub.name, SubnetCIDR: sub.cidr,
			})
		}
		ex.topo.Workloads = append(ex.topo.Workloads, w)
	}
	return ex
}

func (ex *extraction) unknown(r *policyx.AnalyzerResource, path, effect string) {
	ex.unknowns = append(ex.unknowns, Unknown{Policy: PolicyCapacityModel, Resource: r.URN, Path: path, Effect: effect})
}

func (ex *extraction) problem(r *policyx.AnalyzerResource, advisory bool, format string, args ...any) {
	ex.issues = append(ex.issues, issue{msg: fmt.Sprintf(format, args...), urn: r.URN, advisory: advisory})
}

// resourceName is the GCP name property, falling back to the logical name.
func resourceName(r *policyx.AnalyzerResource) string {
	if s, st := get(r.Properties, "name").str(); st == stOK && s != "" {
		return s
	}
	if r.Name != "" {
		return r.Name
	}
	return urnName(r.URN)
}

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
		db.Availability = "ZONAL" // provider default (gcp-capacity.md §2.1)
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
	if ip, st := get(p, "privateIpAddress").str(); st == stOK && ip != "" {
		inst.ips = append(inst.ips, ip)
	}
	if addrs, st := get(p, "ipAddresses").array(); st == stOK {
		for _, a := range addrs {
			if a.IsMap() {
				if ip, st := get(a.AsMap(), "ipAddress").str(); st == stOK && ip != "" {
					inst.ips = append(inst.ips, ip)
				}
			}
		}
	}
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

func readSubnet(r *policyx.AnalyzerResource) *subnet {
	s := &subnet{res: r, name: resourceName(r)}
	s.region, _ = get(r.Properties, "region").str()
	s.cidr, _ = get(r.Properties, "ipCidrRange").str()
	net, _ := get(r.Properties, "network").str()
	s.network = lastSegment(net, '/')
	return s
}

func readPSA(r *policyx.AnalyzerResource) *psaRange {
	p := r.Properties
	if purpose, _ := get(p, "purpose").str(); purpose != "VPC_PEERING" {
		return nil
	}
	addr, st1 := get(p, "address").str()
	prefix, st2 := get(p, "prefixLength").integer()
	pr := &psaRange{res: r}
	if st1 == stOK && st2 == stOK {
		pr.cidr = fmt.Sprintf("%s/%d", addr, prefix)
	}
	net, _ := get(p, "network").str()
	pr.network = lastSegment(net, '/')
	return pr
}

func (ex *extraction) readConnector(r *policyx.AnalyzerResource) *connector {
	p := r.Properties
	c := &connector{res: r, complete: true}
	e := capacity.Egress{Kind: capacity.EgressConnector, Name: resourceName(r)}
	region, st := get(p, "region").str()
	if st != stOK || region == "" {
		if id, st := get(p, "id").str(); st == stOK {
			region = segmentAfter(id, "locations")
		}
	}
	e.Region = region
	if e.Region == "" {
		c.complete = false
		ex.unknown(r, "region", "connector left out of the capacity analyses")
	}
	switch s, st := get(p, "machineType").str(); st {
	case stOK:
		e.MachineType = s
	case stMissing:
		e.MachineType = "e2-micro" // provider default (gcp-capacity.md §3)
	default:
		c.complete = false
		ex.unknown(r, "machineType", "connector left out of the capacity analyses")
	}
	for _, f := range []struct {
		path string
		dst  *int
		def  int
	}{
		// API defaults 2 and 10 (gcp-capacity.md §3).
		{"minInstances", &e.MinInstances, 2},
		{"maxInstances", &e.MaxInstances, 10},
	} {
		switch n, st := get(p, f.path).integer(); st {
		case stOK:
			*f.dst = n
		case stMissing:
			*f.dst = f.def
		case stUnknown:
			c.complete = false
			ex.unknown(r, f.path, "connector left out of the capacity analyses")
		case stInvalid:
			c.complete = false
			ex.problem(r, false, "connector %s: %s is not an integer", e.Name, f.path)
		}
	}
	e.IPCIDRRange, _ = get(p, "ipCidrRange").str()
	if sn, st := get(p, "subnet.name").str(); st == stOK && sn != "" {
		for _, s := range ex.g.subnets {
			if s.name == lastSegment(sn, '/') && (s.region == "" || s.region == e.Region) {
				e.SubnetCIDR = s.cidr
			}
		}
	}
	net, _ := get(p, "network").str()
	c.network = lastSegment(net, '/')
	c.egress = e
	return c
}

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

// hasDBContract reports whether a service declares any DB_* variable.
func hasDBContract(env map[string]field) bool {
	for k := range env {
		if strings.HasPrefix(k, "DB_") {
			return true
		}
	}
	return false
}

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
	if ann, st := get(p, "annotations").obj(); st == stOK {
		switch v, st := key(ann, annotationEgress).num(); st {
		case stOK:
			w.EgressMbpsPerInstance = v
		case stUnknown:
			miss("annotations." + annotationEgress)
		case stInvalid:
			ex.problem(r, false, "service %s: annotation %s is not a number", w.Name, annotationEgress)
		case stMissing:
			ex.problem(r, true, "service %s has no %s annotation; egress-headroom counts it as 0 Mbps", w.Name, annotationEgress)
		}
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
	// Run's built-in connection (100 connections per instance cap).
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
	if fv, present := env[envConnectTimeout]; present {
		switch n, st := fv.num(); st {
		case stOK:
			w.ConnectTimeoutSeconds = n
		case stUnknown:
			miss("env " + envConnectTimeout)
		}
	}
	probeInts := []struct {
		path string
		dst  *int
		def  int
	}{
		// Cloud Run defaults (gcp-capacity.md §5).
		{"initialDelaySeconds", &w.StartupProbe.InitialDelaySeconds, 0},
		{"periodSeconds", &w.StartupProbe.PeriodSeconds, 10},
		{"timeoutSeconds", &w.StartupProbe.TimeoutSeconds, 1},
		{"failureThreshold", &w.StartupProbe.FailureThreshold, 3},
	}
	if probe, st := startupProbe(p); st == stOK {
		for _, f := range probeInts {
			switch n, st := get(probe, f.path).integer(); st {
			case stOK:
				*f.dst = n
			case stUnknown:
				miss("startupProbe." + f.path)
			default:
				*f.dst = f.def
			}
		}
	} else if st == stUnknown {
		miss("template.containers[0].startupProbe")
	}

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
	if unknown {
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

func (ex *extraction) connectorNamed(name, region string) *connector {
	for _, c := range ex.g.connectors {
		if c.egress.Name == name && (region == "" || c.egress.Region == "" || c.egress.Region == region) {
			return c
		}
	}
	return nil
}

func (ex *extraction) subnetNamed(name, region string) *subnet {
	for _, s := range ex.g.subnets {
		if s.name == name && (region == "" || s.region == "" || s.region == region) {
			return s
		}
	}
	return nil
}

// urnName returns the name part of a URN ("urn:pulumi:s::p::t::name").
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// urnStack returns the stack part of a URN.
func urnStack(urn string) string {
	rest, ok := strings.CutPrefix(urn, "urn:pulumi:")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "::"); i >= 0 {
		return rest[:i]
	}
	return ""
}
