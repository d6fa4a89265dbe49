package capacity

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Boundary tests of every rule predicate in rules.go: each limit at the
// limit, one below and one above, and the RuleError each broken rule
// returns (subject, field, offending value, rule text, docs anchor). The
// limits come from the catalog's constants, so the rules are stated once.

// ruleCase is one input to a rule predicate: err is what the predicate
// returned; field is "" when the input is valid, otherwise the RuleError's
// Field, Got and Rule.
type ruleCase struct {
	name  string
	err   error
	field string
	got   string
	rule  string
}

// checkRules asserts each case's verdict; every RuleError of one predicate
// carries its subject and docs anchor.
func checkRules(t *testing.T, subject, anchor string, cases []ruleCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if tt.field == "" {
				assert.NoError(t, tt.err)
				return
			}
			require.Error(t, tt.err)
			var re *RuleError
			require.ErrorAs(t, tt.err, &re)
			assert.Equal(t, RuleError{Subject: subject, Field: tt.field, Got: tt.got, Rule: tt.rule, Anchor: anchor}, *re)
			assert.Equal(t, subject+" "+tt.field+": "+tt.rule+", got "+tt.got+" ("+LimitsDoc+"#"+anchor+")", tt.err.Error())
		})
	}
}

func TestRuleErrorMessage(t *testing.T) {
	// The message every layer shows, spelled out once.
	err := ValidateConcurrency(1001)
	var re *RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "must be an integer from 1 to 1000, got 1001", re.Reason())
	assert.Equal(t, "docs/gcp-limits.md#cloud-run", re.Source())
	assert.Equal(t, "service concurrency: must be an integer from 1 to 1000, got 1001 (docs/gcp-limits.md#cloud-run)", err.Error())
	// A string value is quoted, so an empty or blank value stays visible.
	err = ValidateConnectorName("")
	require.ErrorAs(t, err, &re)
	assert.Equal(t, `""`, re.Got)
}

