package tests

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/config"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
	"github.com/headroom-dev/headroom/testkit/mockrun"
)

// ruleCase is one value pushed through the three layers that judge it: the
// stack config decoder, the policy pack on the graph the program builds,
// and the pack on a hand-written resource map. Each layer must reach the
// same verdict, and a refusal must carry the same reason (the capacity
// catalog's words).
type ruleCase struct {
	name string
	// configKey/configValue edit the staging stack ("headroom:workloads[0].db.poolSize", JSON).
	configKey, configValue string
	// extra config edits applied first (e.g. to drop an explicit timeout).
	configPre [][2]string
	// policy judges the resource of type typ; edit changes its property map
	// as the program would have written the configured value.
	policy, typ string
	edit        func(m map[string]any)
	// reason is the expected refusal ("" = accepted by every layer).
	reason string
	// configField is the stack key the config layer must name.
	configField string
}

func ruleCases() []ruleCase {
	svc, conn, inst := pack.TypeRunService, pack.TypeConnector, pack.TypeSQLInstance
	probe := func(k string, v int) func(m map[string]any) {
		return func(m map[string]any) { pt.Set(m, "template.containers[0].startupProbe."+k, v) }
	}
	env := func(k, v string) func(m map[string]any) { return func(m map[string]any) { pt.SetEnv(m, k, v) } }
	set := func(path string, v any) func(m map[string]any) { return func(m map[string]any) { pt.Set(m, path, v) } }
	const w0 = "headroom:workloads[0]"
	const c0 = "headroom:network.regions.us-central1.connector"
	return []ruleCase{
		// Regression: periodSeconds 1 passed config, then failed the pack.
		// (failureThreshold 80 keeps the 80 s window above the 75 s connect timeout.)
		{name: "period 1 with a 5 s timeout", configKey: w0 + ".startupProbe.periodSeconds", configValue: `1`,
			configPre: [][2]string{{w0 + ".startupProbe.failureThreshold", `80`}},
			policy:    pack.PolicyRunProbeWindow, typ: svc,
			edit:   func(m map[string]any) { probe("periodSeconds", 1)(m); probe("failureThreshold", 80)(m) },
			reason: "must be at most periodSeconds (1), got 5", configField: w0 + ".startupProbe.timeoutSeconds"},
		{name: "period 1 with the default timeout", configKey: w0 + ".startupProbe.periodSeconds", configValue: `1`,
			configPre: [][2]string{{w0 + ".startupProbe.timeoutSeconds", "\x00delete"}, {w0 + ".startupProbe.failureThreshold", `80`}},
			policy:    pack.PolicyRunProbeWindow, typ: svc,
			edit: func(m map[string]any) {
				probe("periodSeconds", 1)(m)
				probe("timeoutSeconds", 1)(m)
				probe("failureThreshold", 80)(m)
			}},
		// Regression: 74.5 passed config, then failed cloudrun-db-pool-contract.
		{name: "decimal connect timeout", configKey: w0 + ".db.connectTimeoutSeconds", configValue: `74.5`,
			policy: pack.PolicyRunPoolContract, typ: svc, edit: env("DB_CONNECT_TIMEOUT_SECONDS", "74.5")},
		{name: "zero connect timeout", configKey: w0 + ".db.connectTimeoutSeconds", configValue: `0`,
			policy: pack.PolicyRunPoolContract, typ: svc, edit: env("DB_CONNECT_TIMEOUT_SECONDS", "0"),
			reason: "must be a decimal number of seconds > 0, got 0", configField: w0 + ".db.connectTimeoutSeconds"},
		{name: "300 s startup window", configKey: w0 + ".startupProbe.failureThreshold", configValue: `30`,
			policy: pack.PolicyRunProbeWindow, typ: svc, edit: probe("failureThreshold", 30)},
		{name: "timeout equal to period", configKey: w0 + ".startupProbe.timeoutSeconds", configValue: `10`,
			policy: pack.PolicyRunProbeWindow, typ: svc, edit: probe("timeoutSeconds", 10)},
		{name: "610 s startup window", configKey: w0 + ".startupProbe.failureThreshold", configValue: `61`,
			policy: pack.PolicyRunProbeWindow, typ: svc, edit: probe("failureThreshold", 61),
			reason: "= 0 + 10 × 61 = 610 s within 600 s, got 61", configField: w0 + ".startupProbe.failureThreshold"},
		{name: "initial delay over 600", configKey: w0 + ".startupProbe.initialDelaySeconds", configValue: `601`,
			policy: pack.PolicyRunProbeWindow, typ: svc, edit: probe("initialDelaySeconds", 601),
			reason: "must be an integer from 0 to 600, got 601", configField: w0 + ".startupProbe.initialDelaySeconds"},
		{name: "timeout above period", configKey: w0 + ".startupProbe.timeoutSeconds", configValue: `11`,
			policy: pack.PolicyRunProbeWindow, typ: svc, edit: probe("timeoutSeconds", 11),
			reason: "must be at most periodSeconds (10), got 11", configField: w0 + ".startupProbe.timeoutSeconds"},
		{name: "pool size 0", configKey: w0 + ".db.poolSize", configValue: `0`,
			policy: pack.PolicyRunPoolContract, typ: svc, edit: env("DB_POOL_SIZE", "0"),
			reason: "must be an integer ≥ 1, got 0", configField: w0 + ".db.poolSize"},
		{name: "startup connections above pool", configKey: w0 + ".db.startupConnections", configValue: `99`,
			policy: pack.PolicyRunPoolContract, typ: svc, edit: env("DB_STARTUP_CONNECTIONS", "99"),
			reason: "must be an integer from 0 to poolSize + maxOverflow (15), got 99", configField: w0 + ".db.startupConnections"},
		{name: "max instances 0", configKey: w0 + ".maxInstances", configValue: `0`,
			policy: pack.PolicyRunMaxInstances, typ: svc, edit: set("template.scaling.maxInstanceCount", 0),
			reason: "must be an integer ≥ 1 (unset or 0 means Cloud Run's default of 100), got 0", configField: w0 + ".maxInstances"},
		{name: "connector min 1", configKey: c0 + ".minInstances", configValue: `1`,
			policy: pack.PolicyConnectorBounds, typ: conn, edit: set("minInstances", 1),
			reason: "must be an integer from 2 to 9, got 1", configField: c0 + ".minInstances"},
		{name: "connector max 11", configKey: c0 + ".maxInstances", configValue: `11`,
			policy: pack.PolicyConnectorBounds, typ: conn, edit: set("maxInstances", 11),
			reason: "must be an integer from 3 to 10, got 11", configField: c0 + ".maxInstances"},
		{name: "connector /27", configKey: c0 + ".ipCidrRange", configValue: `"10.8.0.0/27"`,
			policy: pack.PolicyConnectorBounds, typ: conn, edit: set("ipCidrRange", "10.8.0.0/27"),
			reason: `must be a /28 range, got "10.8.0.0/27"`, configField: c0 + ".ipCidrRange"},
		{name: "max_connections 13", configKey: "headroom:database.maxConnections", configValue: `13`,
			policy: pack.PolicySQLMaxConnections, typ: inst, edit: func(m map[string]any) { pt.SetFlag(m, "max_connections", "13") },
			reason: "must be an integer from 14 (Cloud SQL's minimum) to 262143 (PostgreSQL's maximum), got 13", configField: "headroom:database.maxConnections"},
		{name: "max_connections 262144", configKey: "headroom:database.maxConnections", configValue: `262144`,
			policy: pack.PolicySQLMaxConnections, typ: inst, edit: func(m map[string]any) { pt.SetFlag(m, "max_connections", "262144") },
			reason: "must be an integer from 14 (Cloud SQL's minimum) to 262143 (PostgreSQL's maximum), got 262144", configField: "headroom:database.maxConnections"},
		{name: "maintenance day 8", configKey: "headroom:database.maintenanceWindow.day", configValue: `8`,
			policy: pack.PolicySQLMaintenance, typ: inst, edit: set("settings.maintenanceWindow.day", 8),
			reason: "must be an integer from 1 (Monday) to 7 (Sunday), got 8", configField: "headroom:database.maintenanceWindow.day"},
		{name: "3 retained backups", configKey: "headroom:database.backups.retainedBackups", configValue: `3`,
			policy: pack.PolicySQLBackupsPITR, typ: inst, edit: set("settings.backupConfiguration.backupRetentionSettings.retainedBackups", 3),
			reason: "must be an integer from 7 to 365, got 3", configField: "headroom:database.backups.retainedBackups"},
		{name: "C4A tier", configKey: "headroom:database.tier", configValue: `"db-c4a-highmem-4"`,
			configPre: [][2]string{{"headroom:database.edition", `"ENTERPRISE_PLUS"`}},
			policy:    pack.PolicySQLTierEdition, typ: inst,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.tier", "db-c4a-highmem-4")
				pt.Set(m, "settings.edition", "ENTERPRISE_PLUS")
			}},
		{name: "N4 tier", configKey: "headroom:database.tier", configValue: `"db-custom-N4-4-16384"`,
			policy: pack.PolicySQLTierEdition, typ: inst, edit: set("settings.tier", "db-custom-N4-4-16384")},
	}
}

