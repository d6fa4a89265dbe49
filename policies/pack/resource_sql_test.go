package pack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/headroom-dev/headroom/infra/capacity"
	"github.com/headroom-dev/headroom/policies/pack"
	pt "github.com/headroom-dev/headroom/policies/policytest"
)

// propCase is one edit of a base resource judged by one resource policy.
type propCase struct {
	name   string
	policy string
	edit   func(m map[string]any)
	// mandatory and advisory: one substring per expected message, in order
	// (nil = none at that level).
	mandatory, advisory []string
	// notWant must not appear in any message.
	notWant string
}

func runSQLCases(t *testing.T, cases []propCase) {
	t.Helper()
	runPropCases(t, pack.TypeSQLInstance, baseInstance, cases)
}

// runPropCases runs each case on an edited copy of base.
func runPropCases(t *testing.T, typ string, base func() map[string]any, cases []propCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.policy+"/"+c.name, func(t *testing.T) {
			// Production, every policy mandatory: a downgrade to advisory
			// is then always the finding's own (an unknown value).
			cfg := prodCfg()
			cfg.Levels = map[string]string{c.policy: pack.LevelMandatory}
			m := base()
			c.edit(m)
			mgr := runResource(t, cfg, c.policy, typ, m)
			for level, want := range map[string][]string{pack.LevelMandatory: c.mandatory, pack.LevelAdvisory: c.advisory} {
				got := levels(mgr, level)
				if !assert.Len(t, got, len(want), "%s: %q", level, got) {
					continue
				}
				for i := range want {
					assert.Contains(t, got[i], want[i], level)
				}
			}
			if c.notWant != "" {
				assert.NotContains(t, strings.Join(mgr.Messages(), "\n"), c.notWant)
			}
		})
	}
}

// authorized sets the instance's authorized networks to entries with
// these values.
func authorized(values ...any) func(m map[string]any) {
	return func(m map[string]any) {
		nets := make([]any, len(values))
		for i, v := range values {
			nets[i] = map[string]any{"name": fmt.Sprint("n", i), "value": v}
		}
		pt.Set(m, "settings.ipConfiguration.authorizedNetworks", nets)
	}
}

// TestSQLPrivateIPCases: the world is any /0 (IPv4 or IPv6, whatever the
// address) and the bare 0.0.0.0; narrower networks pass; unknown values are
// advisory.
func TestSQLPrivateIPCases(t *testing.T) {
	p := pack.PolicySQLPrivateIPOnly
	world := "open to the world"
	runSQLCases(t, []propCase{
		{name: "private network range", policy: p, edit: authorized("10.0.0.0/8", "192.168.1.7/32")},
		{name: "0.0.0.0/0", policy: p, edit: authorized("0.0.0.0/0"), mandatory: []string{"remove authorized network 0.0.0.0/0 " + "(" + world}},
		{name: "any /0", policy: p, edit: authorized("128.0.0.0/0"), mandatory: []string{"128.0.0.0/0 (" + world}},
		{name: "IPv6 /0", policy: p, edit: authorized("::/0"), mandatory: []string{"::/0 (" + world}},
		{name: "bare 0.0.0.0", policy: p, edit: authorized("0.0.0.0"), mandatory: []string{"remove authorized network 0.0.0.0 (" + world}},
		{name: "not a range", policy: p, edit: authorized("office")},
		{name: "entry not an object", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.authorizedNetworks", []any{"0.0.0.0/0"})
		}},
		{name: "unknown entry", policy: p, edit: authorized(pt.Computed), advisory: []string{"settings.ipConfiguration.authorizedNetworks[].value"}},
		{name: "unknown list", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.authorizedNetworks", pt.Computed)
		}, advisory: []string{"settings.ipConfiguration.authorizedNetworks"}},
		{name: "unknown element", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.authorizedNetworks", []any{pt.Computed, "text"})
		}, advisory: []string{"settings.ipConfiguration.authorizedNetworks[]"}},
		{name: "ipv4Enabled unknown", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.ipv4Enabled", pt.Computed)
		}, advisory: []string{"settings.ipConfiguration.ipv4Enabled"}},
		{name: "ipv4Enabled not a boolean", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.ipv4Enabled", "no")
		}, mandatory: []string{"settings.ipConfiguration.ipv4Enabled is not a boolean"}},
		{name: "privateNetwork empty", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.privateNetwork", "")
		}, mandatory: []string{"set settings.ipConfiguration.privateNetwork to the VPC network"}, notWant: "(private IP)"},
		{name: "privateNetwork not a string", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.privateNetwork", 3)
		}, mandatory: []string{"settings.ipConfiguration.privateNetwork is not a string"}},
	})
}

