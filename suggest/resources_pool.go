package suggest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/ingest"
)

// poolSite is where a service's connection pool is set: an env var, or a
// parameter of the connection string in an env var.
type poolSite struct {
	svc *policyx.AnalyzerResource
	ci  int
	// cur is the pool per process the pack counts now.
	cur        int
	env, param string
	// from is the setting's value now ("" when unset: the framework's
	// default applies).
	from string
	// editable: the container holds the setting's env value in the clear
	// (or can take it), so the edit is made on the resource and re-planned.
	editable bool
	// where says, for advice, where the setting lives when it is not.
	where string
	// framework is the catalog's framework that set the pool ("" unknown).
	framework string
}

// setting is the site in words; never the connection string itself.
func (p poolSite) setting() string {
	if p.param != "" {
		return "env " + p.env + " parameter " + p.param
	}
	return "env " + p.env
}

// edits set the pool to n on the resource; Headroom's contract keeps
// DB_STARTUP_CONNECTIONS within the pool (a rule of the contract).
func (p poolSite) edits(n int) []resEdit {
	out := []resEdit{p.edit(n)}
	if p.env == contract.EnvDBPoolSize {
		c := containerOf(p.svc.Properties, p.ci)
		if v, ok := c.Env[contract.EnvDBStartupConnections]; ok && atoi(v) > n {
			out = append(out, poolSite{svc: p.svc, ci: p.ci, env: contract.EnvDBStartupConnections, from: v}.edit(n))
		}
	}
	return out
}

// edit sets the pool setting to n on the resource.
func (p poolSite) edit(n int) resEdit {
	v := strconv.Itoa(n)
	ci, env, param := p.ci, p.env, p.param
	c := containerOf(p.svc.Properties, ci)
	value := v
	if param != "" {
		value, _ = contract.SetDSNParam(c.Env[env], param, v)
	}
	prop := fmt.Sprintf("template.containers[%d].envs[%s]", ci, env)
	return resEdit{urn: p.svc.URN,
		apply:  func(m property.Map) property.Map { return setEnv(m, ci, env, value) },
		change: change(p.svc, prop, p.setting(), p.from, v)}
}

// overrideEdits count the pool as n through the pack's override
// annotation: how a pool the resources cannot change (Secret Manager,
// code) is sized; the result is advice, never a fix.
func (p poolSite) overrideEdits(n int) []resEdit {
	key := contract.OverrideAnnotation(contract.OverridePoolSize)
	v := strconv.Itoa(n)
	return []resEdit{{urn: p.svc.URN,
		apply: func(m property.Map) property.Map { return setProp(m, property.New(v), "annotations", key) }}}
}

// defaultSettings is, per framework, the setting the framework itself
// reads that replaces its default when nothing is set: a parameter of its
// connection string, or an env var (Spring Boot's relaxed binding, Rails'
// generated database.yml). Frameworks absent here set the pool in code
// (SQLAlchemy's SQLALCHEMY_POOL_SIZE is a convention the application must
// read, so adding it would pass the pack and change nothing): advice.
var defaultSettings = map[string]struct{ env, param string }{
	contract.FrameworkPrisma: {param: contract.ParamPrismaLimit},
	contract.FrameworkPgx:    {param: contract.ParamPgxMaxConns},
	contract.FrameworkHikari: {env: contract.EnvHikariMaxPoolSize},
	contract.FrameworkRails:  {env: contract.EnvRailsMaxThreads},
}