// TestRulesAgreeAcrossLayers is the one place that proves config
// validation and the policy pack apply the same rule the same way.
func TestRulesAgreeAcrossLayers(t *testing.T) {
	base, baseGraph := record(t, config.StackFile("..", "staging"))
	cfg := loadPolicyConfig(t, "staging")
	for _, c := range ruleCases() {
		t.Run(c.name, func(t *testing.T) {
			vals := base.Values
			for _, e := range c.configPre {
				vals = editConfig(t, vals, e[0], e[1])
			}
			vals = editConfig(t, vals, c.configKey, c.configValue)

			// Layer 1: the stack config decoder.
			_, cerr := config.Decode(base.Stack.Name, vals)

			// Layer 2: the pack on the graph the program builds. An accepted
			// config is run through the program itself; a refused one cannot
			// be, so its value is written into the program-built resource.
			var programBuilt []pack.Violation
			if c.reason == "" {
				require.NoError(t, cerr, "config must accept it")
				g, err := mockrun.Record(&config.File{Path: base.Path, Stack: base.Stack, Values: vals})
				require.NoError(t, err)
				programBuilt = violationsOf(t, g.PreviewResources(), cfg, c.policy)
			} else {
				rs := append([]policyx.AnalyzerResource(nil), baseGraph.PreviewResources()...)
				i := targetOf(rs, c.typ)
				require.GreaterOrEqual(t, i, 0, "program declares no %s", c.typ)
				m := plainMap(rs[i].Properties)
				c.edit(m)
				rs[i].Properties = pt.Map(m)
				programBuilt = violationsOf(t, rs, cfg, c.policy)
			}

			// Layer 3: the pack on a hand-written resource map.
			hs := pt.Staging()
			hr := hs.Resources()
			i := targetOf(hr, c.typ)
			require.GreaterOrEqual(t, i, 0)
			name := hr[i].Name
			c.edit(hs.Props[name])
			handWritten := violationsOf(t, hs.Resources(), cfg, c.policy)

			if c.reason == "" {
				assert.NoError(t, cerr)
				assert.Empty(t, programBuilt, "program-built graph")
				assert.Empty(t, handWritten, "hand-written map")
				return
			}
			require.Error(t, cerr, "config must refuse it")
			var ce *config.Error
			require.ErrorAs(t, cerr, &ce)
			assert.Equal(t, c.configField, ce.Key)
			assert.Contains(t, cerr.Error(), c.reason)
			require.Len(t, programBuilt, 1, "program-built graph: %v", programBuilt)
			assert.Contains(t, programBuilt[0].Message, c.reason)
			require.Len(t, handWritten, 1, "hand-written map: %v", handWritten)
			assert.Contains(t, handWritten[0].Message, c.reason)
			// The same source in all three.
			src := regexp.MustCompile(`docs/gcp-limits\.md#[a-z-]+`).FindString(cerr.Error())
			require.NotEmpty(t, src, cerr.Error())
			assert.Contains(t, programBuilt[0].Message, src)
			assert.Contains(t, handWritten[0].Message, src)
		})
	}
}

