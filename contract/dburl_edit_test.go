package contract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSetDSNParam(t *testing.T) {
	const pw = "p%40ss%3Fw%23rd"
	tests := []struct {
		name, in, key, value, want string
		ok                         bool
	}{
		{"replace", "postgresql://app:" + pw + "@10.0.0.3:5432/app?schema=public&connection_limit=10", ParamPrismaLimit, "4",
			"postgresql://app:" + pw + "@10.0.0.3:5432/app?schema=public&connection_limit=4", true},
		{"add to a query", "postgresql://app:" + pw + "@10.0.0.3:5432/app?schema=public", ParamPrismaLimit, "4",
			"postgresql://app:" + pw + "@10.0.0.3:5432/app?schema=public&connection_limit=4", true},
		{"add without a query", "postgres://app:x@h/app", ParamPgxMaxConns, "3", "postgres://app:x@h/app?pool_max_conns=3", true},
		{"empty query", "postgres://app:x@h/app?", ParamPgxMaxConns, "3", "postgres://app:x@h/app?pool_max_conns=3", true},
		{"case of the key", "postgres://h/app?Connection_Limit=9", ParamPrismaLimit, "2", "postgres://h/app?connection_limit=2", true},
		{"jdbc", "jdbc:postgresql://h:5432/app?ssl=true", "maxPoolSize", "5", "jdbc:postgresql://h:5432/app?ssl=true&maxPoolSize=5", true},
		{"libpq replace", "host=10.0.0.3 password='a b' pool_max_conns=20 dbname=app", ParamPgxMaxConns, "5",
			"host=10.0.0.3 password='a b' pool_max_conns=5 dbname=app", true},
		{"libpq quoted value holding the key", "host=h password='x pool_max_conns=1' pool_max_conns = 20", ParamPgxMaxConns, "5",
			"host=h password='x pool_max_conns=1' pool_max_conns = 5", true},
		{"libpq add", "host=10.0.0.3 dbname=app ", ParamPgxMaxConns, "5", "host=10.0.0.3 dbname=app pool_max_conns=5", true},
		{"libpq open quote", "host=h password='abc", ParamPgxMaxConns, "5", "host=h password='abc", false},
		{"not a DSN", "redis://h:6379", ParamPrismaLimit, "1", "redis://h:6379", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SetDSNParam(tt.in, tt.key, tt.value)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
			if ok {
				ep, ok := ParsePostgresDSN(got)
				assert.True(t, ok)
				assert.Equal(t, tt.value, ep.Params[strings.ToLower(tt.key)])
			}
		})
	}
}

func TestPoolSetting(t *testing.T) {
	url := "postgresql://app:pw@10.0.0.3/app?connection_limit=10"
	tests := []struct {
		name string
		c    Container
		want Setting
	}{
		{"prisma", Container{Env: map[string]string{"DATABASE_URL": url}}, Setting{Env: "DATABASE_URL", Param: ParamPrismaLimit}},
		{"pgx", Container{Env: map[string]string{"PG_URL": "postgres://h/app?pool_max_conns=4"}}, Setting{Env: "PG_URL", Param: ParamPgxMaxConns}},
		{"hikari", Container{Env: map[string]string{EnvHikariMaxPoolSize: "20"}}, Setting{Env: EnvHikariMaxPoolSize}},
		{"rails", Container{Env: map[string]string{"DATABASE_URL": "postgres://h/app", "RAILS_ENV": "production", EnvRailsMaxThreads: "5"}}, Setting{Env: EnvRailsMaxThreads}},
		{"sqlalchemy", Container{Env: map[string]string{"DATABASE_URL": "postgresql+psycopg2://h/app", EnvSQLAlchemyPoolSize: "5"}}, Setting{Env: EnvSQLAlchemyPoolSize}},
		{"default", Container{Env: map[string]string{"DATABASE_URL": "postgresql://h/app?schema=public"}}, Setting{}},
		{"hikari in args", Container{Env: map[string]string{}, Args: []string{"-Dspring.datasource.hikari.maximum-pool-size=7"}}, Setting{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ReadDemand(tt.c).PoolSetting)
		})
	}
}

// FuzzSetDSNParam: a connection string SetDSNParam edits reads back with
// the parameter and keeps its host; one it refuses is returned unchanged;
// nothing panics.
func FuzzSetDSNParam(f *testing.F) {
	for _, s := range []string{"postgresql://app:pw@10.0.0.3:5432/app?connection_limit=10", "host=h dbname=d password='a b'",
		"jdbc:postgresql://h/app", "postgres://h/app?", "host = h pool_max_conns = 3", "postgres://u:p%3F@h/d?a=1&&b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		before, ok := ParsePostgresDSN(s)
		out, set := SetDSNParam(s, ParamPgxMaxConns, "7")
		if !ok {
			if set || out != s {
				t.Fatalf("%q: not a DSN, yet changed", s)
			}
			return
		}
		if !set {
			if out != s {
				t.Fatalf("%q: refused, yet changed to %q", s, out)
			}
			return
		}
		after, ok := ParsePostgresDSN(out)
		if !ok || after.Params[ParamPgxMaxConns] != "7" || after.Host != before.Host {
			t.Fatalf("%q → %q: %+v, host %q was %q", s, out, after.Params, after.Host, before.Host)
		}
	})
}
