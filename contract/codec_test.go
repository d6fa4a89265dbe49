package contract

import (
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/infra/capacity"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConsumerLabelsCounts(t *testing.T) {
	got, err := ParseConsumerLabels(map[string]string{
		ConsumerLabelPrefix + "psql": "1", // the smallest valid count
		ConsumerLabelPrefix + "cron": "12",
		ConsumerLabelPrefix + "bi":   "3",
		"environment":                "prod",
	})
	require.NoError(t, err)
	assert.Equal(t, []capacity.Consumer{{Name: "bi", Connections: 3}, {Name: "cron", Connections: 12}, {Name: "psql", Connections: 1}}, got)
	for _, bad := range []string{"0", "-1", "x", ""} {
		_, err := ParseConsumerLabels(map[string]string{ConsumerLabelPrefix + "psql": bad})
		assert.ErrorContains(t, err, "want a positive number of connections", bad)
	}
}

func TestExtraPoolsRoundTrip(t *testing.T) {
	pools := []capacity.Pool{{Name: "asyncpg", PoolSize: 12, StartupConnections: 1}, {Name: "sqlalchemy", PoolSize: 6, MaxOverflow: 2}}
	s := EncodeExtraPools(pools)
	got, err := DecodeExtraPools(s)
	require.NoError(t, err)
	assert.Equal(t, pools, got)
	assert.Equal(t, "", EncodeExtraPools(nil))
	none, err := DecodeExtraPools("  ")
	require.NoError(t, err)
	assert.Nil(t, none)
}

func TestDecodeExtraPoolsRejects(t *testing.T) {
	for in, want := range map[string]string{
		`{"name":"x"}`:                                       "JSON array",
		`[{"name":"x","poolSize":0}]`:                        "poolSize: must be an integer ≥ 1, got 0",
		`[{"name":"x","poolSize":2,"size":3}]`:               "unknown field",
		`[{"name":"x","poolSize":2,"maxOverflow":-1}]`:       "maxOverflow: must be an integer ≥ 0, got -1",
		`[{"name":"x","poolSize":2,"startupConnections":3}]`: "got 3",
		`[{"name":"x","poolSize":2}] []`:                     "trailing data",
	} {
		_, err := DecodeExtraPools(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
		assert.Contains(t, err.Error(), EnvDBExtraPools, in)
	}
}

func TestConsumerLabelsRoundTrip(t *testing.T) {
	cs := []capacity.Consumer{{Name: "bi", Connections: 3}, {Name: "migrations", Connections: 5}}
	labels := ConsumerLabels(cs)
	labels["managed-by"] = "headroom"
	got, err := ParseConsumerLabels(labels)
	require.NoError(t, err)
	assert.Equal(t, cs, got)
	_, err = ParseConsumerLabels(map[string]string{ConsumerLabelPrefix + "psql": "0"})
	assert.ErrorContains(t, err, "positive number")
	assert.NoError(t, ValidateConsumerName("cron_jobs-1"))
	for _, bad := range []string{"", "Psql", "1job", "a.b", strings.Repeat("a", 46)} {
		assert.Error(t, ValidateConsumerName(bad), bad)
	}
}

func FuzzDecodeExtraPools(f *testing.F) {
	f.Add(`[{"name":"a","poolSize":1}]`)
	f.Add(`[]`)
	f.Add(`[{"poolSize":-1}]`)
	f.Fuzz(func(t *testing.T, s string) {
		pools, err := DecodeExtraPools(s)
		if err != nil {
			return
		}
		for _, p := range pools {
			require.NoError(t, capacity.ValidatePool(p.PoolSize, p.MaxOverflow, p.StartupConnections))
		}
		again, err := DecodeExtraPools(EncodeExtraPools(pools))
		require.NoError(t, err)
		assert.Equal(t, len(pools), len(again))
	})
}