// targetOf finds the resource the edited stack key becomes: the service of
// headroom:workloads[0] (netra-backend), else the first of its type.
func targetOf(rs []policyx.AnalyzerResource, typ string) int {
	first := -1
	for i, r := range rs {
		if r.Type != typ {
			continue
		}
		if first < 0 {
			first = i
		}
		if typ == pack.TypeRunService && strings.HasPrefix(r.Name, "netra-backend-") {
			return i
		}
	}
	return first
}

// violationsOf runs the pack and returns policy's violations at any level
// (a policy's level is the stack's choice; the rule is not).
func violationsOf(t *testing.T, rs []policyx.AnalyzerResource, cfg pack.Config, policy string) []pack.Violation {
	t.Helper()
	res, err := pack.Evaluate(rs, cfg)
	require.NoError(t, err)
	var out []pack.Violation
	for _, v := range res.Violations {
		if v.Policy == policy {
			out = append(out, v)
		}
	}
	return out
}

// plainMap turns a property map into the builder form policytest edits:
// maps and lists become Go maps and slices; other values (and secrets) stay
// property.Values, which policytest.Map keeps as they are.
func plainMap(m property.Map) map[string]any {
	out := map[string]any{}
	for k, v := range m.All {
		out[k] = plainValue(v)
	}
	return out
}

