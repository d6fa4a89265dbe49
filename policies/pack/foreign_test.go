package pack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// Programs that Headroom did not generate: the pack reads their demand
// through the framework catalog (contract.ReadDemand) and their database
// through connection strings, Cloud SQL references and DB_HOST. The
// instance is a db-custom-1-3840 without a max_connections flag: 100 by
// default, 76 allowed (5 reserved, 0.80 utilization) with 10 of admin
// slack, so a service fits when 2 × maxInstances × connections per instance
// + 10 ≤ 76 (the rollout scenario keeps the old revision's pools open).

func evalForeign(t *testing.T, rs []policyx.AnalyzerResource, cfg pack.Config) pack.Result {
	t.Helper()
	res, err := pack.Evaluate(rs, cfg)
	require.NoError(t, err)
	// No env value's credential ever leaves the pack, in any field.
	assert.NotContains(t, fmt.Sprintf("%+v", res), pt.ForeignPassword)
	return res
}

func messages(res pack.Result, policy string) string {
	var out []string
	for _, v := range res.Violations {
		if v.Policy == policy {
			out = append(out, "["+v.Level+"] "+v.Message)
		}
	}
	return strings.Join(out, "\n")
}

func mandatoryOf(res pack.Result, policy string) []string {
	var out []string
	for _, v := range res.Mandatory() {
		if v.Policy == policy {
			out = append(out, v.Message)
		}
	}
	return out
}

func foreignURL(scheme, query string) string {
	u := scheme + "://app:" + pt.ForeignPassword + "@10.0.0.3:5432/app"
	if query != "" {
		u += "?" + query
	}
	return u
}

// TestIssueScenario: the Prisma program of the issue is refused for its
// connection budget (50 × 10 = 500 against 100) and, with
// connection_limit=1, its cold start fits.
func TestIssueScenario(t *testing.T) {
	res := evalForeign(t, pt.ForeignStack(pt.ForeignService(50, map[string]any{"DATABASE_URL": pt.PrismaURL("10")}, nil)), pack.DefaultConfig())
	budget := mandatoryOf(res, pack.PolicyConnectionBudget)
	require.NotEmpty(t, budget)
	assert.Contains(t, strings.Join(budget, "\n"), "cold-start: connection demand 510 (api (us-central1) 50×10=500 + admin slack 10) exceeds allowed 76 = floor((max_connections 100 [tier default]")
	require.Len(t, res.Topology.Workloads, 1)
	assert.Equal(t, "db", res.Topology.Workloads[0].Database)

	res = evalForeign(t, pt.ForeignStack(pt.ForeignService(50, map[string]any{"DATABASE_URL": pt.PrismaURL("1")}, nil)), pack.DefaultConfig())
	for _, m := range mandatoryOf(res, pack.PolicyConnectionBudget) {
		assert.NotContains(t, m, "cold-start:", "50 × 1 + 10 fits in 76")
	}
	// The rollout keeps the old revision's 50 connections open: 110 > 76,
	// so 50 instances only fit a deploy at ≤ 33.
	res = evalForeign(t, pt.ForeignStack(pt.ForeignService(33, map[string]any{"DATABASE_URL": pt.PrismaURL("1")}, nil)), pack.DefaultConfig())
	assert.Empty(t, mandatoryOf(res, pack.PolicyConnectionBudget))
	assert.Empty(t, messages(res, pack.PolicyDemandReadable), "connection_limit is read, nothing assumed")

	// First preview: the instance is new, its address and so the URL are
	// unknown. The service and the value are named; nothing is refused
	// on a guess (JudgeRegistration judges it during the update).
	rs := pt.ForeignStack(pt.ForeignService(50, map[string]any{"DATABASE_URL": pt.Computed}, nil))
	inst := pt.ForeignInstanceInputs()
	inst["privateIpAddress"] = pt.Computed
	rs[1] = pt.Resource(pt.TypeSQLInstance, "db", inst)
	res = evalForeign(t, rs, pack.DefaultConfig())
	assert.Contains(t, messages(res, pack.PolicyCapacityModel), "[advisory] cannot verify until known: api env DATABASE_URL (service left out of the capacity analyses)")
	assert.Empty(t, mandatoryOf(res, pack.PolicyConnectionBudget))
}