func TestRuleStartupProbe(t *testing.T) {
	const maxDelay, maxPeriod, maxTimeout, maxWindow = StartupProbeMaxInitialDelaySeconds, StartupProbeMaxPeriodSeconds, StartupProbeMaxTimeoutSeconds, StartupProbeMaxWindowSeconds
	minPeriod, minThr := StartupProbeMinPeriodSeconds, StartupProbeMinFailureThreshold
	delayRule := fmt.Sprintf("must be an integer from 0 to %d", maxDelay)
	periodRule := fmt.Sprintf("must be an integer from %d to %d", minPeriod, maxPeriod)
	timeoutRule := fmt.Sprintf("must be an integer from %d to %d", StartupProbeMinTimeoutSeconds, maxTimeout)
	window := func(delay, period, thr int) string {
		return fmt.Sprintf("must keep the startup window initialDelaySeconds + periodSeconds × failureThreshold = %d + %d × %d = %d s within %d s",
			delay, period, thr, delay+period*thr, maxWindow)
	}
	probe := func(delay, period, timeout, thr int) error {
		return ValidateStartupProbe(Probe{InitialDelaySeconds: delay, PeriodSeconds: period, TimeoutSeconds: timeout, FailureThreshold: thr})
	}
	checkRules(t, "startupProbe", AnchorCloudRun, []ruleCase{
		{"zero probe is Cloud Run's default TCP probe", ValidateStartupProbe(Probe{}), "", "", ""},
		{"all minima, timeout unset", probe(0, minPeriod, 0, minThr), "", "", ""},
		// initialDelaySeconds 0…600
		{"delay below 0", probe(-1, minPeriod, 0, minThr), "initialDelaySeconds", "-1", delayRule},
		{"delay one below the window's room", probe(maxWindow-minPeriod*minThr-1, minPeriod, 0, minThr), "", "", ""},
		{"delay at the window's room", probe(maxWindow-minPeriod*minThr, minPeriod, 0, minThr), "", "", ""},
		// At its own maximum the delay leaves no room for one period: the
		// window rule, not the field rule, refuses it.
		{"delay at its maximum", probe(maxDelay, minPeriod, 0, minThr), "failureThreshold", strconv.Itoa(minThr), window(maxDelay, minPeriod, minThr)},
		{"delay above its maximum", probe(maxDelay+1, minPeriod, 0, minThr), "initialDelaySeconds", strconv.Itoa(maxDelay + 1), delayRule},
		// periodSeconds 1…600
		{"period below the minimum", probe(0, minPeriod-1, 0, minThr), "periodSeconds", strconv.Itoa(minPeriod - 1), periodRule},
		{"period at the maximum", probe(0, maxPeriod, 0, minThr), "", "", ""},
		{"period above the maximum", probe(0, maxPeriod+1, 0, minThr), "periodSeconds", strconv.Itoa(maxPeriod + 1), periodRule},
		// timeoutSeconds 0 (unset) or 1…600, at most periodSeconds
		{"timeout below 0", probe(0, 10, -1, 3), "timeoutSeconds", "-1", timeoutRule},
		{"timeout at the minimum", probe(0, 10, StartupProbeMinTimeoutSeconds, 3), "", "", ""},
		{"timeout at the maximum (= period)", probe(0, maxPeriod, maxTimeout, minThr), "", "", ""},
		{"timeout above the maximum", probe(0, maxPeriod, maxTimeout+1, minThr), "timeoutSeconds", strconv.Itoa(maxTimeout + 1), timeoutRule},
		{"timeout one below period", probe(0, 10, 9, 3), "", "", ""},
		{"timeout equals period", probe(0, 10, 10, 3), "", "", ""},
		{"timeout above period", probe(0, 10, 11, 3), "timeoutSeconds", "11", "must be at most periodSeconds (10)"},
		// failureThreshold ≥ 1
		{"threshold below the minimum", probe(0, 10, 1, minThr-1), "failureThreshold", strconv.Itoa(minThr - 1), fmt.Sprintf("must be an integer ≥ %d", minThr)},
		{"threshold at the minimum", probe(0, 10, 1, minThr), "", "", ""},
		// the window initialDelaySeconds + periodSeconds × failureThreshold ≤ 600
		{"window one below", probe(99, 10, 1, 50), "", "", ""},
		{"window at the limit", probe(100, 10, 1, 50), "", "", ""},
		{"window one above", probe(101, 10, 1, 50), "failureThreshold", "50", window(101, 10, 50)},
		{"window above by the product", probe(0, 10, 1, maxWindow/10+1), "failureThreshold", strconv.Itoa(maxWindow/10 + 1), window(0, 10, maxWindow/10+1)},
	})
}

func TestRuleConnectTimeout(t *testing.T) {
	const rule = "must be a decimal number of seconds > 0"
	checkRules(t, "db", AnchorPooling, []ruleCase{
		{"smallest positive", ValidateConnectTimeoutSeconds(math.SmallestNonzeroFloat64), "", "", ""},
		{"decimal", ValidateConnectTimeoutSeconds(74.5), "", "", ""},
		{"zero", ValidateConnectTimeoutSeconds(0), "connectTimeoutSeconds", "0", rule},
		{"negative", ValidateConnectTimeoutSeconds(-1), "connectTimeoutSeconds", "-1", rule},
		{"NaN", ValidateConnectTimeoutSeconds(math.NaN()), "connectTimeoutSeconds", "NaN", rule},
		{"+Inf", ValidateConnectTimeoutSeconds(math.Inf(1)), "connectTimeoutSeconds", "+Inf", rule},
		{"-Inf", ValidateConnectTimeoutSeconds(math.Inf(-1)), "connectTimeoutSeconds", "-Inf", rule},
	})
	for _, tt := range []struct {
		env  string
		want float64
		got  string // RuleError.Got, "" when valid
	}{
		{"75", 75, ""},
		{" 74.5\n", 74.5, ""},
		{"0.001", 0.001, ""},
		{"abc", 0, `"abc"`}, // unreadable: the env text, quoted
		{"", 0, `""`},
		{"0", 0, "0"}, // readable but out of range: the number
		{"-2.5", 0, "-2.5"},
		{"Inf", 0, "+Inf"},
	} {
		v, err := ParseConnectTimeout(tt.env)
		if tt.got == "" {
			require.NoError(t, err, "%q", tt.env)
			assert.Equal(t, tt.want, v, "%q", tt.env)
			continue
		}
		var re *RuleError
		require.ErrorAs(t, err, &re, "%q", tt.env)
		assert.Equal(t, 0.0, v)
		assert.Equal(t, RuleError{Subject: "db", Field: "connectTimeoutSeconds", Got: tt.got, Rule: rule, Anchor: AnchorPooling}, *re)
	}
}

