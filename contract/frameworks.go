package contract

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The framework catalog: where common application stacks keep their
// database pool size and worker count, their defaults, and how the pack
// reads them from a Cloud Run container's env, args and command. Each entry
// carries the framework's own documentation; docs/frameworks.md says the
// same in prose. Headroom's DB_* env contract (capacity.Env*, the pack's
// pool contract) is more precise than any of these and wins where present.

// Framework identifiers.
const (
	FrameworkPrisma       = "prisma"
	FrameworkPgx          = "pgx"
	FrameworkNodePostgres = "node-postgres"
	FrameworkSQLAlchemy   = "sqlalchemy"
	FrameworkDjango       = "django"
	FrameworkRails        = "rails"
	FrameworkHikari       = "hikaricp"
	// FrameworkUnknown: PostgreSQL is evidently used but no framework is
	// recognisable; the largest common per-process default is assumed.
	FrameworkUnknown = "unidentified"
)

// Process managers whose worker count multiplies the pools.
const (
	ServerGunicorn = "gunicorn"
	ServerUvicorn  = "uvicorn"
	ServerPuma     = "puma"
)

// Framework describes one entry of the catalog.
type Framework struct {
	ID    string
	Title string
	// DocURL is the framework's own documentation of its pool settings.
	DocURL string
	// Settings lists where the pool is set, as a user writes it.
	Settings string
	// Default describes the default pool of one process.
	Default string
}

// Default pool sizes (per process) of the catalog.
const (
	// Prisma: connection_limit defaults to num_physical_cpus × 2 + 1.
	PrismaPoolPerCPU  = 2
	PrismaPoolPlusOne = 1
	// pgxpool: pool_max_conns defaults to max(4, runtime.NumCPU()).
	PgxMinDefaultPool = 4
	// node-postgres: Pool max defaults to 10.
	NodePostgresDefaultPool = 10
	// SQLAlchemy QueuePool: pool_size 5, max_overflow 10.
	SQLAlchemyDefaultPoolSize    = 5
	SQLAlchemyDefaultMaxOverflow = 10
	// Rails: database.yml's generated pool is RAILS_MAX_THREADS or 5.
	RailsDefaultPool = 5
	// HikariCP (Spring Boot's default pool): maximumPoolSize 10, and
	// minimumIdle defaults to maximumPoolSize, so the pool fills at start.
	HikariDefaultPool = 10
	// Django: one persistent connection per thread of each process; a
	// gunicorn worker has 1 thread unless --threads is set.
	DjangoConnectionsPerThread = 1
	// DefaultThreads is gunicorn's --threads default.
	DefaultThreads = 1
	// DefaultProcesses: gunicorn, uvicorn and Puma run one process unless
	// told otherwise.
	DefaultProcesses = 1
	// CloudRunDefaultVCPU is a Cloud Run container's CPU limit when unset
	// (https://cloud.google.com/run/docs/configuring/services/cpu).
	CloudRunDefaultVCPU = 1.0
)

// UnknownFrameworkDefaultPool is what is assumed per process when a service
// evidently uses PostgreSQL through no recognisable framework: the
// node-postgres and HikariCP default, the largest single-pool default of the
// catalog.
const UnknownFrameworkDefaultPool = NodePostgresDefaultPool