// TestSQLSSLCases: sslMode wins over the deprecated requireSsl; unknown
// values are advisory.
func TestSQLSSLCases(t *testing.T) {
	p := pack.PolicySQLSSLRequired
	noMode := func(extra func(m map[string]any)) func(m map[string]any) {
		return func(m map[string]any) { pt.Delete(m, "settings.ipConfiguration.sslMode"); extra(m) }
	}
	runSQLCases(t, []propCase{
		{name: "client certificates", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.sslMode", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
		}},
		{name: "sslMode unknown", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.sslMode", pt.Computed)
		}, advisory: []string{"settings.ipConfiguration.sslMode"}},
		{name: "requireSsl false", policy: p, edit: noMode(func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.requireSsl", false)
		}), mandatory: []string{"unencrypted connections are accepted"}},
		{name: "requireSsl unknown", policy: p, edit: noMode(func(m map[string]any) {
			pt.Set(m, "settings.ipConfiguration.requireSsl", pt.Computed)
		}), advisory: []string{"settings.ipConfiguration.requireSsl"}},
	})
}

// TestSQLBackupCases: an empty masterInstanceName is a primary; an unknown
// one defers backups and maintenance; each backup setting's statuses.
func TestSQLBackupCases(t *testing.T) {
	b, mw := pack.PolicySQLBackupsPITR, pack.PolicySQLMaintenance
	set := func(path string, v any) func(m map[string]any) {
		return func(m map[string]any) { pt.Set(m, path, v) }
	}
	runSQLCases(t, []propCase{
		{name: "empty masterInstanceName is a primary", policy: b, edit: func(m map[string]any) {
			m["masterInstanceName"] = ""
			pt.Set(m, "settings.backupConfiguration.enabled", false)
		}, mandatory: []string{"enable automated backups"}},
		{name: "masterInstanceName unknown", policy: b, edit: set("masterInstanceName", pt.Computed),
			advisory: []string{"masterInstanceName"}},
		{name: "enabled unknown", policy: b, edit: set("settings.backupConfiguration.enabled", pt.Computed),
			advisory: []string{"settings.backupConfiguration.enabled"}},
		{name: "enabled missing", policy: b, edit: func(m map[string]any) { pt.Delete(m, "settings.backupConfiguration.enabled") },
			mandatory: []string{"enable automated backups (settings.backupConfiguration.enabled)"}},
		{name: "enabled not a boolean", policy: b, edit: set("settings.backupConfiguration.enabled", "sure"),
			mandatory: []string{"settings.backupConfiguration.enabled is not a boolean"}},
		{name: "log retention unknown", policy: b, edit: set("settings.backupConfiguration.transactionLogRetentionDays", pt.Computed),
			advisory: []string{"settings.backupConfiguration.transactionLogRetentionDays"}},
		{name: "log retention unset takes the API default", policy: b, edit: func(m map[string]any) {
			pt.Delete(m, "settings.backupConfiguration.transactionLogRetentionDays")
		}},

		{name: "empty masterInstanceName is a primary", policy: mw, edit: func(m map[string]any) {
			m["masterInstanceName"] = ""
			pt.Delete(m, "settings.maintenanceWindow")
		}, mandatory: []string{"set settings.maintenanceWindow"}},
		{name: "replica", policy: mw, edit: func(m map[string]any) {
			m["masterInstanceName"] = "primary"
			pt.Delete(m, "settings.maintenanceWindow")
		}},
		{name: "masterInstanceName unknown", policy: mw, edit: set("masterInstanceName", pt.Computed),
			advisory: []string{"masterInstanceName"}},
		{name: "day unknown", policy: mw, edit: set("settings.maintenanceWindow.day", pt.Computed),
			advisory: []string{"settings.maintenanceWindow"}},
		{name: "hour unknown", policy: mw, edit: set("settings.maintenanceWindow.hour", pt.Computed),
			advisory: []string{"settings.maintenanceWindow"}},
		{name: "hour unset is midnight", policy: mw, edit: func(m map[string]any) { pt.Delete(m, "settings.maintenanceWindow.hour") }},
		{name: "missing window", policy: mw, edit: func(m map[string]any) { pt.Delete(m, "settings.maintenanceWindow") },
			mandatory: []string{fmt.Sprintf("set settings.maintenanceWindow {day %d–%d, hour 0–%d}",
				capacity.MaintenanceDayMin, capacity.MaintenanceDayMax, capacity.MaintenanceHourMax)}},
	})
}