// TestFrameworkDemand: each framework of the catalog, refused when its
// demand does not fit, passed when it does, and its default named (with
// the number) when nothing is set.
func TestFrameworkDemand(t *testing.T) {
	gunicorn := func(args ...string) map[string]any { return map[string]any{"args": args} }
	cases := []struct {
		name      string
		max       int
		env       map[string]any
		container map[string]any
		perInst   int    // connections per instance read
		assumed   string // the default named, "" when read
	}{
		{name: "prisma limit 10", max: 50, env: map[string]any{"DATABASE_URL": pt.PrismaURL("10")}, perInst: 10},
		{name: "prisma limit 1", max: 30, env: map[string]any{"DATABASE_URL": pt.PrismaURL("1")}, perInst: 1},
		{name: "prisma default 1 vCPU", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgresql", "schema=public")}, perInst: 3,
			assumed: "Prisma's default connection_limit = 2 × 1 vCPU + 1 = 3"},
		{name: "prisma default 4 vCPU", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgresql", "schema=public")},
			container: map[string]any{"resources": map[string]any{"limits": map[string]any{"cpu": "4000m"}}}, perInst: 9,
			assumed: "Prisma's default connection_limit = 2 × 4 vCPU + 1 = 9"},
		{name: "pgx pool_max_conns 20", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgres", "pool_max_conns=20")}, perInst: 20},
		{name: "pgx pool_max_conns 2", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgres", "pool_max_conns=2")}, perInst: 2},
		{name: "pgx default", max: 5, env: map[string]any{"DATABASE_URL": foreignURL("postgres", "pool_min_conns=1")}, perInst: 4,
			assumed: "pgxpool's default pool_max_conns = max(4, 1 vCPU) = 4"},
		{name: "hikari 20", max: 10, env: map[string]any{"SPRING_DATASOURCE_URL": "jdbc:postgresql://10.0.0.3:5432/app",
			"SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE": "20"}, perInst: 20},
		{name: "hikari 3", max: 10, env: map[string]any{"SPRING_DATASOURCE_URL": "jdbc:postgresql://10.0.0.3:5432/app",
			"SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE": "3"}, perInst: 3},
		{name: "hikari default", max: 3, env: map[string]any{"SPRING_DATASOURCE_URL": "jdbc:postgresql://10.0.0.3:5432/app?password=" + pt.ForeignPassword},
			perInst: 10, assumed: "HikariCP's default maximumPoolSize = 10"},
		{name: "gunicorn sqlalchemy default", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgresql+psycopg2", "")},
			container: gunicorn("gunicorn", "-w", "4", "app:app"), perInst: 60,
			assumed: "SQLAlchemy's default pool_size 5 + max_overflow 10 = 15"},
		{name: "gunicorn sqlalchemy small", max: 5, env: map[string]any{"DATABASE_URL": foreignURL("postgresql+psycopg2", ""),
			"SQLALCHEMY_POOL_SIZE": "2", "SQLALCHEMY_MAX_OVERFLOW": "0"}, container: gunicorn("gunicorn", "--workers=2", "app:app"), perInst: 4},
		{name: "GUNICORN_CMD_ARGS workers", max: 5, env: map[string]any{"DATABASE_URL": foreignURL("postgresql+asyncpg", ""),
			"SQLALCHEMY_POOL_SIZE": "1", "SQLALCHEMY_MAX_OVERFLOW": "0", "GUNICORN_CMD_ARGS": "--bind :8080 --workers 3"}, perInst: 3},
		{name: "uvicorn WEB_CONCURRENCY", max: 5, env: map[string]any{"DATABASE_URL": foreignURL("postgresql+asyncpg", ""),
			"SQLALCHEMY_POOL_SIZE": "1", "SQLALCHEMY_MAX_OVERFLOW": "1", "WEB_CONCURRENCY": "2"},
			container: map[string]any{"commands": []any{"uvicorn", "app:app"}}, perInst: 4},
		{name: "rails DB_POOL and puma workers", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgres", ""),
			"RAILS_ENV": "production", "DB_POOL": "5", "WEB_CONCURRENCY": "2"}, perInst: 10},
		{name: "rails RAILS_MAX_THREADS", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgres", ""),
			"RAILS_ENV": "production", "RAILS_MAX_THREADS": "2"}, perInst: 2},
		{name: "rails default", max: 5, env: map[string]any{"DATABASE_URL": foreignURL("postgres", ""), "RAILS_ENV": "production"},
			perInst: 5, assumed: "Rails' default pool = RAILS_MAX_THREADS or 5"},
		{name: "django threads", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgres", ""), "DJANGO_SETTINGS_MODULE": "app.settings",
			"CONN_MAX_AGE": "60"}, container: gunicorn("gunicorn", "--workers", "2", "--threads", "4", "app.wsgi"), perInst: 8},
		{name: "django default", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgres", ""), "DJANGO_SETTINGS_MODULE": "app.settings"},
			container: gunicorn("gunicorn", "app.wsgi"), perInst: 1, assumed: "Django's 1 connection per thread × 1 thread per process"},
		{name: "node-postgres default", max: 3, env: map[string]any{"PGHOST": "10.0.0.3", "PGDATABASE": "app", "NODE_ENV": "production", "DB_HOST": "10.0.0.3"},
			perInst: 10, assumed: "node-postgres' default pool max = 10"},
		{name: "node-postgres too many", max: 10, env: map[string]any{"DATABASE_URL": foreignURL("postgres", ""), "NODE_ENV": "production"},
			perInst: 10, assumed: "node-postgres' default pool max = 10"},
		{name: "no framework recognised", max: 3, env: map[string]any{"DATABASE_URL": foreignURL("postgresql", "")},
			perInst: 10, assumed: "10 connections per process (no framework recognised"},
		{name: "key=value DSN", max: 10, env: map[string]any{"PG_DSN": "host=10.0.0.3 port=5432 dbname=app user=app password=" + pt.ForeignPassword + " pool_max_conns=3"},
			perInst: 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := evalForeign(t, pt.ForeignStack(pt.ForeignService(c.max, c.env, c.container)), pack.DefaultConfig())
			require.Len(t, res.Topology.Workloads, 1, "%s", messages(res, pack.PolicyDemandReadable))
			w := res.Topology.Workloads[0]
			assert.Equal(t, "db", w.Database)
			assert.Equal(t, c.perInst, w.ConnectionsPerInstance())
			fits := 2*c.max*c.perInst+10 <= 76
			budget := mandatoryOf(res, pack.PolicyConnectionBudget)
			if fits {
				assert.Empty(t, budget)
			} else {
				assert.NotEmpty(t, budget)
			}
			notes := messages(res, pack.PolicyDemandReadable)
			if c.assumed != "" {
				assert.Contains(t, notes, c.assumed)
				assert.Contains(t, notes, "[advisory] service api: no pool size is set")
			} else {
				assert.Empty(t, notes)
			}
		})
	}
}