// Frameworks is the catalog, in the order demand is read.
var Frameworks = []Framework{
	{ID: FrameworkPrisma, Title: "Prisma",
		DocURL:   "https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/databases-connections/connection-pool",
		Settings: "connection_limit in the connection URL (DATABASE_URL)",
		Default:  fmt.Sprintf("%d × vCPU + %d", PrismaPoolPerCPU, PrismaPoolPlusOne)},
	{ID: FrameworkPgx, Title: "pgx / pgxpool",
		DocURL:   "https://pkg.go.dev/github.com/jackc/pgx/v5/pgxpool#ParseConfig",
		Settings: "pool_max_conns (and pool_min_conns) in the connection string",
		Default:  fmt.Sprintf("max(%d, vCPU)", PgxMinDefaultPool)},
	{ID: FrameworkHikari, Title: "Spring Boot / HikariCP",
		DocURL:   "https://github.com/brettwooldridge/HikariCP#gear-configuration-knobs-baby",
		Settings: "SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE (spring.datasource.hikari.maximum-pool-size), SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE",
		Default:  fmt.Sprintf("%d (maximumPoolSize; minimumIdle = maximumPoolSize)", HikariDefaultPool)},
	{ID: FrameworkRails, Title: "Rails / ActiveRecord",
		DocURL:   "https://guides.rubyonrails.org/configuring.html#database-pooling",
		Settings: "DB_POOL or RAILS_MAX_THREADS (database.yml pool), WEB_CONCURRENCY (Puma workers)",
		Default:  fmt.Sprintf("%d per process", RailsDefaultPool)},
	{ID: FrameworkDjango, Title: "Django",
		DocURL:   "https://docs.djangoproject.com/en/stable/ref/databases/#persistent-connections",
		Settings: "one connection per thread of each process (CONN_MAX_AGE keeps it open); gunicorn --threads",
		Default:  fmt.Sprintf("%d per thread, %d thread per process", DjangoConnectionsPerThread, DefaultThreads)},
	{ID: FrameworkSQLAlchemy, Title: "SQLAlchemy",
		DocURL:   "https://docs.sqlalchemy.org/en/20/core/pooling.html#sqlalchemy.pool.QueuePool",
		Settings: "create_engine(pool_size, max_overflow); SQLALCHEMY_POOL_SIZE, SQLALCHEMY_MAX_OVERFLOW",
		Default:  fmt.Sprintf("pool_size %d + max_overflow %d", SQLAlchemyDefaultPoolSize, SQLAlchemyDefaultMaxOverflow)},
	{ID: FrameworkNodePostgres, Title: "node-postgres (pg)",
		DocURL:   "https://node-postgres.com/apis/pool",
		Settings: "new Pool({max}) in code (no env setting: use an override)",
		Default:  fmt.Sprintf("%d", NodePostgresDefaultPool)},
	{ID: FrameworkUnknown, Title: "unidentified PostgreSQL client",
		Settings: "none readable: use an override",
		Default:  fmt.Sprintf("%d (the largest common single-pool default)", UnknownFrameworkDefaultPool)},
}

// Servers is the catalog of process managers.
var Servers = []Framework{
	{ID: ServerGunicorn, Title: "gunicorn",
		DocURL:   "https://docs.gunicorn.org/en/stable/settings.html#workers",
		Settings: "--workers/-w in args, GUNICORN_CMD_ARGS, WEB_CONCURRENCY; --threads",
		Default:  fmt.Sprintf("%d worker, %d thread", DefaultProcesses, DefaultThreads)},
	{ID: ServerUvicorn, Title: "uvicorn",
		DocURL:   "https://www.uvicorn.org/settings/#production",
		Settings: "--workers in args, WEB_CONCURRENCY",
		Default:  fmt.Sprintf("%d worker", DefaultProcesses)},
	{ID: ServerPuma, Title: "Puma",
		DocURL:   "https://github.com/puma/puma#clustered-mode",
		Settings: "--workers/-w in args, WEB_CONCURRENCY; --threads/-t min:max",
		Default:  fmt.Sprintf("%d process (single mode)", DefaultProcesses)},
}

// LookupFramework returns a catalog entry by ID.
func LookupFramework(id string) (Framework, bool) {
	for _, f := range append(append([]Framework{}, Frameworks...), Servers...) {
		if f.ID == id {
			return f, true
		}
	}
	return Framework{}, false
}