func TestRulePool(t *testing.T) {
	startupRule := func(total int) string {
		return fmt.Sprintf("must be an integer from 0 to poolSize + maxOverflow (%d)", total)
	}
	checkRules(t, "db", AnchorPooling, []ruleCase{
		{"poolSize below 1", ValidatePool(0, 0, 0), "poolSize", "0", "must be an integer ≥ 1"},
		{"poolSize 1", ValidatePool(1, 0, 0), "", "", ""},
		{"maxOverflow below 0", ValidatePool(1, -1, 0), "maxOverflow", "-1", "must be an integer ≥ 0"},
		{"startup below 0", ValidatePool(5, 2, -1), "startupConnections", "-1", startupRule(7)},
		{"startup 0", ValidatePool(5, 2, 0), "", "", ""},
		{"startup one below pool + overflow", ValidatePool(5, 2, 6), "", "", ""},
		{"startup at pool + overflow", ValidatePool(5, 2, 7), "", "", ""},
		{"startup above pool + overflow", ValidatePool(5, 2, 8), "startupConnections", "8", startupRule(7)},
		{"startup above pool, no overflow", ValidatePool(3, 0, 4), "startupConnections", "4", startupRule(3)},
	})
}

func TestRuleConcurrency(t *testing.T) {
	rule := fmt.Sprintf("must be an integer from %d to %d", ConcurrencyMin, ConcurrencyMax)
	checkRules(t, "service", AnchorCloudRun, []ruleCase{
		{"unset", ValidateConcurrency(0), "", "", ""},
		{"below unset", ValidateConcurrency(-1), "concurrency", "-1", rule},
		{"minimum", ValidateConcurrency(ConcurrencyMin), "", "", ""},
		{"default", ValidateConcurrency(ConcurrencyDefault), "", "", ""},
		{"maximum", ValidateConcurrency(ConcurrencyMax), "", "", ""},
		{"above maximum", ValidateConcurrency(ConcurrencyMax + 1), "concurrency", strconv.Itoa(ConcurrencyMax + 1), rule},
	})
}

func TestRuleCPU(t *testing.T) {
	rule := fmt.Sprintf("must be more than 0 and at most %d vCPUs", CloudRunMaxCPU)
	checkRules(t, "service", AnchorCloudRun, []ruleCase{
		{"zero", ValidateCPU(0), "cpu", "0", rule},
		{"negative", ValidateCPU(-1), "cpu", "-1", rule},
		{"fraction", ValidateCPU(0.08), "", "", ""},
		{"maximum", ValidateCPU(CloudRunMaxCPU), "", "", ""},
		{"above maximum", ValidateCPU(CloudRunMaxCPU + 0.5), "cpu", "8.5", rule},
		{"NaN", ValidateCPU(math.NaN()), "cpu", "NaN", rule},
	})
}

