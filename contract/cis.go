package contract

import (
	"slices"
	"strings"
)

// FlagCompare is how a database flag's value is judged against CISFlag.Value.
type FlagCompare int

const (
	// FlagEqual: the value equals Value (case and surrounding space ignored).
	FlagEqual FlagCompare = iota
	// FlagAtLeastSeverity: the value is a PostgreSQL message severity at
	// least as strict as Value (PGSeverities order).
	FlagAtLeastSeverity
)

// CISFlag is one member of the CIS PostgreSQL logging set.
type CISFlag struct {
	// Name is the Cloud SQL database flag.
	Name string
	// Value is what the program writes, and the bound Compare judges by.
	Value   string
	Compare FlagCompare
	// CheckovID is the Checkov check of the flag
	// (https://www.checkov.io/5.Policy%20Index/terraform.html).
	CheckovID string
}

// cisFlags is the set, settled from Checkov's GCP PostgreSQL checks
// (bridgecrewio/checkov, checks/resource/gcp/GoogleCloudPostgreSql*.py)
// and the CIS Google Cloud Platform Foundation Benchmark's Cloud SQL for
// PostgreSQL section, every value one that both accept:
//   - log_min_messages: CIS asks for warning or stricter, CKV_GCP_55 for any
//     valid level, so warning…panic satisfies both;
//   - log_min_error_statement: CIS asks for error or stricter, CKV_GCP_109 for
//     error or more verbose (debug5…error), so only error satisfies both.
//
// Deliberately not in the set: log_statement (CKV_GCP_107, CIS "set
// appropriately": a per-organization choice that can log every query) and
// cloudsql.enable_pgaudit (CKV_GCP_110: needs the pgaudit extension created
// in each database and pgaudit.log chosen per organization); log_error_verbosity
// (CIS) is DEFAULT unless set and Checkov has no check for it.
var cisFlags = []CISFlag{
	{Name: "log_checkpoints", Value: "on", CheckovID: "CKV_GCP_51"},
	{Name: "log_connections", Value: "on", CheckovID: "CKV_GCP_52"},
	{Name: "log_disconnections", Value: "on", CheckovID: "CKV_GCP_53"},
	{Name: "log_lock_waits", Value: "on", CheckovID: "CKV_GCP_54"},
	{Name: "log_temp_files", Value: "0", CheckovID: "CKV_GCP_56"},
	{Name: "log_min_duration_statement", Value: "-1", CheckovID: "CKV_GCP_57"},
	{Name: "log_min_messages", Value: "warning", Compare: FlagAtLeastSeverity, CheckovID: "CKV_GCP_55"},
	{Name: "log_min_error_statement", Value: "error", CheckovID: "CKV_GCP_109"},
	{Name: "log_hostname", Value: "on", CheckovID: "CKV_GCP_108"},
}

// CISFlags returns the CIS PostgreSQL logging set, in the order the program
// writes it (the order deployed instances already carry: a reordered flag
// list is a diff, and an update, on every instance).
func CISFlags() []CISFlag { return slices.Clone(cisFlags) }

// CISFlagNames lists the set's flag names.
func CISFlagNames() []string {
	out := make([]string, len(cisFlags))
	for i, f := range cisFlags {
		out[i] = f.Name
	}
	return out
}

// PGSeverities are PostgreSQL's message severities from the most verbose to
// the strictest (https://www.postgresql.org/docs/current/runtime-config-logging.html#RUNTIME-CONFIG-SEVERITY-LEVELS).
var PGSeverities = []string{"debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"}

// SeverityRank is s's position in PGSeverities, -1 for an unknown name
// (which ranks below every minimum, so it fails an at-least comparison).
func SeverityRank(s string) int {
	s = strings.TrimSpace(s)
	return slices.IndexFunc(PGSeverities, func(v string) bool { return strings.EqualFold(v, s) })
}

// Accepts reports whether a flag's value meets the set's requirement.
func (f CISFlag) Accepts(v string) bool {
	if f.Compare == FlagAtLeastSeverity {
		r := SeverityRank(v)
		return r >= 0 && r >= SeverityRank(f.Value)
	}
	return strings.EqualFold(strings.TrimSpace(v), f.Value)
}

// Requirement says what Accepts wants, for messages and docs
// ("log_checkpoints=on", "log_min_messages to warning or stricter").
func (f CISFlag) Requirement() string {
	if f.Compare == FlagAtLeastSeverity {
		return f.Name + " to " + f.Value + " or stricter"
	}
	return f.Name + "=" + f.Value
}
