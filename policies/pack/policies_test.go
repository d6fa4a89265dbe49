package pack_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

func stagingCfg() pack.Config {
	c := pack.DefaultConfig()
	c.Environment = capacity.EnvStaging
	return c
}

func prodCfg() pack.Config {
	c := pack.DefaultConfig()
	c.Environment = capacity.EnvProduction
	return c
}

// policy returns the named policy built for cfg.
func policy(t *testing.T, cfg pack.Config, name string) policyx.Policy {
	t.Helper()
	for _, p := range pack.Policies(cfg) {
		if p.Name() == name {
			return p
		}
	}
	t.Fatalf("no policy %q", name)
	return nil
}

// runResource runs one resource policy on one resource with a fake manager.
func runResource(t *testing.T, cfg pack.Config, name, typ string, props map[string]any) *pt.Manager {
	t.Helper()
	p, ok := policy(t, cfg, name).(policyx.ResourceValidationPolicy)
	require.True(t, ok, "%s is not a resource policy", name)
	m := &pt.Manager{}
	require.NoError(t, p.Validate(context.Background(), policyx.ResourceValidationArgs{
		Manager: m, Resource: pt.Resource(typ, "r", props),
	}))
	return m
}

// runStack runs one stack policy on a stack with a fake manager.
func runStack(t *testing.T, cfg pack.Config, name string, s *pt.Stack) *pt.Manager {
	t.Helper()
	p, ok := policy(t, cfg, name).(policyx.StackValidationPolicy)
	require.True(t, ok, "%s is not a stack policy", name)
	m := &pt.Manager{}
	require.NoError(t, p.Validate(context.Background(), policyx.StackValidationArgs{Manager: m, Resources: s.Resources()}))
	return m
}

func levels(m *pt.Manager, level string) []string {
	var out []string
	for _, v := range m.Violations {
		if v.Level == level {
			out = append(out, v.Message)
		}
	}
	return out
}

// Base resources shaped like the program's, from the staging fixture.
// baseCeiling is the catalog ceiling of baseInstance's tier (db-custom-4-16384:
// 16 GB → default 500 → 4 × 500 = 2000 with the current multiple).
func baseCeiling() int {
	tier, err := capacity.ParseTier("db-custom-4-16384")
	if err != nil {
		panic(err)
	}
	return capacity.MaxConnectionsCeiling(tier)
}

func baseInstance() map[string]any {
	return pt.SQLInstance(pt.Instance{
		Project: "p", Name: "db", Region: "us-central1", Tier: "db-custom-4-16384", Edition: "ENTERPRISE",
		Availability: "REGIONAL", MaxConnections: 500, PrivateIP: "10.100.0.3", Network: "vpc",
		RetainedBackups: 7, LogRetentionDays: 7, DeletionProtection: true,
	})
}

func baseConnector() map[string]any {
	return pt.Connector(pt.ConnectorSpec{Project: "p", Name: "conn", Region: "us-central1", CIDR: "10.8.0.0/28",
		MachineType: "e2-standard-4", Min: 3, Max: 10, Network: "vpc"})
}

func baseService() map[string]any {
	return pt.Service(pt.ServiceSpec{Project: "p", Workload: "api", Region: "us-central1", Min: 1, Max: 10,
		Concurrency: 80, EgressMbps: 5, Connector: "conn", Pool: 5, Overflow: 2, Startup: 2, ConnectTimeout: 75,
		Probe: pt.Probe{Period: 10, Timeout: 5, FailureThreshold: 24}, DBHost: "10.100.0.3", DBInstance: "p:us-central1:db"})
}