// Env names the catalog reads.
const (
	EnvWebConcurrency      = "WEB_CONCURRENCY"
	EnvGunicornCmdArgs     = "GUNICORN_CMD_ARGS"
	EnvRailsMaxThreads     = "RAILS_MAX_THREADS"
	EnvRailsDBPool         = "DB_POOL"
	EnvHikariMaxPoolSize   = "SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE"
	EnvHikariMinIdle       = "SPRING_DATASOURCE_HIKARI_MINIMUM_IDLE"
	EnvSQLAlchemyPoolSize  = "SQLALCHEMY_POOL_SIZE"
	EnvSQLAlchemyOverflow  = "SQLALCHEMY_MAX_OVERFLOW"
	EnvDjangoSettings      = "DJANGO_SETTINGS_MODULE"
	EnvDjangoConnMaxAge    = "CONN_MAX_AGE"
	ParamPrismaLimit       = "connection_limit"
	ParamPgxMaxConns       = "pool_max_conns"
	ParamPgxMinConns       = "pool_min_conns"
	ParamConnectTimeout    = "connect_timeout"
	hikariRelaxedMaxPool   = "SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE"
	hikariRelaxedMinIdle   = "SPRING_DATASOURCE_HIKARI_MINIMUMIDLE"
	hikariPropertyMaxPool  = "spring.datasource.hikari.maximum-pool-size"
	hikariPropertyMinIdle  = "spring.datasource.hikari.minimum-idle"
	hikariPropertyMaxPool2 = "spring.datasource.hikari.maximumpoolsize"
)

// Container is what a Cloud Run container carries, as plain values.
type Container struct {
	// Env holds the env values that are known.
	Env map[string]string
	// Opaque maps the names of env vars whose value cannot be read to why:
	// "unknown until apply", "from Secret Manager secret <name>".
	Opaque map[string]string
	// Command and Args are the container's entrypoint and arguments.
	Command, Args []string
	// VCPU is the container's CPU limit; 0 means Cloud Run's default.
	VCPU float64
}

// Endpoint is one PostgreSQL connection string found in an env value.
type Endpoint struct {
	Env string
	DBEndpoint
}

// Demand is what the catalog reads from one container: the pools of one
// process and how many processes an instance runs.
type Demand struct {
	// UsesPostgres: a PostgreSQL connection string, a framework's database
	// setting or a Cloud SQL reference was found.
	UsesPostgres bool
	// Framework is the catalog ID that set the pool.
	Framework string
	// Server is the process manager recognised ("" if none).
	Server string

	PoolSize, MaxOverflow, StartupConnections, Processes int
	// ConnectTimeoutSeconds is set when a connection string gives one.
	ConnectTimeoutSeconds float64

	// PoolSource and ProcessSource say where the numbers were read, e.g.
	// "connection_limit=10 in env DATABASE_URL".
	PoolSource, ProcessSource string
	// PoolSetting is where PoolSource was read, for a tool that changes
	// it (`headroom suggest` on a preview); zero for a default or a
	// setting in the command line.
	PoolSetting Setting
	// Assumed lists each default that was used, in words with its number.
	Assumed []string
	// Endpoints are the PostgreSQL connection strings found.
	Endpoints []Endpoint
	// Opaque lists the DB-looking env vars whose values cannot be read,
	// as "env NAME (reason)".
	Opaque []string
}

// Setting names one place a container sets a number: env var Env's
// value, or parameter Param of the connection string in env Env.
type Setting struct {
	Env, Param string
}

// ConnectionsPerProcess is pool + overflow.
func (d Demand) ConnectionsPerProcess() int { return d.PoolSize + d.MaxOverflow }

// A generic *_URL (REDIS_URL, API_URL) is not one: an unknown value of it
// must not hide a service's known database demand.
var dbEnvNameRE = regexp.MustCompile(`(?i)(DATABASE|(^|_)DB(_|$)|POSTGRES|^PG[A-Z]|JDBC|DSN|SQL|DATASOURCE|CONNECTION_STRING)`)

// IsDBEnvName reports whether an env var name looks like it carries a
// database setting (so an unreadable value of it is worth a finding).
func IsDBEnvName(name string) bool { return dbEnvNameRE.MatchString(name) }

// vcpus is the CPU count a runtime sees: at least 1, fractions rounded up.
func vcpus(v float64) int {
	if v <= 0 {
		v = CloudRunDefaultVCPU
	}
	return max(1, int(math.Ceil(v)))
}