// TestForeignBinding: every way a service names its database.
func TestForeignBinding(t *testing.T) {
	socket := "postgresql://app:" + pt.ForeignPassword + "@/app?host=/cloudsql/p:us-central1:db&connection_limit=2"
	cases := []struct {
		name      string
		env       map[string]any
		edit      func(m map[string]any)
		bound     bool
		unknown   string // an Unknown path
		note      string // a cloudrun-db-demand-readable message part
		noteLevel string
	}{
		{name: "private IP in URL", env: map[string]any{"DATABASE_URL": pt.PrismaURL("2")}, bound: true},
		{name: "an unknown REDIS_URL does not hide the database", env: map[string]any{"DATABASE_URL": pt.PrismaURL("2"), "REDIS_URL": pt.Computed}, bound: true},
		{name: "unix socket in URL", env: map[string]any{"DATABASE_URL": socket}, bound: true},
		{name: "percent-encoded socket host", env: map[string]any{"DATABASE_URL": "postgresql://app@%2Fcloudsql%2Fp%3Aus-central1%3Adb/app?connection_limit=2"}, bound: true},
		{name: "jdbc socket factory", env: map[string]any{"SPRING_DATASOURCE_URL": "jdbc:postgresql:///app?cloudSqlInstance=p:us-central1:db&socketFactory=com.google.cloud.sql.postgres.SocketFactory",
			"SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE": "2"}, bound: true},
		{name: "DB_HOST", env: map[string]any{"DB_HOST": "10.0.0.3", "NODE_ENV": "production"}, bound: true},
		{name: "cloud sql volume", env: map[string]any{"RAILS_ENV": "production", "DB_POOL": "2"}, bound: true,
			edit: func(m map[string]any) {
				pt.Set(m, "template.volumes", []any{map[string]any{"name": "cloudsql", "cloudSqlInstance": map[string]any{"instances": []any{"p:us-central1:db"}}}})
			}},
		{name: "cloudsql-instances annotation", env: map[string]any{"DATABASE_URL": "postgresql://app@localhost/app?connection_limit=2"}, bound: true,
			edit: func(m map[string]any) {
				m["annotations"] = map[string]any{"run.googleapis.com/cloudsql-instances": "p:us-central1:db"}
			}},
		{name: "auth proxy sidecar", env: map[string]any{"DATABASE_URL": "postgresql://app@127.0.0.1:5432/app?connection_limit=2"}, bound: true,
			edit: func(m map[string]any) {
				cs := m["template"].(map[string]any)["containers"].([]map[string]any)
				cs = append(cs, map[string]any{"image": "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2", "args": []any{"--private-ip", "p:us-central1:db"}})
				m["template"].(map[string]any)["containers"] = cs
			}},
		{name: "address outside the stack", env: map[string]any{"DATABASE_URL": "postgresql://app:" + pt.ForeignPassword + "@10.9.9.9/app?connection_limit=2"},
			note: "env DATABASE_URL points at 10.9.9.9, which is no Cloud SQL instance of this stack", noteLevel: pack.LevelAdvisory},
		{name: "url unknown until apply", env: map[string]any{"DATABASE_URL": pt.Computed}, unknown: "env DATABASE_URL"},
		{name: "url from secret manager", edit: func(m map[string]any) {
			pt.Set(m, "template.containers[0].envs", []any{map[string]any{"name": "DATABASE_URL",
				"valueSource": map[string]any{"secretKeyRef": map[string]any{"secret": "db-url", "version": "latest"}}}})
		}, note: "env DATABASE_URL (from Secret Manager secret db-url)", noteLevel: pack.LevelAdvisory},
		{name: "no database at all", env: map[string]any{"PORT": "8080", "LOG_LEVEL": "info"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc := pt.ForeignService(50, c.env, nil)
			if c.edit != nil {
				c.edit(svc)
			}
			res := evalForeign(t, pt.ForeignStack(svc), pack.DefaultConfig())
			if c.bound {
				require.Len(t, res.Topology.Workloads, 1, "%s", messages(res, pack.PolicyDemandReadable))
				assert.Equal(t, "db", res.Topology.Workloads[0].Database)
				assert.NotEmpty(t, mandatoryOf(res, pack.PolicyConnectionBudget), "50 × 2 > 76")
			}
			if c.unknown != "" {
				var paths []string
				for _, u := range res.Unknowns {
					paths = append(paths, u.Path)
				}
				assert.Contains(t, paths, c.unknown)
				assert.Contains(t, messages(res, pack.PolicyCapacityModel), "cannot verify until known: api "+c.unknown)
			}
			notes := messages(res, pack.PolicyDemandReadable)
			if c.note != "" {
				assert.Contains(t, notes, "["+c.noteLevel+"] ")
				assert.Contains(t, notes, c.note)
				// Configurable to mandatory.
				cfg := pack.DefaultConfig()
				cfg.Levels = map[string]string{pack.PolicyDemandReadable: pack.LevelMandatory}
				res = evalForeign(t, pt.ForeignStack(svc), cfg)
				assert.Contains(t, strings.Join(mandatoryOf(res, pack.PolicyDemandReadable), "\n"), c.note)
			}
			if !c.bound && c.unknown == "" && c.note == "" {
				assert.Empty(t, notes)
				require.Len(t, res.Topology.Workloads, 1)
				assert.Empty(t, res.Topology.Workloads[0].Database)
			}
		})
	}
}