// TestSQLDeletionProtectionUnknown: unknown protection flags are advisory.
func TestSQLDeletionProtectionUnknown(t *testing.T) {
	p := pack.PolicySQLDeletionProt
	runSQLCases(t, []propCase{
		{name: "deletionProtection unknown", policy: p, edit: func(m map[string]any) { m["deletionProtection"] = pt.Computed },
			advisory: []string{"deletionProtection"}},
		{name: "deletionProtection unset defaults to true", policy: p, edit: func(m map[string]any) { delete(m, "deletionProtection") }},
		{name: "deletionProtectionEnabled unknown", policy: p, edit: func(m map[string]any) {
			pt.Set(m, "settings.deletionProtectionEnabled", pt.Computed)
		}, advisory: []string{"settings.deletionProtectionEnabled"}},
	})
}

// TestSQLMaxConnectionsMessages: an unset flag names the tier's default when
// the tier is known; an unknown tier is reported after the flag is judged.
func TestSQLMaxConnectionsMessages(t *testing.T) {
	p := pack.PolicySQLMaxConnections
	tier, err := capacity.ParseTier("db-custom-4-16384")
	if err != nil {
		t.Fatal(err)
	}
	runSQLCases(t, []propCase{
		{name: "unset on a known tier", policy: p, edit: func(m map[string]any) { pt.DeleteFlag(m, "max_connections") },
			mandatory: []string{fmt.Sprintf("instance db: set the max_connections flag explicitly (the db-custom-4-16384 default is %d and changes with the tier)",
				capacity.DefaultMaxConnections(tier))}},
		{name: "unset on an unparsable tier", policy: p, edit: func(m map[string]any) {
			pt.DeleteFlag(m, "max_connections")
			pt.Set(m, "settings.tier", "db-custom-3-16384")
		}, mandatory: []string{"instance db: set the max_connections flag explicitly"}, notWant: "default"},
		{name: "tier unknown", policy: p, edit: func(m map[string]any) { pt.Set(m, "settings.tier", pt.Computed) },
			advisory: []string{"settings.tier"}},
	})
}

// TestSQLTierEditionCases: without settings.edition the version's default
// edition is judged and named; unknown values are advisory.
func TestSQLTierEditionCases(t *testing.T) {
	p := pack.PolicySQLTierEdition
	noEdition := func(version any) func(m map[string]any) {
		return func(m map[string]any) { pt.Delete(m, "settings.edition"); m["databaseVersion"] = version }
	}
	runSQLCases(t, []propCase{
		{name: "tier unknown", policy: p, edit: func(m map[string]any) { pt.Set(m, "settings.tier", pt.Computed) },
			advisory: []string{"settings.tier"}},
		{name: "tier missing", policy: p, edit: func(m map[string]any) { pt.Delete(m, "settings.tier") },
			mandatory: []string{"instance db: set settings.tier"}},
		{name: "tier not a string", policy: p, edit: func(m map[string]any) { pt.Set(m, "settings.tier", 4) },
			mandatory: []string{"instance db: set settings.tier"}},
		{name: "edition unknown", policy: p, edit: func(m map[string]any) { pt.Set(m, "settings.edition", pt.Computed) },
			advisory: []string{"settings.edition"}},
		{name: "no edition, version unknown", policy: p, edit: noEdition(pt.Computed), advisory: []string{"databaseVersion"}},
		{name: "edition set, version unknown", policy: p, edit: func(m map[string]any) { m["databaseVersion"] = pt.Computed }},
		{name: "no edition on PostgreSQL 15", policy: p, edit: noEdition("POSTGRES_15")},
		{name: "no edition on PostgreSQL 16", policy: p, edit: noEdition("POSTGRES_16"),
			mandatory: []string{fmt.Sprintf("(no settings.edition: Cloud SQL defaults to %s for POSTGRES_16; set settings.edition)",
				capacity.DefaultEdition("POSTGRES_16"))}},
		{name: "explicit edition", policy: p, edit: func(m map[string]any) { pt.Set(m, "settings.edition", "ENTERPRISE_PLUS") },
			mandatory: []string{"instance db: "}, notWant: "no settings.edition"},
	})
}