// ParseCPU reads a Kubernetes-style CPU quantity ("1", "2", "1000m", "0.5").
func ParseCPU(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	scale := 1.0
	if strings.HasSuffix(s, "m") {
		s, scale = strings.TrimSuffix(s, "m"), 1000
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || !(n > 0) || math.IsInf(n, 0) {
		return 0, false
	}
	return n / scale, true
}

// ReadDemand reads a container's database demand through the catalog.
// Explicit settings win over defaults; a framework recognised only by its
// hints contributes its default, named in Assumed.
func ReadDemand(c Container) Demand {
	var d Demand
	names := make([]string, 0, len(c.Env))
	for k := range c.Env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if ep, ok := ParsePostgresDSN(c.Env[k]); ok {
			d.Endpoints = append(d.Endpoints, Endpoint{Env: k, DBEndpoint: ep})
		}
	}
	opaque := make([]string, 0, len(c.Opaque))
	for k := range c.Opaque {
		opaque = append(opaque, k)
	}
	sort.Strings(opaque)
	for _, k := range opaque {
		if IsDBEnvName(k) {
			d.Opaque = append(d.Opaque, fmt.Sprintf("env %s (%s)", k, c.Opaque[k]))
		}
	}
	cmd := append(append([]string{}, c.Command...), c.Args...)
	h := readHints(c, cmd, d.Endpoints)
	d.UsesPostgres = len(d.Endpoints) > 0 || h.anyDB
	d.readProcesses(c, cmd, h)
	d.readPool(c, cmd, h)
	for _, ep := range d.Endpoints {
		if t, ok := ep.Params[ParamConnectTimeout]; ok {
			if n, err := strconv.ParseFloat(t, 64); err == nil && n > 0 {
				d.ConnectTimeoutSeconds = n
				break
			}
		}
	}
	return d
}

// hints are the signs of a framework that sets no number.
type hints struct {
	prisma, pgx, hikari, rails, django, sqlalchemy, node, python bool
	anyDB                                                        bool
}

func readHints(c Container, cmd []string, eps []Endpoint) hints {
	var h hints
	has := func(k string) bool { _, ok := c.Env[k]; _, ok2 := c.Opaque[k]; return ok || ok2 }
	for _, ep := range eps {
		for k := range ep.Params {
			switch k {
			case ParamPrismaLimit, "pool_timeout", "schema", "pgbouncer", "socket_timeout", "statement_cache_size":
				h.prisma = true
			}
			if strings.HasPrefix(k, "pool_") && k != "pool_timeout" {
				h.pgx = true
			}
		}
		if ep.Shape == "jdbc" {
			h.hikari = true
		}
		if strings.Contains(strings.ToLower(c.Env[ep.Env]), "postgresql+") {
			h.sqlalchemy = true
		}
	}
	for k := range merge(c.Env, c.Opaque) {
		u := strings.ToUpper(k)
		switch {
		case strings.HasPrefix(u, "PRISMA_"):
			h.prisma = true
		case strings.HasPrefix(u, "SPRING_DATASOURCE"):
			h.hikari, h.anyDB = true, true
		case strings.HasPrefix(u, "SPRING_"):
			h.hikari = true
		case u == EnvRailsMaxThreads || u == "RAILS_ENV" || u == "RAILS_MASTER_KEY" || u == "RACK_ENV":
			h.rails = true
		case strings.HasPrefix(u, "DJANGO_") || u == EnvDjangoConnMaxAge:
			h.django = true
		case strings.HasPrefix(u, "SQLALCHEMY_"):
			h.sqlalchemy, h.python = true, true
		case u == "PGHOST" || u == "PGDATABASE" || u == "PGUSER":
			h.node, h.anyDB = true, true
		case u == "NODE_ENV":
			h.node = true
		case u == EnvGunicornCmdArgs || u == "PYTHONUNBUFFERED" || u == "PYTHONPATH":
			h.python = true
		}
	}
	if has(EnvRailsDBPool) && h.rails {
		h.anyDB = true
	}
	for _, a := range cmd {
		l := strings.ToLower(a)
		switch {
		case strings.Contains(l, "prisma"):
			h.prisma = true
		case strings.Contains(l, "manage.py") || strings.Contains(l, "django"):
			h.django = true
		case strings.Contains(l, "rails") || strings.Contains(l, "puma") || l == "bundle":
			h.rails = true
		case strings.Contains(l, "gunicorn") || strings.Contains(l, "uvicorn") || strings.HasPrefix(l, "python"):
			h.python = true
		case l == "java" || strings.HasSuffix(l, ".jar") || strings.Contains(l, "spring.datasource"):
			h.hikari = true
		case l == "node" || l == "npm" || strings.HasSuffix(l, ".js") || strings.HasSuffix(l, ".mjs"):
			h.node = true
		}
	}
	return h
}

