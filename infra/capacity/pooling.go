package capacity

import (
	"fmt"
	"sort"
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

// PairDemand is the client connections one database/user pair may hold at
// once (every service connecting as that user to that database).
type PairDemand struct {
	Database, User string
	Clients        int
}

// PoolingVerdict is Managed Connection Pooling judged for one instance.
type PoolingVerdict struct {
	Poolers int
	// Clients is every pair's clients; ClientCapacity is poolers ×
	// max_client_connections (0 when the flag is unset: not judged).
	Clients        int
	ClientCapacity int
	// ServerConnections is what the poolers may open on the server: per
	// pair, the fewer of its clients and poolers × max_pool_size; Usable is
	// the instance's usable max_connections it is judged against.
	ServerConnections int
	Usable            int
	// ClientsFit and ServerFits are the two verdicts; ClientsJudged is false
	// when max_client_connections is unset.
	ClientsJudged bool
	ClientsFit    bool
	ServerFits    bool
	// Pairs are the pairs' server connections, sorted by database and user.
	Pairs []PairServer
}

// PairServer is one pair's server connections through the poolers.
type PairServer struct {
	Database, User string
	Clients        int
	Server         int
}

// CheckManagedPooling judges clients against the poolers' client capacity
// and the server connections the poolers may open against usable
// max_connections (usable = max_connections − reserved, as for direct
// connections).
func CheckManagedPooling(vcpus int, p ManagedPooling, usable int, pairs []PairDemand) PoolingVerdict {
	v := PoolingVerdict{Poolers: MCPPoolers(vcpus), Usable: usable}
	perPair := 0 // 0: no bound beyond the pair's clients
	if p.MaxPoolSize > 0 {
		perPair = v.Poolers * p.MaxPoolSize
	}
	for _, d := range pairs {
		server := d.Clients
		if perPair > 0 && server > perPair {
			server = perPair
		}
		v.Clients += d.Clients
		v.ServerConnections += server
		v.Pairs = append(v.Pairs, PairServer{Database: d.Database, User: d.User, Clients: d.Clients, Server: server})
	}
	sort.Slice(v.Pairs, func(i, j int) bool {
		if v.Pairs[i].Database != v.Pairs[j].Database {
			return v.Pairs[i].Database < v.Pairs[j].Database
		}
		return v.Pairs[i].User < v.Pairs[j].User
	})
	if p.MaxClientConnections > 0 {
		v.ClientsJudged = true
		v.ClientCapacity = v.Poolers * p.MaxClientConnections
		v.ClientsFit = v.Clients <= v.ClientCapacity
	}
	v.ServerFits = v.ServerConnections <= usable
	return v
}