func TestRuleMaxInstances(t *testing.T) {
	maxRule := fmt.Sprintf("must be an integer ≥ 1 (unset or 0 means Cloud Run's default of %d)", CloudRunDefaultMaxInstances)
	checkRules(t, "service", AnchorCloudRun, []ruleCase{
		{"max unset", ValidateMaxInstances(0, 0), "maxInstances", "0", maxRule},
		{"max negative", ValidateMaxInstances(0, -1), "maxInstances", "-1", maxRule},
		{"max 1", ValidateMaxInstances(0, 1), "", "", ""},
		{"min negative", ValidateMaxInstances(-1, 5), "minInstances", "-1", "must be an integer from 0 to maxInstances (5)"},
		{"min 0", ValidateMaxInstances(0, 5), "", "", ""},
		{"min one below max", ValidateMaxInstances(4, 5), "", "", ""},
		{"min equals max", ValidateMaxInstances(5, 5), "", "", ""},
		{"min above max", ValidateMaxInstances(6, 5), "minInstances", "6", "must be an integer from 0 to maxInstances (5)"},
	})
}

func TestRuleMaxConnections(t *testing.T) {
	tier, err := ParseTier("db-custom-1-3840")
	require.NoError(t, err)
	c := MaxConnectionsCeiling(tier)
	require.Equal(t, MaxConnectionsCeilingMultiple*DefaultMaxConnections(tier), c)
	boundsRule := fmt.Sprintf("must be an integer from %d (Cloud SQL's minimum) to %d (PostgreSQL's maximum)", MaxConnectionsFlagMin, MaxConnectionsFlagMax)
	checkRules(t, "database", AnchorMaxConnections, []ruleCase{
		{"unset", ValidateMaxConnections(tier, 0), "", "", ""},
		{"explicit 0", ValidateMaxConnectionsFlag(tier, 0), "maxConnections", "0", boundsRule},
		{"below the minimum", ValidateMaxConnections(tier, MaxConnectionsFlagMin-1), "maxConnections", strconv.Itoa(MaxConnectionsFlagMin - 1), boundsRule},
		{"minimum", ValidateMaxConnections(tier, MaxConnectionsFlagMin), "", "", ""},
		// Our inferred ceiling bounds nothing: MaxConnectionsAdvice says it.
		{"at the ceiling", ValidateMaxConnections(tier, c), "", "", ""},
		{"above the ceiling", ValidateMaxConnections(tier, c+1), "", "", ""},
		{"maximum", ValidateMaxConnections(tier, MaxConnectionsFlagMax), "", "", ""},
		{"above the maximum", ValidateMaxConnections(tier, MaxConnectionsFlagMax+1), "maxConnections", strconv.Itoa(MaxConnectionsFlagMax + 1), boundsRule},
		{"no tier, large", ValidateMaxConnectionsFlag(Tier{}, 100000), "", "", ""},
		{"no tier, below the minimum", ValidateMaxConnectionsFlag(Tier{}, MaxConnectionsFlagMin-1), "maxConnections", strconv.Itoa(MaxConnectionsFlagMin - 1), boundsRule},
	})
}

// TestMaxConnectionsAdvice: above our inferred 4× ceiling is advice that
// names the number and its reasoning; at or below it, nothing. The issue's
// case: 5000 on db-custom-96-368640 (default 1000, ceiling 4000).
func TestMaxConnectionsAdvice(t *testing.T) {
	big, err := ParseTier("db-custom-96-368640")
	require.NoError(t, err)
	require.Equal(t, 1000, DefaultMaxConnections(big))
	c := MaxConnectionsCeiling(big)
	require.Equal(t, 4000, c)
	assert.Nil(t, MaxConnectionsAdvice(big, c), "at the ceiling")
	assert.Nil(t, MaxConnectionsAdvice(big, c-1))
	assert.Nil(t, MaxConnectionsAdvice(Tier{}, 100000), "no tier, no ceiling")
	for _, n := range []int{c + 1, 5000, MaxConnectionsFlagMax} {
		adv := MaxConnectionsAdvice(big, n)
		require.NotNil(t, adv, n)
		assert.True(t, adv.Inferred)
		assert.NoError(t, ValidateMaxConnectionsFlag(big, n), "advice, not an error")
		assert.Equal(t, strconv.Itoa(n), adv.Got)
		assert.Equal(t, "maxConnections", adv.Field)
		assert.Equal(t, LimitsDoc+"#"+AnchorMaxConnections, adv.Source())
		for _, want := range []string{"above 4000, our inferred ceiling on db-custom-96-368640", "4× the tier default 1000",
			"every PostgreSQL backend takes memory", "a limit it does not publish"} {
			assert.Contains(t, adv.Error(), want)
		}
	}
}