func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// flagValue finds "--name N", "--name=N" or "-s N" in a command line.
func flagValue(args []string, long, short string) (string, bool) {
	for i := 0; i < len(args); i++ {
		// A shell form ("sh -c 'gunicorn -w 4 app'") is one argument.
		if strings.ContainsAny(args[i], " \t") {
			if v, ok := flagValue(strings.Fields(args[i]), long, short); ok {
				return v, true
			}
			continue
		}
		a := args[i]
		if v, ok := strings.CutPrefix(a, long+"="); ok {
			return v, true
		}
		if (a == long || (short != "" && a == short)) && i+1 < len(args) {
			return args[i+1], true
		}
		if short != "" && len(a) > len(short) && strings.HasPrefix(a, short) && !strings.HasPrefix(a, "--") {
			if _, err := strconv.Atoi(a[len(short):]); err == nil {
				return a[len(short):], true
			}
		}
	}
	return "", false
}

func positive(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= 1
}

func nonNegative(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= 0
}

func (d *Demand) readProcesses(c Container, cmd []string, h hints) {
	joined := strings.ToLower(strings.Join(cmd, " "))
	switch {
	case strings.Contains(joined, "gunicorn"):
		d.Server = ServerGunicorn
	case strings.Contains(joined, "uvicorn"):
		d.Server = ServerUvicorn
	case strings.Contains(joined, "puma") || h.rails:
		d.Server = ServerPuma
	}
	if _, ok := c.Env[EnvGunicornCmdArgs]; ok && d.Server == "" {
		d.Server = ServerGunicorn
	}
	// Command line first, then GUNICORN_CMD_ARGS, then WEB_CONCURRENCY: the
	// one reader config validation uses too (WorkerCount). A stated count
	// that is not an integer ≥ 1 is not read: the default below applies.
	if n, src, ok, err := WorkerCount(cmd, nil, c.Env); ok && err == nil {
		switch src {
		case WorkersFromArgs:
			d.ProcessSource = "--workers " + strconv.Itoa(n) + " in the container's command/args"
		case WorkersFromGunicornCmdArgs:
			d.ProcessSource = "--workers " + strconv.Itoa(n) + " in env " + EnvGunicornCmdArgs
		default:
			d.ProcessSource = fmt.Sprintf("env %s=%d", EnvWebConcurrency, n)
		}
		d.Processes = n
		return
	}
	// One process is both the servers' default and the least an instance
	// runs, so it is not reported as an assumption.
	d.Processes = DefaultProcesses
}

// threads reads gunicorn's --threads or Puma's -t min:max (the max).
func threads(c Container, cmd []string) (int, string, bool) {
	if v, ok := flagValue(cmd, "--threads", "-t"); ok {
		if _, mx, found := strings.Cut(v, ":"); found {
			v = mx
		}
		if n, ok := positive(v); ok {
			return n, "--threads " + strconv.Itoa(n) + " in the container's command/args", true
		}
	}
	if args, ok := c.Env[EnvGunicornCmdArgs]; ok {
		if v, ok := flagValue(strings.Fields(args), "--threads", ""); ok {
			if n, ok := positive(v); ok {
				return n, "--threads " + strconv.Itoa(n) + " in env " + EnvGunicornCmdArgs, true
			}
		}
	}
	return DefaultThreads, "", false
}