// TestResourcePolicies gives every resource policy passing and failing
// cases on property maps shaped like the program's.
func TestResourcePolicies(t *testing.T) {
	type tc struct {
		name   string
		policy string
		typ    string
		base   func() map[string]any
		edit   func(m map[string]any)
		cfg    pack.Config
		// want: substring of the single mandatory message; "" = passes.
		want string
		// advisory: substring expected at advisory level (and no mandatory).
		advisory string
	}
	inst, conn, svc := pack.TypeSQLInstance, pack.TypeConnector, pack.TypeRunService
	none := func(map[string]any) {}
	cases := []tc{
		{name: "connector ok", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector, edit: none},
		{name: "connector min below 2", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { m["minInstances"] = 1 }, want: "minInstances: must be an integer from 2 to 9, got 1"},
		{name: "connector max above 10", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { m["maxInstances"] = 12 }, want: "maxInstances: must be an integer from 3 to 10, got 12"},
		{name: "connector min ≥ max", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { m["minInstances"] = 5; m["maxInstances"] = 5 }, want: "must be greater than minInstances"},
		{name: "connector bad machine", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { m["machineType"] = "n2-standard-8" }, want: `machineType: must be one of f1-micro, e2-micro, e2-standard-4, got "n2-standard-8"`},
		{name: "connector /27", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { m["ipCidrRange"] = "10.8.0.0/27" }, want: "ipCidrRange: must be a /28 range"},
		{name: "connector without max instances", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { delete(m, "maxInstances"); m["minInstances"] = 2 }, want: "set maxInstances explicitly: without it (or the deprecated maxThroughput) the API gives about 3 instances"},
		{name: "connector max throughput instead", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { delete(m, "maxInstances"); m["maxThroughput"] = 1000 }},
		{name: "connector throughput fields", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) {
				delete(m, "minInstances")
				delete(m, "maxInstances")
				m["minThroughput"] = 300
				m["maxThroughput"] = 400
			}},
		{name: "connector throughput too small", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) {
				delete(m, "minInstances")
				delete(m, "maxInstances")
				m["maxThroughput"] = 200 // 2 instances, not above the minimum of 2
			}, want: "maxInstances: must be an integer from 3 to 10, got 2"},
		{name: "connector min from throughput above max", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) {
				delete(m, "minInstances")
				m["minThroughput"] = 900 // 9 instances
				m["maxInstances"] = 9
			}, want: "must be greater than minInstances (9), got 9"},
		{name: "connector no range", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { delete(m, "ipCidrRange") }, want: "set ipCidrRange"},
		{name: "connector subnet ok", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { delete(m, "ipCidrRange"); pt.Set(m, "subnet.name", "conn-subnet") }},
		{name: "connector unknown min", policy: pack.PolicyConnectorBounds, typ: conn, base: baseConnector,
			edit: func(m map[string]any) { m["minInstances"] = pt.Computed }, advisory: "cannot verify until known"},

		{name: "private ip ok", policy: pack.PolicySQLPrivateIPOnly, typ: inst, base: baseInstance, edit: none},
		{name: "public ipv4", policy: pack.PolicySQLPrivateIPOnly, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.Set(m, "settings.ipConfiguration.ipv4Enabled", true) }, want: "ipv4Enabled to false"},
		{name: "ipv4 default", policy: pack.PolicySQLPrivateIPOnly, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.Delete(m, "settings.ipConfiguration.ipv4Enabled") }, want: "by default"},
		{name: "world authorized", policy: pack.PolicySQLPrivateIPOnly, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.ipConfiguration.authorizedNetworks", []any{map[string]any{"name": "all", "value": "0.0.0.0/0"}})
			}, want: "open to the world"},
		{name: "no private network", policy: pack.PolicySQLPrivateIPOnly, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.Delete(m, "settings.ipConfiguration.privateNetwork") }, want: "privateNetwork"},
		{name: "private network unknown (preview)", policy: pack.PolicySQLPrivateIPOnly, typ: inst, base: baseInstance,
			edit:     func(m map[string]any) { pt.Set(m, "settings.ipConfiguration.privateNetwork", pt.Computed) },
			advisory: "settings.ipConfiguration.privateNetwork"},

		{name: "ssl ok", policy: pack.PolicySQLSSLRequired, typ: inst, base: baseInstance, edit: none},
		{name: "ssl allow unencrypted", policy: pack.PolicySQLSSLRequired, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.ipConfiguration.sslMode", "ALLOW_UNENCRYPTED_AND_ENCRYPTED")
			}, want: "ENCRYPTED_ONLY"},
		{name: "ssl unset", policy: pack.PolicySQLSSLRequired, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.Delete(m, "settings.ipConfiguration.sslMode") }, want: "unencrypted connections"},
		{name: "ssl legacy requireSsl", policy: pack.PolicySQLSSLRequired, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Delete(m, "settings.ipConfiguration.sslMode")
				pt.Set(m, "settings.ipConfiguration.requireSsl", true)
			}},

		{name: "backups ok", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance, edit: none},
		{name: "no pitr", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.backupConfiguration.pointInTimeRecoveryEnabled", false)
			}, want: "point-in-time recovery"},
		{name: "no backups", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.backupConfiguration.enabled", false)
			}, want: "enable automated backups"},
		{name: "few retained", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.backupConfiguration.backupRetentionSettings.retainedBackups", 3)
			}, want: "retainedBackups: must be an integer from 7 to 365, got 3"},
		{name: "7 retained backups", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.backupConfiguration.backupRetentionSettings.retainedBackups", 7)
			}},
		{name: "6 retained backups", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.backupConfiguration.backupRetentionSettings.retainedBackups", 6)
			}, want: "got 6"},
		{name: "retained backups unset", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Delete(m, "settings.backupConfiguration.backupRetentionSettings")
			}},
		{name: "log retention 0", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.backupConfiguration.transactionLogRetentionDays", 0)
			}, want: "transactionLogRetentionDays: must be an integer from 1 to 7 for edition ENTERPRISE, got 0"},
		{name: "log retention 8 on Enterprise", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.backupConfiguration.transactionLogRetentionDays", 8)
			}, want: "from 1 to 7 for edition ENTERPRISE, got 8"},
		{name: "log retention 35 on Enterprise Plus", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.edition", "ENTERPRISE_PLUS")
				pt.Set(m, "settings.backupConfiguration.transactionLogRetentionDays", 35)
			}},
		{name: "log retention 35 on PostgreSQL 16 without an edition", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Delete(m, "settings.edition")
				m["databaseVersion"] = "POSTGRES_16"
				pt.Set(m, "settings.backupConfiguration.transactionLogRetentionDays", 35)
			}},
		{name: "retained backups unknown", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.Set(m, "settings.backupConfiguration.backupRetentionSettings.retainedBackups", pt.Computed)
			}, advisory: "retainedBackups"},
		{name: "replica needs no backups", policy: pack.PolicySQLBackupsPITR, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				m["masterInstanceName"] = "primary"
				pt.Delete(m, "settings.backupConfiguration")
			}},

		{name: "deletion protection ok", policy: pack.PolicySQLDeletionProt, typ: inst, base: baseInstance, edit: none, cfg: prodCfg()},
		{name: "api protection off in prod", policy: pack.PolicySQLDeletionProt, typ: inst, base: baseInstance, cfg: prodCfg(),
			edit: func(m map[string]any) { pt.Set(m, "settings.deletionProtectionEnabled", false) }, want: "API-level"},
		{name: "iac protection off in prod", policy: pack.PolicySQLDeletionProt, typ: inst, base: baseInstance, cfg: prodCfg(),
			edit: func(m map[string]any) { m["deletionProtection"] = false }, want: "Pulumi-level"},
		{name: "api protection off in staging is advisory", policy: pack.PolicySQLDeletionProt, typ: inst, base: baseInstance,
			cfg: stagingCfg(), edit: func(m map[string]any) { pt.Delete(m, "settings.deletionProtectionEnabled") }, advisory: "API-level"},

		{name: "max_connections ok", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance, edit: none},
		{name: "max_connections unset", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.DeleteFlag(m, "max_connections") }, want: "explicitly"},
		{name: "max_connections below 14", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.SetFlag(m, "max_connections", "10") }, want: "from 14 (Cloud SQL's minimum)"},
		{name: "N4 tier outside our inferred shapes is advice", policy: pack.PolicySQLTierEdition, typ: inst, base: baseInstance,
			edit:     func(m map[string]any) { pt.Set(m, "settings.tier", "db-custom-N4-82-335872") },
			advisory: "settings.tier: has 82 vCPUs where N4 shapes have 1 or an even number from 2 to 80"},
		{name: "max_connections too high for memory is advice", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit:     func(m map[string]any) { pt.SetFlag(m, "max_connections", "5000") },
			advisory: "max_connections flag: is above 2000, our inferred ceiling on db-custom-4-16384 (4× the tier default 500)"},
		{name: "max_connections at PostgreSQL's maximum is advice", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.SetFlag(m, "max_connections", "262143") }, advisory: "got 262143"},
		{name: "max_connections above PostgreSQL's maximum", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.SetFlag(m, "max_connections", "262144") }, want: "to 262143 (PostgreSQL's maximum), got 262144"},
		// Boundary of the catalog's inferred ceiling
		// (capacity.MaxConnectionsCeiling): the base tier's default ×
		// MaxConnectionsCeilingMultiple passes, one more is advice, so the
		// pack and the model share one number.
		{name: "max_connections at the ceiling", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.SetFlag(m, "max_connections", strconv.Itoa(baseCeiling())) }},
		{name: "max_connections one above the ceiling", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit:     func(m map[string]any) { pt.SetFlag(m, "max_connections", strconv.Itoa(baseCeiling()+1)) },
			advisory: "got " + strconv.Itoa(baseCeiling()+1)},
		{name: "max_connections not integer", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.SetFlag(m, "max_connections", "lots") }, want: "not an integer"},
		{name: "max_connections secret", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit: func(m map[string]any) {
				pt.SetFlag(m, "max_connections", "x")
				setFlagValue(m, "max_connections", pt.Secret("500"))
			}},
		{name: "max_connections redacted secret", policy: pack.PolicySQLMaxConnections, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { setFlagValue(m, "max_connections", "[secret]") }, advisory: "cannot verify until known"},

		{name: "tier ok", policy: pack.PolicySQLTierEdition, typ: inst, base: baseInstance, edit: none, cfg: prodCfg()},
		{name: "tier invalid", policy: pack.PolicySQLTierEdition, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.Set(m, "settings.tier", "db-custom-3-16384") }, want: "db-custom-3-16384"},
		{name: "tier wrong edition", policy: pack.PolicySQLTierEdition, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.Set(m, "settings.edition", "ENTERPRISE_PLUS") }, want: "instance db"},
		{name: "shared core in production", policy: pack.PolicySQLTierEdition, typ: inst, base: baseInstance, cfg: prodCfg(),
			edit: func(m map[string]any) { pt.Set(m, "settings.tier", "db-g1-small") }, want: "dedicated-core"},
		{name: "shared core in staging", policy: pack.PolicySQLTierEdition, typ: inst, base: baseInstance, cfg: stagingCfg(),
			edit: func(m map[string]any) { pt.Set(m, "settings.tier", "db-g1-small") }},

		{name: "maintenance ok", policy: pack.PolicySQLMaintenance, typ: inst, base: baseInstance, edit: none,
			cfg: withLevel(prodCfg(), pack.PolicySQLMaintenance, pack.LevelMandatory)},
		{name: "maintenance missing", policy: pack.PolicySQLMaintenance, typ: inst, base: baseInstance,
			cfg:  withLevel(prodCfg(), pack.PolicySQLMaintenance, pack.LevelMandatory),
			edit: func(m map[string]any) { pt.Delete(m, "settings.maintenanceWindow") }, want: "maintenanceWindow"},
		{name: "maintenance bad day", policy: pack.PolicySQLMaintenance, typ: inst, base: baseInstance,
			cfg:  withLevel(prodCfg(), pack.PolicySQLMaintenance, pack.LevelMandatory),
			edit: func(m map[string]any) { pt.Set(m, "settings.maintenanceWindow.day", 9) }, want: "settings.maintenanceWindow.day: must be an integer from 1 (Monday) to 7 (Sunday), got 9"},
		{name: "maintenance hour 24", policy: pack.PolicySQLMaintenance, typ: inst, base: baseInstance,
			cfg:  withLevel(prodCfg(), pack.PolicySQLMaintenance, pack.LevelMandatory),
			edit: func(m map[string]any) { pt.Set(m, "settings.maintenanceWindow.hour", 24) }, want: "settings.maintenanceWindow.hour: must be an integer from 0 to 23 (UTC), got 24"},
		{name: "maintenance day 7 hour 23", policy: pack.PolicySQLMaintenance, typ: inst, base: baseInstance,
			cfg: withLevel(prodCfg(), pack.PolicySQLMaintenance, pack.LevelMandatory),
			edit: func(m map[string]any) {
				pt.Set(m, "settings.maintenanceWindow.day", 7)
				pt.Set(m, "settings.maintenanceWindow.hour", 23)
			}},
		{name: "maintenance default level advisory", policy: pack.PolicySQLMaintenance, typ: inst, base: baseInstance,
			edit: func(m map[string]any) { pt.Delete(m, "settings.maintenanceWindow") }, advisory: "maintenanceWindow"},

		{name: "cis ok", policy: pack.PolicySQLCISLogging, typ: inst, base: baseInstance, edit: none,
			cfg: withLevel(prodCfg(), pack.PolicySQLCISLogging, pack.LevelMandatory)},
		{name: "cis log_connections off", policy: pack.PolicySQLCISLogging, typ: inst, base: baseInstance,
			cfg:  withLevel(prodCfg(), pack.PolicySQLCISLogging, pack.LevelMandatory),
			edit: func(m map[string]any) { pt.SetFlag(m, "log_connections", "off") }, want: "log_connections=on"},
		{name: "cis log_min_messages too verbose", policy: pack.PolicySQLCISLogging, typ: inst, base: baseInstance,
			cfg:  withLevel(prodCfg(), pack.PolicySQLCISLogging, pack.LevelMandatory),
			edit: func(m map[string]any) { pt.SetFlag(m, "log_min_messages", "debug1") }, want: "log_min_messages to warning or stricter"},
		{name: "cis missing flag", policy: pack.PolicySQLCISLogging, typ: inst, base: baseInstance,
			cfg:  withLevel(prodCfg(), pack.PolicySQLCISLogging, pack.LevelMandatory),
			edit: func(m map[string]any) { pt.DeleteFlag(m, "log_temp_files") }, want: "log_temp_files=0"},

		{name: "max instances ok", policy: pack.PolicyRunMaxInstances, typ: svc, base: baseService, edit: none},
		{name: "max instances unset", policy: pack.PolicyRunMaxInstances, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Delete(m, "template.scaling.maxInstanceCount") }, want: "maxInstanceCount: must be an integer ≥ 1 (unset or 0 means Cloud Run's default of 100), got 0"},
		{name: "max instances zero", policy: pack.PolicyRunMaxInstances, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.scaling.maxInstanceCount", 0) }, want: "must be an integer ≥ 1"},
		{name: "direct egress above the instance quota", policy: pack.PolicyRunMaxInstances, typ: svc, base: baseService,
			edit: func(m map[string]any) {
				pt.Set(m, "template.scaling.maxInstanceCount", 150)
				pt.Set(m, "template.vpcAccess", map[string]any{"networkInterfaces": []any{map[string]any{"network": "vpc", "subnetwork": "sub"}}})
			}, advisory: "exceeds the lowest default Direct VPC egress instance quota (100 per revision and region; 200 in some regions)"},
		{name: "direct egress at the instance quota", policy: pack.PolicyRunMaxInstances, typ: svc, base: baseService,
			edit: func(m map[string]any) {
				pt.Set(m, "template.scaling.maxInstanceCount", 100)
				pt.Set(m, "template.vpcAccess", map[string]any{"networkInterfaces": []any{map[string]any{"network": "vpc", "subnetwork": "sub"}}})
			}},
		{name: "min instances above max", policy: pack.PolicyRunMaxInstances, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.scaling.minInstanceCount", 11) },
			want: "template.scaling.minInstanceCount: must be an integer from 0 to maxInstances (10), got 11"},
		{name: "max instances unknown", policy: pack.PolicyRunMaxInstances, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.scaling.maxInstanceCount", pt.Computed) }, advisory: "maxInstanceCount"},

		{name: "probe ok", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService, edit: none},
		{name: "probe over 600 s", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.containers[0].startupProbe.failureThreshold", 61) }, want: "0 + 10 × 61 = 610 s within 600 s"},
		{name: "probe window 300 s is valid", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.containers[0].startupProbe.failureThreshold", 30) }},
		{name: "probe timeout equal to period is valid", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.containers[0].startupProbe.timeoutSeconds", 10) }},
		{name: "probe timeout above period", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.containers[0].startupProbe.timeoutSeconds", 11) },
			want: "startupProbe.timeoutSeconds: must be at most periodSeconds (10), got 11"},
		{name: "probe shorter than timeout", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.containers[0].startupProbe.failureThreshold", 3) },
			want: "raise failureThreshold to ≥ 8"},
		// window 0 + 10 × 24 = 240 s against the connect timeout: equal passes.
		{name: "probe window equals the connect timeout", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_CONNECT_TIMEOUT_SECONDS", "240") }},
		{name: "probe window just below the connect timeout", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_CONNECT_TIMEOUT_SECONDS", "240.5") },
			want: "startup probe window 240 s is shorter than DB_CONNECT_TIMEOUT_SECONDS 240.5 s; raise failureThreshold to ≥ 25"},
		{name: "probe field not an integer", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Set(m, "template.containers[0].startupProbe.periodSeconds", "ten") },
			want: "startupProbe.periodSeconds is not an integer"},
		{name: "probe field unknown", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit:     func(m map[string]any) { pt.Set(m, "template.containers[0].startupProbe.periodSeconds", pt.Computed) },
			advisory: "startupProbe.periodSeconds"},
		{name: "probe missing", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.Delete(m, "template.containers[0].startupProbe") }, want: "add a startup probe"},
		{name: "probe not needed without db", policy: pack.PolicyRunProbeWindow, typ: svc, base: baseService,
			edit: func(m map[string]any) {
				pt.Set(m, "template.containers[0].envs", []any{})
				pt.Delete(m, "template.containers[0].startupProbe")
			}},

		{name: "pool contract ok", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService, edit: none},
		{name: "pool overflow negative", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_MAX_OVERFLOW", "-1") }, want: "env DB_MAX_OVERFLOW: must be an integer ≥ 0, got -1"},
		{name: "startup equal to pool + overflow", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_STARTUP_CONNECTIONS", "7") }},
		{name: "startup one above pool + overflow", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_STARTUP_CONNECTIONS", "8") }, want: "got 8"},
		{name: "connect timeout missing", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.DeleteEnv(m, "DB_CONNECT_TIMEOUT_SECONDS") }, want: "set env DB_CONNECT_TIMEOUT_SECONDS (a decimal number of seconds)"},
		{name: "connect timeout unknown", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_CONNECT_TIMEOUT_SECONDS", pt.Computed) }, advisory: "env DB_CONNECT_TIMEOUT_SECONDS"},
		{name: "one process", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_PROCESSES", "1") }},
		{name: "zero processes", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_PROCESSES", "0") }, want: "DB_PROCESSES must be an integer ≥ 1, is 0"},
		{name: "pool size missing", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.DeleteEnv(m, "DB_POOL_SIZE") }, want: "set env DB_POOL_SIZE"},
		{name: "pool size not integer", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_MAX_OVERFLOW", "two") }, want: "DB_MAX_OVERFLOW must be an integer"},
		{name: "startup above pool", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_STARTUP_CONNECTIONS", "20") }, want: "env DB_STARTUP_CONNECTIONS: must be an integer from 0 to poolSize + maxOverflow (7), got 20"},
		{name: "decimal connect timeout is valid", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_CONNECT_TIMEOUT_SECONDS", "74.5") }},
		{name: "connect timeout not a number", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_CONNECT_TIMEOUT_SECONDS", "soon") }, want: "env DB_CONNECT_TIMEOUT_SECONDS: must be a decimal number of seconds > 0"},
		{name: "no target", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.DeleteEnv(m, "DB_HOST"); pt.DeleteEnv(m, "DB_INSTANCE") }, want: "DB_INSTANCE"},
		{name: "db host unknown is fine", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_HOST", pt.Computed) }},
		{name: "pool size unknown", policy: pack.PolicyRunPoolContract, typ: svc, base: baseService,
			edit: func(m map[string]any) { pt.SetEnv(m, "DB_POOL_SIZE", pt.Computed) }, advisory: "env DB_POOL_SIZE"},
	}
	covered := map[string][2]bool{}
	for _, c := range cases {
		t.Run(c.policy+"/"+c.name, func(t *testing.T) {
			cfg := c.cfg
			if cfg.Environment == "" {
				cfg = stagingCfg()
			}
			m := c.base()
			c.edit(m)
			mgr := runResource(t, cfg, c.policy, c.typ, m)
			mandatory := levels(mgr, pack.LevelMandatory)
			advisory := levels(mgr, pack.LevelAdvisory)
			switch {
			case c.want != "":
				require.Len(t, mandatory, 1, "mandatory: %q advisory: %q", mandatory, advisory)
				assert.Contains(t, mandatory[0], c.want)
			case c.advisory != "":
				assert.Empty(t, mandatory)
				require.NotEmpty(t, advisory)
				assert.Contains(t, strings.Join(advisory, "\n"), c.advisory)
			default:
				assert.Empty(t, mandatory)
				assert.Empty(t, advisory)
			}
			v := covered[c.policy]
			if c.want == "" && c.advisory == "" {
				v[0] = true
			} else {
				v[1] = true
			}
			covered[c.policy] = v
		})
	}
	for _, info := range pack.Catalog() {
		if info.Kind != pack.KindResource {
			continue
		}
		assert.Equal(t, [2]bool{true, true}, covered[info.Name], "%s needs a passing and a failing case", info.Name)
	}
}

func setFlagValue(m map[string]any, name string, v any) {
	flags, _ := m["settings"].(map[string]any)["databaseFlags"].([]map[string]any)
	for _, f := range flags {
		if f["name"] == name {
			f["value"] = v
		}
	}
}

func withLevel(cfg pack.Config, policy, level string) pack.Config {
	cfg.Levels = map[string]string{policy: level}
	return cfg
}

// TestResourcePolicyIgnoresOtherTypes: a resource policy never judges a
// type it does not list.
func TestResourcePolicyIgnoresOtherTypes(t *testing.T) {
	m := runResource(t, prodCfg(), pack.PolicySQLSSLRequired, pack.TypeConnector, baseConnector())
	assert.Empty(t, m.Violations)
}

// TestPlainManagerPrefixesDowngradedViolations: with policyx's own manager
// interface (no levels), advisory findings of a mandatory policy say so.
func TestPlainManagerPrefixesDowngradedViolations(t *testing.T) {
	p := policy(t, stagingCfg(), pack.PolicyRunMaxInstances).(policyx.ResourceValidationPolicy)
	svc := baseService()
	pt.Set(svc, "template.scaling.maxInstanceCount", pt.Computed)
	var got []string
	plain := plainManager(func(msg, _ string) { got = append(got, msg) })
	require.NoError(t, p.Validate(context.Background(), policyx.ResourceValidationArgs{
		Manager: plain, Resource: pt.Resource(pack.TypeRunService, "svc", svc),
	}))
	require.Len(t, got, 1)
	assert.True(t, strings.HasPrefix(got[0], "[advisory] cannot verify until known"), got[0])
}

type plainManager func(msg, urn string)

func (f plainManager) ReportViolation(msg, urn string) { f(msg, urn) }