func TestRuleBackups(t *testing.T) {
	const r7, lmin, lmax, lplus = RetainedBackupsDefault, LogRetentionDaysMin, LogRetentionDaysMax, LogRetentionDaysMaxPlus
	retainedRule := fmt.Sprintf("must be an integer from %d to %d", RetainedBackupsDefault, RetainedBackupsMax)
	logRule := func(max int, edition string) string {
		return fmt.Sprintf("must be an integer from %d to %d for edition %s", lmin, max, edition)
	}
	checkRules(t, "backups", AnchorBackups, []ruleCase{
		{"retained below the default", ValidateBackups(r7-1, lmax, ""), "retainedBackups", strconv.Itoa(r7 - 1), retainedRule},
		{"retained at the default", ValidateBackups(r7, lmax, ""), "", "", ""},
		{"retained at the maximum", ValidateBackups(RetainedBackupsMax, lmax, ""), "", "", ""},
		{"retained above the maximum", ValidateBackups(RetainedBackupsMax+1, lmax, ""), "retainedBackups", strconv.Itoa(RetainedBackupsMax + 1), retainedRule},
		{"log below the minimum", ValidateBackups(r7, lmin-1, ""), "logRetentionDays", strconv.Itoa(lmin - 1), logRule(lmax, EditionEnterprise)},
		{"log at the minimum", ValidateBackups(r7, lmin, ""), "", "", ""},
		{"log at the Enterprise maximum", ValidateBackups(r7, lmax, EditionEnterprise), "", "", ""},
		{"log above the Enterprise maximum", ValidateBackups(r7, lmax+1, EditionEnterprise), "logRetentionDays", strconv.Itoa(lmax + 1), logRule(lmax, EditionEnterprise)},
		{"no edition is Enterprise", ValidateBackups(r7, lmax+1, ""), "logRetentionDays", strconv.Itoa(lmax + 1), logRule(lmax, EditionEnterprise)},
		{"log at the Enterprise Plus maximum", ValidateBackups(r7, lplus, EditionEnterprisePlus), "", "", ""},
		{"edition in lower case", ValidateBackups(r7, lplus, "enterprise_plus"), "", "", ""},
		{"log above the Enterprise Plus maximum", ValidateBackups(r7, lplus+1, "enterprise_plus"), "logRetentionDays", strconv.Itoa(lplus + 1), logRule(lplus, EditionEnterprisePlus)},
		{"log below the minimum on Enterprise Plus", ValidateBackups(r7, lmin-1, EditionEnterprisePlus), "logRetentionDays", strconv.Itoa(lmin - 1), logRule(lplus, EditionEnterprisePlus)},
	})
}

func TestRuleMaintenanceWindow(t *testing.T) {
	dayRule := fmt.Sprintf("must be an integer from %d (Monday) to %d (Sunday)", MaintenanceDayMin, MaintenanceDayMax)
	hourRule := fmt.Sprintf("must be an integer from 0 to %d (UTC)", MaintenanceHourMax)
	checkRules(t, "maintenanceWindow", AnchorBackups, []ruleCase{
		{"day below Monday", ValidateMaintenanceWindow(MaintenanceDayMin-1, 0), "day", strconv.Itoa(MaintenanceDayMin - 1), dayRule},
		{"Monday", ValidateMaintenanceWindow(MaintenanceDayMin, 0), "", "", ""},
		{"Sunday", ValidateMaintenanceWindow(MaintenanceDayMax, 0), "", "", ""},
		{"day after Sunday", ValidateMaintenanceWindow(MaintenanceDayMax+1, 0), "day", strconv.Itoa(MaintenanceDayMax + 1), dayRule},
		{"hour below 0", ValidateMaintenanceWindow(MaintenanceDayMin, -1), "hour", "-1", hourRule},
		{"last hour", ValidateMaintenanceWindow(MaintenanceDayMin, MaintenanceHourMax), "", "", ""},
		{"hour after the last", ValidateMaintenanceWindow(MaintenanceDayMin, MaintenanceHourMax+1), "hour", strconv.Itoa(MaintenanceHourMax + 1), hourRule},
	})
}

