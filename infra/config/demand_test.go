package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// TestDemandKeys: processes, extra pools and consumers decode with their
// defaults and reach the capacity model's form.
func TestDemandKeys(t *testing.T) {
	vals := applyEdits(t, load(t, "staging").Values,
		edit{"headroom:workloads[0].processes", `2`},
		edit{"headroom:workloads[0].db.extraPools", `[{"name":"asyncpg","poolSize":8},{"name":"sqlalchemy","poolSize":4,"maxOverflow":4,"startupConnections":0}]`},
		edit{"headroom:database.consumers", `[{"name":"migrations","connections":5},{"name":"bi","connections":3}]`},
	)
	s, err := Decode("staging", vals)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Workloads[0].Processes)
	assert.Equal(t, 1, s.Workloads[1].Processes, "default")
	assert.Equal(t, []capacity.Pool{
		{Name: "asyncpg", PoolSize: 8, StartupConnections: 1}, // startup defaults to 1
		{Name: "sqlalchemy", PoolSize: 4, MaxOverflow: 4},
	}, s.Workloads[0].CapacityPools())
	assert.Equal(t, []capacity.Consumer{{Name: "migrations", Connections: 5}, {Name: "bi", Connections: 3}}, s.ConsumersOf(PrimaryTarget))
	assert.Empty(t, s.ConsumersOf("no-such-replica"))
}

func TestDemandKeysBadInput(t *testing.T) {
	cases := []struct {
		edit     edit
		key, msg string
	}{
		{edit{"headroom:workloads[0].processes", `0`}, "headroom:workloads[0].processes", "an integer ≥ 1"},
		{edit{"headroom:workloads[0].processes", `"two"`}, "headroom:workloads[0].processes", "an integer ≥ 1"},
		{edit{"headroom:workloads[0].db.extraPools", `{"a":1}`}, "headroom:workloads[0].db.extraPools", "a list of pools"},
		{edit{"headroom:workloads[0].db.extraPools", `[null]`}, "headroom:workloads[0].db.extraPools[0]", "got null"},
		{edit{"headroom:workloads[0].db.extraPools", `[{"poolSize":2}]`}, "headroom:workloads[0].db.extraPools[0].name", "required"},
		{edit{"headroom:workloads[0].db.extraPools", `[{"name":"main","poolSize":2}]`}, "headroom:workloads[0].db.extraPools[0].name", "not \"main\""},
		{edit{"headroom:workloads[0].db.extraPools", `[{"name":"a","poolSize":2},{"name":"a","poolSize":2}]`}, "headroom:workloads[0].db.extraPools[1].name", "unique"},
		{edit{"headroom:workloads[0].db.extraPools", `[{"name":"a"}]`}, "headroom:workloads[0].db.extraPools[0].poolSize", "required"},
		{edit{"headroom:workloads[0].db.extraPools", `[{"name":"a","poolSize":0}]`}, "headroom:workloads[0].db.extraPools[0].poolSize", "≥ 1, got 0"},
		{edit{"headroom:workloads[0].db.extraPools", `[{"name":"a","poolSize":2,"maxOverflow":-1}]`}, "headroom:workloads[0].db.extraPools[0].maxOverflow", "≥ 0, got -1"},
		{edit{"headroom:workloads[0].db.extraPools", `[{"name":"a","poolSize":2,"startupConnections":3}]`}, "headroom:workloads[0].db.extraPools[0].startupConnections", "poolSize + maxOverflow (2), got 3"},
		{edit{"headroom:workloads[0].db.extraPools", `[{"name":"a","poolSize":2,"size":3}]`}, "headroom:workloads[0].db.extraPools[0].size", "unknown key"},
		{edit{"headroom:database.consumers", `[{"name":"Psql","connections":2}]`}, "headroom:database.consumers[0].name", "lowercase"},
		{edit{"headroom:database.consumers", `[{"name":"psql"}]`}, "headroom:database.consumers[0].connections", "required"},
		{edit{"headroom:database.consumers", `[{"name":"psql","connections":0}]`}, "headroom:database.consumers[0].connections", "≥ 1, got 0"},
		{edit{"headroom:database.consumers", `[{"name":"psql","connections":1},{"name":"psql","connections":1}]`}, "headroom:database.consumers[1].name", "listed twice"},
		{edit{"headroom:database.consumers", `[{"name":"psql","connections":1,"target":"nope"}]`}, "headroom:database.consumers[0].target", "\"primary\" or the name of a replica"},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			_, err := Decode("staging", applyEdits(t, load(t, "staging").Values, c.edit))
			require.Error(t, err)
			var ce *Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.key, ce.Key)
			assert.Contains(t, err.Error(), c.msg)
			assert.False(t, strings.ContainsAny(err.Error(), "\r\n"))
		})
	}
}
