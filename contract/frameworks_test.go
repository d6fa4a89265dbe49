package contract

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestReadDemand: the catalog's reading of env, args and command, one row
// per source of a number.
func TestReadDemand(t *testing.T) {
	url := "postgresql://app:pw@10.0.0.3/app"
	cases := []struct {
		name                  string
		c                     Container
		fw                    string
		pool, overflow, procs int
		startup               int
		usesPG                bool
		assumed               bool
	}{
		{name: "nothing", c: Container{Env: map[string]string{"PORT": "8080"}}, procs: 1},
		{name: "prisma limit", c: Container{Env: map[string]string{"DATABASE_URL": url + "?connection_limit=7"}}, fw: FrameworkPrisma, pool: 7, procs: 1, startup: 1, usesPG: true},
		{name: "prisma limit 0 is not a setting", c: Container{Env: map[string]string{"DATABASE_URL": url + "?connection_limit=0"}}, fw: FrameworkPrisma, pool: 3, procs: 1, startup: 1, usesPG: true, assumed: true},
		{name: "prisma 2 vCPU", c: Container{Env: map[string]string{"DATABASE_URL": url + "?schema=public"}, VCPU: 2}, fw: FrameworkPrisma, pool: 5, procs: 1, startup: 1, usesPG: true, assumed: true},
		{name: "prisma half vCPU", c: Container{Env: map[string]string{"DATABASE_URL": url + "?schema=public"}, VCPU: 0.5}, fw: FrameworkPrisma, pool: 3, procs: 1, startup: 1, usesPG: true, assumed: true},
		{name: "pgx min conns open at start", c: Container{Env: map[string]string{"DATABASE_URL": url + "?pool_max_conns=8&pool_min_conns=4"}}, fw: FrameworkPgx, pool: 8, procs: 1, startup: 4, usesPG: true},
		{name: "pgx default 8 vCPU", c: Container{Env: map[string]string{"DATABASE_URL": url + "?pool_max_conn_lifetime=1h"}, VCPU: 8}, fw: FrameworkPgx, pool: 8, procs: 1, startup: 1, usesPG: true, assumed: true},
		{name: "hikari min idle", c: Container{Env: map[string]string{EnvHikariMaxPoolSize: "12", EnvHikariMinIdle: "2"}}, fw: FrameworkHikari, pool: 12, procs: 1, startup: 2, usesPG: true},
		{name: "hikari in args", c: Container{Args: []string{"-Dspring.datasource.hikari.maximum-pool-size=6", "-jar", "app.jar"}}, fw: FrameworkHikari, pool: 6, procs: 1, startup: 6, usesPG: true},
		{name: "hikari relaxed binding", c: Container{Env: map[string]string{"SPRING_DATASOURCE_HIKARI_MAXIMUMPOOLSIZE": "4"}}, fw: FrameworkHikari, pool: 4, procs: 1, startup: 4, usesPG: true},
		{name: "rails pool and puma workers flag", c: Container{Env: map[string]string{"DATABASE_URL": url, "RAILS_ENV": "production", "DB_POOL": "3"},
			Command: []string{"bundle", "exec", "puma", "-w", "4"}}, fw: FrameworkRails, pool: 3, procs: 4, startup: 1, usesPG: true},
		{name: "shell form gunicorn", c: Container{Env: map[string]string{"DATABASE_URL": "postgresql+psycopg://app@10.0.0.3/app"},
			Command: []string{"sh", "-c", "exec gunicorn -w 3 --threads 2 app:app"}}, fw: FrameworkSQLAlchemy, pool: 5, overflow: 10, procs: 3, startup: 1, usesPG: true, assumed: true},
		{name: "gunicorn -w4 joined", c: Container{Env: map[string]string{"DATABASE_URL": "postgresql+psycopg://app@10.0.0.3/app", EnvSQLAlchemyPoolSize: "2", EnvSQLAlchemyOverflow: "1"},
			Args: []string{"gunicorn", "-w4", "app:app"}}, fw: FrameworkSQLAlchemy, pool: 2, overflow: 1, procs: 4, startup: 1, usesPG: true},
		{name: "args win over WEB_CONCURRENCY", c: Container{Env: map[string]string{"DATABASE_URL": url, EnvWebConcurrency: "8", "NODE_ENV": "x"},
			Args: []string{"--workers", "2"}}, fw: FrameworkNodePostgres, pool: 10, procs: 2, startup: 1, usesPG: true, assumed: true},
		{name: "secret URL alone", c: Container{Opaque: map[string]string{"DATABASE_URL": "from Secret Manager secret x"}}, procs: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := ReadDemand(c.c)
			assert.Equal(t, c.fw, d.Framework)
			assert.Equal(t, c.pool, d.PoolSize)
			assert.Equal(t, c.overflow, d.MaxOverflow)
			assert.Equal(t, c.procs, d.Processes)
			assert.Equal(t, c.startup, d.StartupConnections)
			assert.Equal(t, c.usesPG, d.UsesPostgres)
			assert.Equal(t, c.assumed, len(d.Assumed) > 0, "%v", d.Assumed)
		})
	}
	d := ReadDemand(Container{Opaque: map[string]string{"DATABASE_URL": "from Secret Manager secret x", "LOG_LEVEL": "unknown until apply"}})
	assert.Equal(t, []string{"env DATABASE_URL (from Secret Manager secret x)"}, d.Opaque, "only DB-looking names are worth a finding")
}

func TestCatalogEntries(t *testing.T) {
	for _, f := range append(append([]Framework{}, Frameworks...), Servers...) {
		assert.NotEmpty(t, f.Title, f.ID)
		assert.NotEmpty(t, f.Default, f.ID)
		if f.ID != FrameworkUnknown {
			assert.Regexp(t, `^https://`, f.DocURL, f.ID)
		}
		got, ok := LookupFramework(f.ID)
		assert.True(t, ok)
		assert.Equal(t, f, got)
	}
}

func TestParseCPUAndNames(t *testing.T) {
	for in, want := range map[string]float64{"1": 1, "2": 2, "1000m": 1, "500m": 0.5, " 4 ": 4} {
		got, ok := ParseCPU(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "0", "-1", "abc", "m", "Infm", "NaN", "Inf"} {
		_, ok := ParseCPU(in)
		assert.False(t, ok, in)
	}
	assert.True(t, IsConnectionName("proj:us-central1:db"))
	assert.True(t, IsConnectionName("example.com:proj:europe-west1:db-1"))
	assert.False(t, IsConnectionName("10.0.0.3:5432"))
	assert.False(t, IsConnectionName("a:b"))
	assert.Equal(t, "db", InstanceOfConnectionName("proj:us-central1:db"))
}

func TestIsDBEnvName(t *testing.T) {
	for _, n := range []string{"DATABASE_URL", "DB_HOST", "APP_DB", "PRIMARY_DB_URL", "POSTGRES_PASSWORD", "PGHOST", "JDBC_URL",
		"PG_DSN", "SQLALCHEMY_DATABASE_URI", "SPRING_DATASOURCE_URL", "CONNECTION_STRING", "MYSQL_URL"} {
		assert.True(t, IsDBEnvName(n), n)
	}
	for _, n := range []string{"REDIS_URL", "API_URL", "PORT", "LOG_LEVEL", "PAGE_SIZE", "DEBUG"} {
		assert.False(t, IsDBEnvName(n), n)
	}
}
