package pack_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

func setProp(path string, v any) func(m map[string]any) {
	return func(m map[string]any) { pt.Set(m, path, v) }
}

// TestRunMaxInstancesCases: the Direct VPC egress quota applies only when
// the service has a network interface.
func TestRunMaxInstancesCases(t *testing.T) {
	p := pack.PolicyRunMaxInstances
	runPropCases(t, pack.TypeRunService, baseService, []propCase{
		{name: "above the direct egress quota without interfaces", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "template.scaling.maxInstanceCount", 150)
			pt.Set(m, "template.vpcAccess", map[string]any{"connector": "conn", "networkInterfaces": []any{}})
		}},
		{name: "not an integer", policy: p, edit: setProp("template.scaling.maxInstanceCount", "ten"),
			mandatory: []string{"service api-us-central1: template.scaling.maxInstanceCount is not an integer"}},
	})
}

// TestRunProbeWindowCases: the advised failureThreshold counts from the
// initial delay and is the smallest that covers the connect timeout; absent
// probe fields take the API defaults.
func TestRunProbeWindowCases(t *testing.T) {
	p := pack.PolicyRunProbeWindow
	const timeout = 75 // baseService's DB_CONNECT_TIMEOUT_SECONDS
	const delay, period = 30, 10
	need := int(math.Ceil(float64(timeout-delay) / period)) // 5: 30 + 10 × 5 = 80 ≥ 75
	withProbe := func(threshold int) func(m map[string]any) {
		return func(m map[string]any) {
			pt.Set(m, "template.containers[0].startupProbe.initialDelaySeconds", delay)
			pt.Set(m, "template.containers[0].startupProbe.periodSeconds", period)
			pt.Set(m, "template.containers[0].startupProbe.failureThreshold", threshold)
		}
	}
	defaultWindow := capacity.StartupProbeDefaultInitialDelaySeconds +
		capacity.StartupProbeDefaultPeriodSeconds*capacity.StartupProbeDefaultFailureThreshold
	runPropCases(t, pack.TypeRunService, baseService, []propCase{
		{name: "initial delay counts toward the window", policy: p, edit: withProbe(need - 1),
			mandatory: []string{fmt.Sprintf("startup probe window %d s is shorter than DB_CONNECT_TIMEOUT_SECONDS %d s; raise failureThreshold to ≥ %d",
				delay+period*(need-1), timeout, need)}},
		{name: "the advised threshold passes", policy: p, edit: withProbe(need)},
		{name: "absent fields take the API defaults", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "template.containers[0].startupProbe", map[string]any{"tcpSocket": map[string]any{"port": 8080}})
		}, mandatory: []string{fmt.Sprintf("startup probe window %d s is shorter", defaultWindow)}},
		{name: "probe unknown", policy: p, edit: setProp("template.containers[0].startupProbe", pt.Computed),
			advisory: []string{"template.containers[0].startupProbe"}},
		{name: "envs unknown", policy: p, edit: setProp("template.containers[0].envs", pt.Computed),
			advisory: []string{"template.containers[].envs"}},
		{name: "connect timeout unknown", policy: p, edit: func(m map[string]any) { pt.SetEnv(m, "DB_CONNECT_TIMEOUT_SECONDS", pt.Computed) },
			advisory: []string{"env DB_CONNECT_TIMEOUT_SECONDS"}},
	})
}

// TestRunPoolContractCloudSQLVolume: a service that mounts a Cloud SQL
// instance without Headroom's DB_* contract is a program of its own: its
// demand is read through the framework catalog (cloudrun-db-demand-readable
// names what cannot be read), so the pool contract does not refuse it.
func TestRunPoolContractCloudSQLVolume(t *testing.T) {
	p := pack.PolicyRunPoolContract
	noEnv := func(volume map[string]any) func(m map[string]any) {
		return func(m map[string]any) {
			pt.Set(m, "template.containers[0].envs", []any{})
			pt.Set(m, "template.volumes", []any{"not an object", volume})
		}
	}
	runPropCases(t, pack.TypeRunService, baseService, []propCase{
		{name: "cloud sql volume", policy: p,
			edit: noEnv(map[string]any{"name": "cloudsql", "cloudSqlInstance": map[string]any{"instances": []any{"p:us-central1:db"}}})},
		{name: "contract half set", policy: p,
			edit: func(m map[string]any) {
				pt.Set(m, "template.containers[0].envs", []any{map[string]any{"name": "DB_POOL_SIZE", "value": "5"}})
			},
			mandatory: []string{"set env DB_MAX_OVERFLOW (an integer)", "set env DB_STARTUP_CONNECTIONS (an integer)",
				"set env DB_CONNECT_TIMEOUT_SECONDS (a decimal number of seconds)", "set env DB_INSTANCE"}},
		{name: "other volume", policy: p, edit: noEnv(map[string]any{"name": "tmp", "emptyDir": map[string]any{}})},
		{name: "envs unknown", policy: p, edit: setProp("template.containers[0].envs", pt.Computed),
			advisory: []string{"template.containers[].envs"}},
	})
}