func plainValue(v property.Value) any {
	switch {
	case v.Secret() || v.IsComputed():
		return v
	case v.IsMap():
		return plainMap(v.AsMap())
	case v.IsArray():
		var out []any
		for _, e := range v.AsArray().AsSlice() {
			out = append(out, plainValue(e))
		}
		return out
	}
	return v
}

// editConfig sets (or, with "\x00delete", removes) one key of a stack's
// engine-form values: "headroom:workloads[0].db.poolSize" → the JSON of
// headroom:workloads with that element changed.
func editConfig(t *testing.T, values map[string]string, key, jsonValue string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range values {
		out[k] = v
	}
	colon := strings.Index(key, ":")
	top, rest := key, ""
	if i := strings.IndexAny(key[colon:], ".["); i >= 0 {
		top, rest = key[:colon+i], key[colon+i:]
	}
	var root any
	require.NoError(t, json.Unmarshal([]byte(out[top]), &root), top)
	segs := regexp.MustCompile(`\.([^.\[]+)|\[(\d+)\]`).FindAllStringSubmatch(rest, -1)
	require.NotEmpty(t, segs, key)
	cur := root
	for i, s := range segs {
		last := i == len(segs)-1
		if s[1] != "" {
			m := cur.(map[string]any)
			if last {
				if jsonValue == "\x00delete" {
					delete(m, s[1])
				} else {
					var v any
					require.NoError(t, json.Unmarshal([]byte(jsonValue), &v))
					m[s[1]] = v
				}
				break
			}
			cur = m[s[1]]
			continue
		}
		n, _ := strconv.Atoi(s[2])
		require.False(t, last, "edit a field of %s, not the element", key)
		cur = cur.([]any)[n]
	}
	data, err := json.Marshal(root)
	require.NoError(t, err)
	out[top] = string(data)
	return out
}
