package pack_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// TestDemandContract: DB_PROCESSES, DB_EXTRA_POOLS and the consumer labels
// of a hand-written graph reach the topology and raise the budget's demand.
func TestDemandContract(t *testing.T) {
	plain := evaluate(t, pt.Staging(), stagingCfg())
	s := pt.Staging()
	svc := s.Props[pt.ServiceName("netra-backend", "us-central1")]
	pt.SetEnv(svc, contract.EnvDBProcesses, "2")
	pt.SetEnv(svc, contract.EnvDBExtraPools, contract.EncodeExtraPools([]capacity.Pool{{Name: "asyncpg", PoolSize: 3, StartupConnections: 1}}))
	pt.Set(s.Props["staging-shared-postgres"], "settings.userLabels", map[string]any{
		"managed-by": "headroom", contract.ConsumerLabelPrefix + "migrations": "4",
	})
	res := evaluate(t, s, stagingCfg())

	var w capacity.Workload
	for _, x := range res.Topology.Workloads {
		if x.Name == pt.ServiceName("netra-backend", "us-central1") {
			w = x
		}
	}
	require.Equal(t, 2, w.Processes)
	require.Len(t, w.ExtraPools, 1)
	assert.Equal(t, []capacity.Consumer{{Name: "migrations", Connections: 4}}, res.Topology.Databases[0].Consumers)

	before, after := plain.Capacity.Budgets[0], res.Capacity.Budgets[0]
	// netra-backend: maxInstances × (2 × (pool + overflow + 3)) instead of × (pool + overflow), plus 4 for the consumer.
	perBefore := before.Contributors[0].PerInstance
	for _, c := range before.Contributors {
		if c.Workload == w.Name {
			perBefore = c.PerInstance
		}
	}
	assert.Equal(t, before.Demand+w.MaxInstances*(2*(perBefore+3)-perBefore)+4, after.Demand)
}

// TestDemandContractRejects: malformed values are mandatory violations of
// the pool contract, and a malformed consumer label is reported.
func TestDemandContractRejects(t *testing.T) {
	for _, c := range []struct {
		env, value, want string
	}{
		{contract.EnvDBProcesses, "0", "DB_PROCESSES must be an integer ≥ 1"},
		{contract.EnvDBProcesses, "two", "DB_PROCESSES must be an integer ≥ 1"},
		{contract.EnvDBExtraPools, `[{"name":"a","poolSize":0}]`, "poolSize: must be an integer ≥ 1, got 0"},
		{contract.EnvDBExtraPools, `nope`, "JSON array"},
	} {
		t.Run(c.env+"="+c.value, func(t *testing.T) {
			s := pt.Staging()
			pt.SetEnv(s.Props[pt.ServiceName("netra-backend", "us-central1")], c.env, c.value)
			res := evaluate(t, s, stagingCfg())
			var msgs []string
			for _, v := range res.Mandatory() {
				if v.Policy == pack.PolicyRunPoolContract {
					msgs = append(msgs, v.Message)
				}
			}
			require.NotEmpty(t, msgs)
			assert.Contains(t, msgs[0], c.want)
		})
	}
}