// poolSiteOf finds where svc's pool is set; ok is false for a service
// without a pool the pack counts (or one sized by an override).
func (s *resSearch) poolSiteOf(svc *policyx.AnalyzerResource) (poolSite, bool) {
	p := svc.Properties
	for _, path := range []string{"annotations", "labels"} {
		key := contract.OverrideAnnotation(contract.OverridePoolSize)
		if path == "labels" {
			key = contract.OverrideLabel(contract.OverridePoolSize)
		}
		if v, ok := propText(ingest.At(p, path, key)); ok {
			s.advise(svc, "its pool is counted from the override %s %s=%s: lower the application's pool and the override together", strings.TrimSuffix(path, "s"), key, v)
			return poolSite{}, false
		}
	}
	ci := mainContainerIndex(p)
	c := containerOf(p, ci)
	site := poolSite{svc: svc, ci: ci}
	// Headroom's own env contract.
	if v, ok := c.Env[contract.EnvDBPoolSize]; ok {
		site.cur, site.env, site.from, site.editable = atoi(v), contract.EnvDBPoolSize, v, true
		return site, site.cur > 1
	}
	if why, ok := c.Opaque[contract.EnvDBPoolSize]; ok {
		site.where = "env " + contract.EnvDBPoolSize + " (" + why + ")"
		return site, false
	}
	d := contract.ReadDemand(c)
	site.cur, site.framework = d.PoolSize, d.Framework
	switch {
	case d.PoolSetting.Env != "":
		site.env, site.param = d.PoolSetting.Env, d.PoolSetting.Param
		site.from, site.editable = strconv.Itoa(d.PoolSize), true
	case d.PoolSource == "default":
		ds, known := defaultSettings[d.Framework]
		switch {
		case !known:
			fw, _ := contract.LookupFramework(d.Framework)
			site.where = "code (" + fw.Title + ")"
		case ds.env != "":
			site.env, site.editable = ds.env, true
		case len(d.Endpoints) > 0:
			site.env, site.param, site.editable = d.Endpoints[0].Env, ds.param, true
		default:
			site.where = "parameter " + ds.param + " of the connection string"
		}
	case d.PoolSource != "":
		site.where = d.PoolSource
	}
	if opaque := strings.Join(d.Opaque, ", "); !site.editable && opaque != "" {
		if site.where == "" {
			site.where = opaque
		} else {
			site.where += " (" + opaque + ")"
		}
	}
	if site.cur == 0 && len(d.Opaque) > 0 {
		// A secret connection string and no readable framework: the pack
		// assumed the catalog's default for an unidentified client.
		site.cur = contract.UnknownFrameworkDefaultPool
	}
	return site, site.cur > 1
}

// pool is the option that lowers svc's pool to the largest size that makes
// the stack pass on its own (found by bisection, each step re-planned), or
// to half its size as a partner of other changes when none does alone.
// A pool no property holds becomes advice with the size found through the
// override annotation.
func (s *resSearch) pool(svc *policyx.AnalyzerResource) (resOption, bool, error) {
	site, ok := s.poolSiteOf(svc)
	if !ok {
		if site.where != "" {
			s.advise(svc, "its pool is set in %s, which no property edit here can change; lower it there", site.where)
		}
		return resOption{}, false, nil
	}
	edits := site.overrideEdits
	if site.editable {
		edits = site.edits
	}
	try := func(n int) (bool, error) {
		_, ok, err := s.passes(resOption{edits: edits(n)})
		return ok, err
	}
	best := 0
	ok, err := try(1)
	if err != nil {
		return resOption{}, false, err
	}
	if ok {
		lo, hi := 1, site.cur-1 // try(lo) passes
		for lo < hi {
			mid := (lo + hi + 1) / 2
			ok, err := try(mid)
			if err != nil {
				return resOption{}, false, err
			}
			if ok {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		best = lo
	}
	name := resourceDisplayName(svc)
	if !site.editable {
		how := "the pool"
		if ds, ok := defaultSettings[site.framework]; ok && ds.param != "" {
			how = "parameter " + ds.param + " of the connection string"
		} else if site.framework == "" {
			how = "the pool (e.g. connection_limit for Prisma, pool_max_conns for pgx, in the connection string)"
		}
		if best > 0 {
			s.advise(svc, "set %s to %d connections per process where it is set: %s (judged with the override annotation %s=%d; not verified: the value itself cannot be read)",
				how, best, site.where, contract.OverrideAnnotation(contract.OverridePoolSize), best)
		} else {
			s.advise(svc, "its pool is set in %s; lowering it alone does not make the stack pass", site.where)
		}
		return resOption{}, false, nil
	}
	n := best
	if n == 0 {
		n = max(1, site.cur/2)
	}
	return resOption{what: fmt.Sprintf("lower %s pool to %d (%s)", name, n, site.setting()), edits: site.edits(n),
		givesUp: []string{fmt.Sprintf("%s: %d database connections per process (was %d); requests beyond them wait for a free connection", name, n, site.cur)}}, true, nil
}
