package capacity

import (
	"fmt"
	"strconv"
	"strings"
)

// Managed Connection Pooling (docs/gcp-limits.md#managed-connection-pooling):
// clients connect to a cluster of poolers instead of the server; each pooler
// keeps, per database/user pair, a pool of at most max_pool_size server
// connections, and accepts at most max_client_connections clients. Google
// runs vCPU ÷ 4 poolers (at least one) and spreads clients across them.

// Managed Connection Pooling flag names (the instance's
// settings.connectionPoolConfig flags).
const (
	MCPFlagMaxClientConnections = "max_client_connections"
	MCPFlagMaxPoolSize          = "max_pool_size"
)

// mcpVCPUsPerPooler is Google's pooler count rule: one pooler per 4 vCPUs.
const mcpVCPUsPerPooler = 4

// ManagedPooling is Managed Connection Pooling as an instance declares it.
type ManagedPooling struct {
	Enabled bool
	// MaxClientConnections is the max_client_connections flag: clients one
	// pooler accepts. 0 means the flag is unset (Google's default applies,
	// which Headroom has not verified, so the client side is not judged).
	MaxClientConnections int
	// MaxPoolSize is the max_pool_size flag: server connections one pooler
	// opens per database/user pair. 0 means unset (then a pair is bounded
	// only by its clients, the worst case: as if there were no pooler).
	MaxPoolSize int
}

// ParseManagedPoolingFlags reads the connection-pool flags (name → value).
// Unknown flags are ignored (the pooler has others: timeouts, pool mode);
// the two it judges must be integers ≥ 1.
func ParseManagedPoolingFlags(flags map[string]string) (ManagedPooling, error) {
	p := ManagedPooling{Enabled: true}
	for _, f := range []struct {
		name string
		dst  *int
	}{{MCPFlagMaxClientConnections, &p.MaxClientConnections}, {MCPFlagMaxPoolSize, &p.MaxPoolSize}} {
		v, ok := flags[f.name]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return ManagedPooling{}, fmt.Errorf("connection pool flag %s: want an integer ≥ 1, got %q", f.name, v)
		}
		*f.dst = n
	}
	return p, nil
}

// ManagedPoolingSupported reports whether an edition offers Managed
// Connection Pooling: Enterprise Plus only.
func ManagedPoolingSupported(edition string) bool {
	return strings.EqualFold(edition, EditionEnterprisePlus)
}

// MCPPoolers is the number of poolers an instance of vcpus runs: vCPU ÷ 4,
// at least one (2 or 4 vCPUs → 1, 8 → 2, 16 → 4).
func MCPPoolers(vcpus int) int {
	n := vcpus / mcpVCPUsPerPooler
	if n < 1 {
		return 1
	}
	return n
}

// poolInfo is Managed Connection Pooling resolved for one instance of the
// model: zero when the instance is not pooled (none declared, disabled, or an
// edition that cannot have it).
type poolInfo struct {
	pooled bool
	// poolers is vCPU ÷ 4 (at least one).
	poolers int
	// pairCap is the server connections one database/user pair may hold
	// through every pooler: poolers × max_pool_size; 0 when max_pool_size is
	// unset (no bound beyond the pair's clients: no relief).
	pairCap int
	// clientCap is poolers × max_client_connections; 0 when the flag is
	// unset (clients not judged).
	clientCap int
}

// resolvePooling is the pooling an instance of tier and edition runs with p:
// none unless p is enabled on Enterprise Plus.
func resolvePooling(p *ManagedPooling, tier Tier, edition string) poolInfo {
	if p == nil || !p.Enabled || !ManagedPoolingSupported(EffectiveEdition(edition, "")) {
		return poolInfo{}
	}
	n := MCPPoolers(tier.VCPUs)
	return poolInfo{pooled: true, poolers: n, pairCap: n * p.MaxPoolSize, clientCap: n * p.MaxClientConnections}
}

// server is the server connections one database/user pair with clients
// client connections holds: min(clients, poolers × max_pool_size) when
// pooled with max_pool_size set, its clients otherwise. The model takes
// every service as its own pair (the most server connections: services
// that share a user share a pool).
func (p poolInfo) server(clients int) int {
	if p.pooled && p.pairCap > 0 && clients > p.pairCap {
		return p.pairCap
	}
	return clients
}
