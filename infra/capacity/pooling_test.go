package capacity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMCPPoolers(t *testing.T) {
	for _, tc := range []struct{ vcpus, want int }{
		{0, 1}, {1, 1}, {2, 1}, {4, 1}, {7, 1}, {8, 2}, {15, 3}, {16, 4}, {64, 16},
	} {
		assert.Equal(t, tc.want, MCPPoolers(tc.vcpus), "%d vCPUs", tc.vcpus)
	}
}

func TestManagedPoolingSupported(t *testing.T) {
	assert.True(t, ManagedPoolingSupported(EditionEnterprisePlus))
	assert.True(t, ManagedPoolingSupported("enterprise_plus"))
	assert.False(t, ManagedPoolingSupported(EditionEnterprise))
	assert.False(t, ManagedPoolingSupported(""))
}

func TestParseManagedPoolingFlags(t *testing.T) {
	p, err := ParseManagedPoolingFlags(map[string]string{"max_pool_size": "10", "max_client_connections": " 500 ", "pool_mode": "transaction"})
	require.NoError(t, err)
	assert.Equal(t, ManagedPooling{Enabled: true, MaxClientConnections: 500, MaxPoolSize: 10}, p)
	p, err = ParseManagedPoolingFlags(nil)
	require.NoError(t, err)
	assert.Equal(t, ManagedPooling{Enabled: true}, p)
	for _, bad := range []map[string]string{{"max_pool_size": "0"}, {"max_pool_size": "ten"}, {"max_client_connections": "-1"}} {
		_, err := ParseManagedPoolingFlags(bad)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "want an integer ≥ 1")
	}
}

// Boundaries: clients at and one over the poolers' capacity; server
// connections at and one over usable max_connections; a pair's server
// connections never exceed its clients nor poolers × max_pool_size.
func TestCheckManagedPooling(t *testing.T) {
	pairs := []PairDemand{{"app", "api", 300}, {"app", "worker", 4}, {"billing", "api", 50}}
	// 8 vCPUs → 2 poolers; max_pool_size 20 → ≤ 40 server connections per pair.
	p := ManagedPooling{Enabled: true, MaxClientConnections: 177, MaxPoolSize: 20}
	v := CheckManagedPooling(8, p, 84, pairs)
	assert.Equal(t, 2, v.Poolers)
	assert.Equal(t, 354, v.Clients)
	assert.Equal(t, 354, v.ClientCapacity)
	assert.True(t, v.ClientsJudged)
	assert.True(t, v.ClientsFit, "354 clients at a capacity of 2 × 177")
	assert.Equal(t, 40+4+40, v.ServerConnections)
	assert.True(t, v.ServerFits, "84 at 84 usable")
	assert.Equal(t, []PairServer{{"app", "api", 300, 40}, {"app", "worker", 4, 4}, {"billing", "api", 50, 40}}, v.Pairs)

	v = CheckManagedPooling(8, ManagedPooling{Enabled: true, MaxClientConnections: 176, MaxPoolSize: 20}, 83, pairs)
	assert.False(t, v.ClientsFit, "354 clients over 2 × 176")
	assert.False(t, v.ServerFits, "84 over 83 usable")

	// max_pool_size unset: each pair may reach its clients (no pooling bound).
	v = CheckManagedPooling(8, ManagedPooling{Enabled: true}, 1000, pairs)
	assert.False(t, v.ClientsJudged, "max_client_connections unset: the client side is not judged")
	assert.Equal(t, 354, v.ServerConnections)
	assert.True(t, v.ServerFits)
}