func TestRuleAvailability(t *testing.T) {
	const haRule = "requires backups.enabled and backups.pointInTimeRecovery (REGIONAL high availability)"
	oneOf := fmt.Sprintf("must be one of %s, %s", AvailabilityZonal, AvailabilityRegional)
	checkRules(t, "database", AnchorHA, []ruleCase{
		{"zonal without backups", ValidateAvailability(AvailabilityZonal, false, false), "", "", ""},
		{"regional with backups and PITR", ValidateAvailability(AvailabilityRegional, true, true), "", "", ""},
		{"regional without PITR", ValidateAvailability(AvailabilityRegional, true, false), "availability", `"REGIONAL"`, haRule},
		{"regional without backups", ValidateAvailability(AvailabilityRegional, false, true), "availability", `"REGIONAL"`, haRule},
		{"regional without either", ValidateAvailability(AvailabilityRegional, false, false), "availability", `"REGIONAL"`, haRule},
		{"lower case", ValidateAvailability("zonal", true, true), "availability", `"zonal"`, oneOf},
		{"empty", ValidateAvailability("", true, true), "availability", `""`, oneOf},
	})
}

func TestRuleConnectorName(t *testing.T) {
	rule := fmt.Sprintf("must be lowercase letters, digits and hyphens, start with a letter, end with a letter or digit, and have at most %d characters", ConnectorNameMaxLength)
	bad := func(name string) ruleCase {
		return ruleCase{name, ValidateConnectorName(name), "name", strconv.Quote(name), rule}
	}
	ok := func(name string) ruleCase { return ruleCase{name, ValidateConnectorName(name), "", "", ""} }
	longest := "c" + strings.Repeat("0", ConnectorNameMaxLength-1)
	checkRules(t, "connector", AnchorConnector, []ruleCase{
		// the character classes at each end: a–z, 0–9, '-'
		ok("a"), ok("z"), ok("a0"), ok("a9"), ok("a-b"), ok("conn-us-central1"),
		bad("a`"), bad("a{"), bad("a/"), bad("a:"), bad("a_b"), bad("A"), bad("aB"), bad("a b"), bad("é"),
		// starts with a letter, ends with a letter or digit
		bad("0a"), bad("9a"), bad("-a"), bad("a-"), bad("-"),
		// length 1…25
		bad(""),
		ok(longest),
		bad(longest + "0"),
	})
}

