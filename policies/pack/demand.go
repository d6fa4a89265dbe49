package pack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/contract"
	"github.com/headroom-dev/headroom/infra/capacity"
)

// The demand part of the env contract (contract.EnvDBProcesses,
// contract.EnvDBExtraPools) and the consumer labels on Cloud SQL instances
// (contract.ConsumerLabelPrefix). Both are optional: a graph that was not
// produced by our program and lacks them is read as one process with one
// pool and no other consumers.

// readDemand reads processes and extra pools into w; an invalid value is
// reported by cloudrun-db-pool-contract and read as absent here.
func (ex *extraction) readDemand(r *policyx.AnalyzerResource, env map[string]field, w *capacity.Workload, miss func(string)) {
	if fv, ok := env[contract.EnvDBProcesses]; ok {
		switch n, st := fv.integer(); st {
		case stOK:
			if n >= 1 {
				w.Processes = n
			}
		case stUnknown:
			miss("env " + contract.EnvDBProcesses)
		}
	}
	if fv, ok := env[contract.EnvDBExtraPools]; ok {
		switch s, st := fv.str(); st {
		case stOK:
			if pools, err := contract.DecodeExtraPools(s); err == nil {
				w.ExtraPools = pools
			}
		case stUnknown:
			miss("env " + contract.EnvDBExtraPools)
		}
	}
}

// readConsumers reads the consumer labels of an instance; a malformed one is
// a problem (the connection budget cannot be trusted without it).
func (ex *extraction) readConsumers(r *policyx.AnalyzerResource, labels property.Map) []capacity.Consumer {
	plain := map[string]string{}
	for k, v := range labels.All {
		if v.IsString() {
			plain[k] = v.AsString()
		}
	}
	cs, err := contract.ParseConsumerLabels(plain)
	if err != nil {
		ex.problem(r, false, "%s: %v", resourceName(r), err)
		return nil
	}
	return cs
}

// checkRunDemandContract validates DB_PROCESSES and DB_EXTRA_POOLS when a
// service sets them.
func checkRunDemandContract(r *policyx.AnalyzerResource, env map[string]field, f *findings) {
	name := resourceName(r)
	if fv, ok := env[contract.EnvDBProcesses]; ok {
		switch n, st := fv.integer(); st {
		case stOK:
			if n < 1 {
				f.fail("service %s: env %s must be an integer ≥ 1, is %d", name, contract.EnvDBProcesses, n)
			}
		case stUnknown:
			f.unknown(r, "env "+contract.EnvDBProcesses)
		default:
			s, _ := fv.str()
			f.fail("service %s: env %s must be an integer ≥ 1, is %q", name, contract.EnvDBProcesses, s)
		}
	}
	if fv, ok := env[contract.EnvDBExtraPools]; ok {
		switch s, st := fv.str(); st {
		case stOK:
			if _, err := contract.DecodeExtraPools(s); err != nil {
				f.fail("service %s: %v", name, err)
			}
		case stUnknown:
			f.unknown(r, "env "+contract.EnvDBExtraPools)
		}
	}
}