// TestSQLCISLoggingCases: flag values compare case- and space-insensitively,
// severities at or above the minimum pass, unknown values are advisory.
func TestSQLCISLoggingCases(t *testing.T) {
	p := pack.PolicySQLCISLogging
	flag := func(name string, v any) func(m map[string]any) {
		return func(m map[string]any) { setFlagValue(m, name, v) }
	}
	runSQLCases(t, []propCase{
		{name: "flags unknown", policy: p, edit: func(m map[string]any) { pt.Set(m, "settings.databaseFlags", pt.Computed) },
			advisory: []string{"settings.databaseFlags"}},
		{name: "flags not a list", policy: p, edit: func(m map[string]any) { pt.Set(m, "settings.databaseFlags", "log_connections=on") },
			mandatory: []string{"instance db: settings.databaseFlags is not a list"}},
		{name: "no flags", policy: p, edit: func(m map[string]any) { pt.Delete(m, "settings.databaseFlags") },
			mandatory: []string{"log_checkpoints=on", "log_connections=on", "log_disconnections=on", "log_lock_waits=on",
				"log_temp_files=0", "log_min_duration_statement=-1", "set database flag log_min_messages to warning or stricter",
				"set database flag log_min_error_statement=error [CKV_GCP_109]", "log_hostname=on [CKV_GCP_108]"}},
		{name: "value spelled loosely", policy: p, edit: flag("log_connections", " ON ")},
		{name: "value not a string", policy: p, edit: flag("log_connections", true),
			mandatory: []string{`set database flag log_connections=on (is "")`}},
		{name: "value unknown", policy: p, edit: flag("log_connections", pt.Computed),
			advisory: []string{"settings.databaseFlags[log_connections]"}},
		{name: "severity at the minimum", policy: p, edit: flag("log_min_messages", "WARNING")},
		{name: "severity stricter", policy: p, edit: flag("log_min_messages", "fatal")},
		{name: "severity one below", policy: p, edit: flag("log_min_messages", "notice"),
			mandatory: []string{`log_min_messages to warning or stricter (is "notice")`}},
		{name: "severity misspelled", policy: p, edit: flag("log_min_messages", "warn"),
			mandatory: []string{`log_min_messages to warning or stricter (is "warn")`}},
		// log_min_error_statement: CIS wants error or stricter, Checkov's
		// CKV_GCP_109 error or more verbose; only error satisfies both.
		{name: "error statement at error", policy: p, edit: flag("log_min_error_statement", "ERROR")},
		{name: "error statement stricter", policy: p, edit: flag("log_min_error_statement", "fatal"),
			mandatory: []string{`log_min_error_statement=error (is "fatal") [CKV_GCP_109]`}},
		{name: "error statement more verbose", policy: p, edit: flag("log_min_error_statement", "warning"),
			mandatory: []string{`log_min_error_statement=error (is "warning")`}},
		{name: "hostname off", policy: p, edit: flag("log_hostname", "off"),
			mandatory: []string{`log_hostname=on (is "off") [CKV_GCP_108]`}},
		{name: "severity unknown", policy: p, edit: flag("log_min_error_statement", pt.Computed),
			advisory: []string{"settings.databaseFlags[log_min_error_statement]"}},
	})
}