func TestRuleConnectorSizing(t *testing.T) {
	const lo, hi = ConnectorMinInstancesFloor, ConnectorMaxInstancesCeiling
	minRule := fmt.Sprintf("must be an integer from %d to %d", lo, hi-1)
	maxRule := fmt.Sprintf("must be an integer from %d to %d", lo+1, hi)
	checkRules(t, "connector", AnchorConnector, []ruleCase{
		{"default machine, widest range", ValidateConnectorSizing("", lo, hi), "", "", ""},
		{"every known machine", func() error {
			for _, m := range ConnectorMachineNames() {
				if err := ValidateConnectorSizing(m, lo, hi); err != nil {
					return err
				}
			}
			return nil
		}(), "", "", ""},
		{"unknown machine", ValidateConnectorSizing("n1-standard-1", lo, hi), "machineType", `"n1-standard-1"`,
			"must be one of " + strings.Join(ConnectorMachineNames(), ", ")},
		{"min below the floor", ValidateConnectorSizing("", lo-1, hi), "minInstances", strconv.Itoa(lo - 1), minRule},
		{"min at the floor", ValidateConnectorSizing("", lo, lo+1), "", "", ""},
		{"min one below the ceiling", ValidateConnectorSizing("", hi-1, hi), "", "", ""},
		{"min at the ceiling", ValidateConnectorSizing("", hi, hi), "minInstances", strconv.Itoa(hi), minRule},
		{"max at the floor", ValidateConnectorSizing("", lo, lo), "maxInstances", strconv.Itoa(lo), maxRule},
		{"max at the ceiling", ValidateConnectorSizing("", lo, hi), "", "", ""},
		{"max above the ceiling", ValidateConnectorSizing("", lo, hi+1), "maxInstances", strconv.Itoa(hi + 1), maxRule},
		{"max equals min", ValidateConnectorSizing("", lo+1, lo+1), "maxInstances", strconv.Itoa(lo + 1), fmt.Sprintf("must be greater than minInstances (%d)", lo+1)},
		{"max below min", ValidateConnectorSizing("", lo+2, lo+1), "maxInstances", strconv.Itoa(lo + 1), fmt.Sprintf("must be greater than minInstances (%d)", lo+2)},
		{"max one above min", ValidateConnectorSizing("", lo+1, lo+2), "", "", ""},
	})
}

func TestRuleConnectorCIDR(t *testing.T) {
	const v4 = "must be an IPv4 CIDR range like 10.8.0.0/28"
	bits := fmt.Sprintf("must be a /%d range", ConnectorPrefixLength)
	bad := func(cidr, rule string) ruleCase {
		return ruleCase{cidr, ValidateConnectorCIDR(cidr), "ipCidrRange", strconv.Quote(cidr), rule}
	}
	ok := func(cidr string) ruleCase { return ruleCase{cidr, ValidateConnectorCIDR(cidr), "", "", ""} }
	checkRules(t, "connector", AnchorConnector, []ruleCase{
		ok("10.8.0.0/28"), ok("10.8.0.16/28"),
		bad("banana", v4), bad("", v4), bad("10.8.0.0", v4), bad("fd00::/28", v4), bad("10.8.0.0/33", v4),
		bad("10.8.0.0/27", bits), bad("10.8.0.0/29", bits),
		bad("10.8.0.8/28", "must be a network address (did you mean 10.8.0.0/28?)"),
		bad("10.8.0.31/28", "must be a network address (did you mean 10.8.0.16/28?)"),
	})
}

func TestRulePSARange(t *testing.T) {
	rule := fmt.Sprintf("must be /%d or larger", PSAMaxPrefixLength)
	checkRules(t, "network", AnchorPrivateIP, []ruleCase{
		{"larger", ValidatePSARange(PSAMaxPrefixLength - 1), "", "", ""},
		{"at the limit", ValidatePSARange(PSAMaxPrefixLength), "", "", ""},
		{"smaller", ValidatePSARange(PSAMaxPrefixLength + 1), "privateServiceAccessRange", strconv.Quote(fmt.Sprintf("/%d", PSAMaxPrefixLength+1)), rule},
	})
}

func TestRuleDirectEgressInstanceQuota(t *testing.T) {
	rule := fmt.Sprintf("exceeds the lowest default Direct VPC egress instance quota (%d per revision and region; %d in some regions); check the region's quota or request a raise",
		DirectEgressInstanceQuotaMin, DirectEgressInstanceQuotaMax)
	checkRules(t, "service", AnchorDirectEgress, []ruleCase{
		{"below the quota", DirectEgressInstanceQuotaRisk(DirectEgressInstanceQuotaMin - 1), "", "", ""},
		{"at the quota", DirectEgressInstanceQuotaRisk(DirectEgressInstanceQuotaMin), "", "", ""},
		{"above the quota", DirectEgressInstanceQuotaRisk(DirectEgressInstanceQuotaMin + 1), "maxInstances", strconv.Itoa(DirectEgressInstanceQuotaMin + 1), rule},
	})
}