func (d *Demand) readPool(c Container, cmd []string, h hints) {
	// Explicit numbers, most specific first.
	for _, ep := range d.Endpoints {
		if v, ok := ep.Params[ParamPrismaLimit]; ok {
			if n, ok := positive(v); ok {
				d.Framework, d.PoolSize, d.StartupConnections = FrameworkPrisma, n, 1
				d.PoolSource = fmt.Sprintf("%s=%d in env %s (Prisma)", ParamPrismaLimit, n, ep.Env)
				d.PoolSetting = Setting{Env: ep.Env, Param: ParamPrismaLimit}
				return
			}
		}
		if v, ok := ep.Params[ParamPgxMaxConns]; ok {
			if n, ok := positive(v); ok {
				d.Framework, d.PoolSize = FrameworkPgx, n
				d.StartupConnections = 1
				if m, ok := nonNegative(ep.Params[ParamPgxMinConns]); ok && m > 1 {
					d.StartupConnections = min(m, n)
				}
				d.PoolSource = fmt.Sprintf("%s=%d in env %s (pgxpool)", ParamPgxMaxConns, n, ep.Env)
				d.PoolSetting = Setting{Env: ep.Env, Param: ParamPgxMaxConns}
				return
			}
		}
	}
	if n, src, ok := hikariSetting(c, cmd, EnvHikariMaxPoolSize, hikariRelaxedMaxPool, hikariPropertyMaxPool, hikariPropertyMaxPool2); ok {
		d.Framework, d.PoolSize, d.PoolSource = FrameworkHikari, n, src+" (HikariCP)"
		for _, k := range []string{EnvHikariMaxPoolSize, hikariRelaxedMaxPool} {
			if v, ok := positive(c.Env[k]); ok && v == n {
				d.PoolSetting = Setting{Env: k}
				break
			}
		}
		d.StartupConnections = n
		if m, _, ok := hikariSetting(c, cmd, EnvHikariMinIdle, hikariRelaxedMinIdle, hikariPropertyMinIdle, ""); ok && m < n {
			d.StartupConnections = m
		}
		d.UsesPostgres = true
		return
	}
	if h.rails {
		for _, k := range []string{EnvRailsDBPool, EnvRailsMaxThreads} {
			if n, ok := positive(c.Env[k]); ok {
				d.Framework, d.PoolSize, d.StartupConnections = FrameworkRails, n, 1
				d.PoolSource = fmt.Sprintf("env %s=%d (ActiveRecord pool)", k, n)
				d.PoolSetting = Setting{Env: k}
				return
			}
		}
	}
	if n, ok := positive(c.Env[EnvSQLAlchemyPoolSize]); ok {
		d.Framework, d.PoolSize, d.StartupConnections = FrameworkSQLAlchemy, n, 1
		d.MaxOverflow = SQLAlchemyDefaultMaxOverflow
		d.PoolSource = fmt.Sprintf("env %s=%d (SQLAlchemy)", EnvSQLAlchemyPoolSize, n)
		d.PoolSetting = Setting{Env: EnvSQLAlchemyPoolSize}
		if m, ok := nonNegative(c.Env[EnvSQLAlchemyOverflow]); ok {
			d.MaxOverflow = m
		} else {
			d.Assumed = append(d.Assumed, fmt.Sprintf("SQLAlchemy's default max_overflow of %d", SQLAlchemyDefaultMaxOverflow))
		}
		d.UsesPostgres = true
		return
	}
	if h.django {
		n, src, ok := threads(c, cmd)
		d.Framework, d.PoolSize, d.StartupConnections = FrameworkDjango, n*DjangoConnectionsPerThread, 1
		if ok {
			d.PoolSource = src + " (Django: one connection per thread)"
		} else {
			d.PoolSource = fmt.Sprintf("Django's one connection per thread, %d thread per process", DefaultThreads)
			if d.UsesPostgres {
				d.Assumed = append(d.Assumed, fmt.Sprintf("Django's %d connection per thread × %d thread per process", DjangoConnectionsPerThread, DefaultThreads))
			}
		}
		return
	}
	if !d.UsesPostgres {
		return
	}
	// Defaults of a recognised framework, in the catalog's order.
	cpus := vcpus(c.VCPU)
	switch {
	case h.prisma:
		n := PrismaPoolPerCPU*cpus + PrismaPoolPlusOne
		d.Framework, d.PoolSize, d.StartupConnections = FrameworkPrisma, n, 1
		d.Assumed = append(d.Assumed, fmt.Sprintf("Prisma's default connection_limit = %d × %d vCPU + %d = %d", PrismaPoolPerCPU, cpus, PrismaPoolPlusOne, n))
	case h.pgx:
		n := max(PgxMinDefaultPool, cpus)
		d.Framework, d.PoolSize, d.StartupConnections = FrameworkPgx, n, 1
		d.Assumed = append(d.Assumed, fmt.Sprintf("pgxpool's default pool_max_conns = max(%d, %d vCPU) = %d", PgxMinDefaultPool, cpus, n))
	case h.hikari:
		d.Framework, d.PoolSize, d.StartupConnections = FrameworkHikari, HikariDefaultPool, HikariDefaultPool
		d.Assumed = append(d.Assumed, fmt.Sprintf("HikariCP's default maximumPoolSize = %d (minimumIdle = maximumPoolSize)", HikariDefaultPool))
	case h.rails:
		d.Framework, d.PoolSize, d.StartupConnections = FrameworkRails, RailsDefaultPool, 1
		d.Assumed = append(d.Assumed, fmt.Sprintf("Rails' default pool = RAILS_MAX_THREADS or %d", RailsDefaultPool))
	case h.sqlalchemy || h.python:
		d.Framework, d.PoolSize, d.MaxOverflow, d.StartupConnections = FrameworkSQLAlchemy, SQLAlchemyDefaultPoolSize, SQLAlchemyDefaultMaxOverflow, 1
		d.Assumed = append(d.Assumed, fmt.Sprintf("SQLAlchemy's default pool_size %d + max_overflow %d = %d", SQLAlchemyDefaultPoolSize, SQLAlchemyDefaultMaxOverflow, SQLAlchemyDefaultPoolSize+SQLAlchemyDefaultMaxOverflow))
	case h.node:
		d.Framework, d.PoolSize, d.StartupConnections = FrameworkNodePostgres, NodePostgresDefaultPool, 1
		d.Assumed = append(d.Assumed, fmt.Sprintf("node-postgres' default pool max = %d", NodePostgresDefaultPool))
	default:
		d.Framework, d.PoolSize, d.StartupConnections = FrameworkUnknown, UnknownFrameworkDefaultPool, 1
		d.Assumed = append(d.Assumed, fmt.Sprintf("%d connections per process (no framework recognised: node-postgres' and HikariCP's default)", UnknownFrameworkDefaultPool))
	}
	d.PoolSource = "default"
}

// hikariSetting reads a Hikari property from env (canonical or relaxed
// binding) or from -D/-- arguments.
func hikariSetting(c Container, cmd []string, env, relaxed, prop, prop2 string) (int, string, bool) {
	for _, k := range []string{env, relaxed} {
		if n, ok := positive(c.Env[k]); ok {
			return n, fmt.Sprintf("env %s=%d", k, n), true
		}
	}
	for _, p := range []string{prop, prop2} {
		if p == "" {
			continue
		}
		for _, a := range append(cmd, strings.Fields(c.Env["JAVA_TOOL_OPTIONS"]+" "+c.Env["JAVA_OPTS"])...) {
			for _, prefix := range []string{"-d" + p + "=", "--" + p + "="} {
				if v, ok := strings.CutPrefix(strings.ToLower(a), prefix); ok {
					if n, ok := positive(v); ok {
						return n, fmt.Sprintf("%s=%d in the container's args", p, n), true
					}
				}
			}
		}
	}
	return 0, "", false
}
