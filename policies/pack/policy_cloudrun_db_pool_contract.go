package pack

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
)

// PolicyRunPoolContract judges a service that uses Headroom's DB_* contract: the
// contract must then be whole and valid.
const PolicyRunPoolContract = "cloudrun-db-pool-contract"

var runPoolContractPolicy = policy{
	info: PolicyInfo{
		Name: PolicyRunPoolContract, Kind: KindResource, Level: LevelMandatory, Types: []string{TypeRunService},
		Description: "A Cloud Run service that uses Headroom's DB_* pool contract (sets any of " + strings.Join(contractEnv, ", ") +
			"; DB_HOST alone does not) declares it whole: DB_POOL_SIZE a positive integer, DB_MAX_OVERFLOW a non-negative " +
			"integer, DB_STARTUP_CONNECTIONS an integer ≤ pool + overflow, DB_CONNECT_TIMEOUT_SECONDS a positive decimal " +
			"number of seconds, and DB_HOST or DB_INSTANCE; optional DB_PROCESSES (a positive integer) and DB_EXTRA_POOLS " +
			"(JSON array of pools) must be valid. Services without it are read through the framework catalog (" +
			PolicyDemandReadable + ").",
	},
	meta: Metadata{
		Severity: SeverityMedium, Tags: []string{"config"},
		Remediation: "Declare the pool contract env (DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_STARTUP_CONNECTIONS, " +
			"DB_CONNECT_TIMEOUT_SECONDS, DB_HOST or DB_INSTANCE); Headroom's workloads component sets them from headroom:workloads[].db.",
	},
	resource: checkRunPoolContract,
}

func checkRunPoolContract(r *policyx.AnalyzerResource, _ Config, f *findings) {
	name := resourceName(r)
	env, est := envOf(r.Properties)
	if est == stUnknown {
		f.unknown(r, "template.containers[].envs")
		return
	}
	if !hasDBContract(env) {
		// A service without Headroom's contract is read through the
		// framework catalog; cloudrun-db-demand-readable reports what
		// cannot be read.
		return
	}
	subject := "service " + name
	checkRunDemandContract(r, env, f)
	ints := map[string]int{}
	for _, k := range []string{envPoolSize, envMaxOverflow, envStartupConns} {
		fv, ok := env[k]
		if !ok {
			f.fail("%s: set env %s (an integer) so the connection budget can be checked", subject, k)
			continue
		}
		n, st := fv.integer()
		switch st {
		case stOK:
			ints[k] = n
		case stUnknown:
			f.unknown(r, "env "+k)
		default:
			s, _ := fv.text()
			f.fail("%s: env %s must be an integer, got %q", subject, k, s)
		}
	}
	pool, ok1 := ints[envPoolSize]
	over, ok2 := ints[envMaxOverflow]
	start, ok3 := ints[envStartupConns]
	if ok1 && ok2 && ok3 {
		if err := capacity.ValidatePool(pool, over, start); err != nil {
			f.rule(subject, err, envOfField)
		}
	}
	// DB_CONNECT_TIMEOUT_SECONDS is a decimal number of seconds, as
	// db.connectTimeoutSeconds in the stack config (one rule in capacity).
	if fv, ok := env[envConnectTimeout]; !ok {
		f.fail("%s: set env %s (a decimal number of seconds) so the timeout budget can be checked", subject, envConnectTimeout)
	} else if s, st := fv.text(); st == stUnknown {
		f.unknown(r, "env "+envConnectTimeout)
	} else if _, err := capacity.ParseConnectTimeout(s); err != nil {
		f.rule(subject, err, envOfField)
	}
	_, hasHost := env[envHost]
	_, hasInst := env[envInstance]
	if !hasHost && !hasInst {
		f.fail("service %s: set env DB_INSTANCE (\"<project>:<region>:<instance>\") or DB_HOST so the pack can tell which instance it uses", name)
	}
}

// envOfField spells a pool rule's field as the env var of the contract.
func envOfField(field string) string {
	if e, ok := envForField[field]; ok {
		return "env " + e
	}
	return field
}

var envForField = map[string]string{
	"poolSize":              envPoolSize,
	"maxOverflow":           envMaxOverflow,
	"startupConnections":    envStartupConns,
	"connectTimeoutSeconds": envConnectTimeout,
}
