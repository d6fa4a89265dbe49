package capacity

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTier(t *testing.T) {
	tests := []struct {
		name    string
		want    Tier
		wantErr string
	}{
		{name: "db-f1-micro", want: Tier{Name: "db-f1-micro", MemoryGB: 0.6, SharedCore: true, Edition: EditionEnterprise, Series: "shared-core"}},
		{name: "db-g1-small", want: Tier{Name: "db-g1-small", MemoryGB: 1.7, SharedCore: true, Edition: EditionEnterprise, Series: "shared-core"}},
		// 3840 MB ÷ 1024 = 3.75 GB, the documented minimum.
		{name: "db-custom-1-3840", want: Tier{Name: "db-custom-1-3840", VCPUs: 1, MemoryGB: 3.75, Edition: EditionEnterprise, Series: "custom"}},
		// 16384 ÷ 1024 = 16 GB; 4 GB per vCPU is inside 0.9–6.5.
		{name: "db-custom-4-16384", want: Tier{Name: "db-custom-4-16384", VCPUs: 4, MemoryGB: 16, Edition: EditionEnterprise, Series: "custom"}},
		// 2 × 6.5 × 1024 = 13312: exactly the per-vCPU maximum.
		{name: "db-custom-2-13312", want: Tier{Name: "db-custom-2-13312", VCPUs: 2, MemoryGB: 13, Edition: EditionEnterprise, Series: "custom"}},
		{name: "db-custom-96-98304", want: Tier{Name: "db-custom-96-98304", VCPUs: 96, MemoryGB: 96, Edition: EditionEnterprise, Series: "custom"}},
		// N2 is 1 vCPU : 8 GB → 8 × 8 = 64 GB.
		{name: "db-perf-optimized-N-8", want: Tier{Name: "db-perf-optimized-N-8", VCPUs: 8, MemoryGB: 64, Edition: EditionEnterprisePlus, Series: "N2"}},
		{name: "db-perf-optimized-N-128", want: Tier{Name: "db-perf-optimized-N-128", VCPUs: 128, MemoryGB: 864, Edition: EditionEnterprisePlus, Series: "N2"}},

		// C4A (Enterprise Plus): 8 GB per vCPU.
		{name: "db-c4a-highmem-4", want: Tier{Name: "db-c4a-highmem-4", VCPUs: 4, MemoryGB: 32, Edition: EditionEnterprisePlus, Series: "C4A"}},
		{name: "db-c4a-highmem-1", want: Tier{Name: "db-c4a-highmem-1", VCPUs: 1, MemoryGB: 8, Edition: EditionEnterprisePlus, Series: "C4A"}},
		{name: "db-c4a-highmem-72", want: Tier{Name: "db-c4a-highmem-72", VCPUs: 72, MemoryGB: 576, Edition: EditionEnterprisePlus, Series: "C4A"}},
		// N4 (Enterprise): 4 vCPU, 16 GB = 4 GB per vCPU, inside 2–8.
		{name: "db-custom-N4-4-16384", want: Tier{Name: "db-custom-N4-4-16384", VCPUs: 4, MemoryGB: 16, Edition: EditionEnterprise, Series: "N4"}},
		// boundaries: 2 × 2 × 1024 = 4096 and 2 × 8 × 1024 = 16384.
		{name: "db-custom-N4-2-4096", want: Tier{Name: "db-custom-N4-2-4096", VCPUs: 2, MemoryGB: 4, Edition: EditionEnterprise, Series: "N4"}},
		{name: "db-custom-N4-2-16384", want: Tier{Name: "db-custom-N4-2-16384", VCPUs: 2, MemoryGB: 16, Edition: EditionEnterprise, Series: "N4"}},
		// Outside our inferred N4 shapes: parsed (TierAdvice says why).
		{name: "db-custom-N4-2-3840", want: Tier{Name: "db-custom-N4-2-3840", VCPUs: 2, MemoryGB: 3.75, Edition: EditionEnterprise, Series: "N4"}},
		{name: "db-custom-N4-82-335872", want: Tier{Name: "db-custom-N4-82-335872", VCPUs: 82, MemoryGB: 328, Edition: EditionEnterprise, Series: "N4"}},
		{name: "db-custom-N4-4", wantErr: "db-custom-N4-<vCPU>-<memoryMB>"},
		{name: "db-custom-N4-0-4096", wantErr: "positive integer vCPU and memory"},
		{name: "db-custom-N4-4-0", wantErr: "positive integer vCPU and memory"},
		{name: "db-c4a-highmem-3", wantErr: "Enterprise Plus C4A sizes are 1, 2, 4, 8, 16, 32, 48, 64, 72 vCPUs, not 3"},
		{name: "db-c4a-highmem-96", wantErr: "C4A sizes"},
		{name: "db-c4a-highmem-x", wantErr: "positive integer"},
		{name: "db-custom-3-12288", wantErr: "1 or an even number"},
		{name: "db-custom-98-100352", wantErr: "1 or an even number"},
		{name: "db-custom-0-3840", wantErr: "1 or an even number"},
		{name: "db-custom-2-4000", wantErr: "multiple of 256"},
		{name: "db-custom-1-3584", wantErr: "at least 3840"},
		// 2 vCPU × 6.5 GB = 13312 MB; 13568 is one step over.
		{name: "db-custom-2-13568", wantErr: "0.9–6.5 GB per vCPU"},
		// 8 vCPU × 0.9 GB × 1024 = 7372.8 MB > 6144.
		{name: "db-custom-8-6144", wantErr: "0.9–6.5 GB per vCPU"},
		{name: "db-custom-4", wantErr: "db-custom-<vCPU>-<memoryMB>"},
		{name: "db-custom-04-16384", wantErr: "db-custom-<vCPU>-<memoryMB>"},
		{name: "db-custom-x-16384", wantErr: "db-custom-<vCPU>-<memoryMB>"},
		{name: "db-perf-optimized-N-6", wantErr: "Enterprise Plus N2 sizes"},
		{name: "db-perf-optimized-N-abc", wantErr: "positive integer"},
		{name: "db-n1-standard-2", wantErr: "want db-f1-micro"},
		{name: "", wantErr: "want db-f1-micro"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTier(tt.name)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), "tier ")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDefaultMaxConnections(t *testing.T) {
	tests := []struct {
		tier string
		want int
	}{
		{"db-f1-micro", 25},
		{"db-g1-small", 50},
		{"db-custom-1-3840", 100},        // 3.75 GB: [3.75, 6)
		{"db-custom-1-6144", 200},        // 6 GB: [6, 7.5)
		{"db-custom-2-7680", 400},        // 7.5 GB: [7.5, 15)
		{"db-custom-2-13312", 400},       // 13 GB
		{"db-custom-4-16384", 500},       // 16 GB: [15, 30) — staging
		{"db-custom-8-32768", 600},       // 32 GB: [30, 60) — production
		{"db-perf-optimized-N-8", 800},   // 64 GB: [60, 120)
		{"db-perf-optimized-N-16", 1000}, // 128 GB: ≥ 120
	}
	for _, tt := range tests {
		t.Run(tt.tier, func(t *testing.T) {
			tier, err := ParseTier(tt.tier)
			require.NoError(t, err)
			assert.Equal(t, tt.want, DefaultMaxConnections(tier))
		})
	}
	assert.Equal(t, 0, DefaultMaxConnectionsForMemory(0))
	assert.Equal(t, 50, DefaultMaxConnectionsForMemory(1.7))
}

func TestMemoryForDefaultMaxConnections(t *testing.T) {
	gb, def, ok := MemoryForDefaultMaxConnections(480) // 480 > 400 → the 15 GB row (500)
	require.True(t, ok)
	assert.Equal(t, 15.0, gb)
	assert.Equal(t, 500, def)
	_, _, ok = MemoryForDefaultMaxConnections(1001)
	assert.False(t, ok)
}

func TestCheckTierEdition(t *testing.T) {
	tests := []struct {
		tier, edition, wantErr string
	}{
		{"db-custom-4-16384", "", ""},
		{"db-custom-4-16384", "ENTERPRISE", ""},
		{"db-f1-micro", "enterprise", ""},
		{"db-perf-optimized-N-8", "ENTERPRISE_PLUS", ""},
		{"db-perf-optimized-N-8", "", "belongs to edition ENTERPRISE_PLUS, not ENTERPRISE"},
		{"db-custom-4-16384", "ENTERPRISE_PLUS", "belongs to edition ENTERPRISE, not ENTERPRISE_PLUS"},
		{"db-custom-4-16384", "GOLD", `edition "GOLD"`},
		{"db-c4a-highmem-4", "ENTERPRISE_PLUS", ""},
		{"db-c4a-highmem-4", "ENTERPRISE", "belongs to edition ENTERPRISE_PLUS, not ENTERPRISE"},
		{"db-custom-N4-4-16384", "ENTERPRISE", ""},
		{"db-custom-N4-4-16384", "ENTERPRISE_PLUS", "belongs to edition ENTERPRISE, not ENTERPRISE_PLUS"},
		{"db-custom-4-16384", "DEVELOPER", "Headroom judges ENTERPRISE and ENTERPRISE_PLUS only"},
		{"db-bogus", "ENTERPRISE", "want db-f1-micro"},
	}
	for _, tt := range tests {
		t.Run(tt.tier+"/"+tt.edition, func(t *testing.T) {
			err := CheckTierEdition(tt.tier, tt.edition)
			if tt.wantErr == "" {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			}
		})
	}
}

func TestValidateMaxConnections(t *testing.T) {
	small, _ := ParseTier("db-custom-1-3840") // default 100 → inferred ceiling 4 × 100 = 400
	assert.Equal(t, 400, MaxConnectionsCeiling(small))
	tests := []struct {
		n       int
		wantErr string
	}{
		{0, ""}, {14, ""}, {100, ""}, {400, ""},
		{13, "must be an integer from 14 (Cloud SQL's minimum) to 262143 (PostgreSQL's maximum)"},
		// Above our inferred ceiling is advice (MaxConnectionsAdvice), not an error.
		{401, ""}, {262143, ""},
		{262144, "must be an integer from 14 (Cloud SQL's minimum) to 262143 (PostgreSQL's maximum)"},
	}
	for _, tt := range tests {
		err := ValidateMaxConnections(small, tt.n)
		if tt.wantErr == "" {
			assert.NoError(t, err, tt.n)
		} else {
			require.Error(t, err, tt.n)
			assert.Contains(t, err.Error(), tt.wantErr)
		}
	}
}

func TestConnectorCatalog(t *testing.T) {
	tests := []struct {
		name                   string
		minMbps, maxMbps, perI float64
	}{
		// per instance = min ÷ 2 = max ÷ 10 (inference, docs/gcp-limits.md#vpc-connector)
		{"f1-micro", 100, 500, 50},
		{"e2-micro", 200, 1000, 100},
		{"e2-standard-4", 3200, 16000, 1600},
	}
	for _, tt := range tests {
		m, ok := LookupConnectorMachine(tt.name)
		require.True(t, ok, tt.name)
		assert.Equal(t, tt.minMbps, m.MinMbps)
		assert.Equal(t, tt.maxMbps, m.MaxMbps)
		assert.Equal(t, tt.perI, m.PerInstanceMbps)
		assert.Equal(t, m.MinMbps/ConnectorMinInstancesFloor, m.PerInstanceMbps)
		assert.Equal(t, m.MaxMbps/ConnectorMaxInstancesCeiling, m.PerInstanceMbps)
	}
	_, ok := LookupConnectorMachine("n2-standard-8")
	assert.False(t, ok)
	assert.Len(t, ConnectorMachines(), 3)
}

func TestValidateConnectorSizing(t *testing.T) {
	tests := []struct {
		machine  string
		min, max int
		wantErr  string
	}{
		{"e2-micro", 2, 10, ""},
		{"", 2, 3, ""},
		{"e2-standard-4", 9, 10, ""},
		{"e2-micro", 1, 10, "minInstances: must be an integer from 2 to 9, got 1"},
		{"e2-micro", 10, 10, "minInstances: must be an integer from 2 to 9, got 10"},
		{"e2-micro", 2, 2, "maxInstances: must be an integer from 3 to 10, got 2"},
		{"e2-micro", 2, 11, "maxInstances: must be an integer from 3 to 10, got 11"},
		{"e2-micro", 5, 5, "must be greater than minInstances (5), got 5"},
		{"n1-standard-1", 2, 10, "must be one of f1-micro, e2-micro, e2-standard-4"},
	}
	for _, tt := range tests {
		err := ValidateConnectorSizing(tt.machine, tt.min, tt.max)
		if tt.wantErr == "" {
			assert.NoError(t, err)
		} else {
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		}
	}
}

func TestValidateConnectorCIDR(t *testing.T) {
	assert.NoError(t, ValidateConnectorCIDR("10.8.0.0/28"))
	assert.NoError(t, ValidateConnectorCIDR("10.8.0.16/28"))
	for cidr, want := range map[string]string{
		"10.8.0.0/27":  "must be a /28 range",
		"10.8.0.8/28":  "did you mean 10.8.0.0/28?",
		"banana":       "must be an IPv4 CIDR range",
		"fd00::/28":    "must be an IPv4 CIDR range",
		"10.8.0.0/280": "must be an IPv4 CIDR range",
	} {
		err := ValidateConnectorCIDR(cidr)
		require.Error(t, err, cidr)
		assert.Contains(t, err.Error(), want)
	}
}

func TestSubnetAndDirectIPs(t *testing.T) {
	prefix, usable, err := SubnetUsableIPs("10.10.0.0/26")
	require.NoError(t, err)
	assert.Equal(t, 26, prefix)
	assert.Equal(t, 64-4, usable) // 2^(32−26) − 4 reserved
	_, _, err = SubnetUsableIPs("nope")
	assert.Error(t, err)
	_, usable, err = SubnetUsableIPs("10.0.0.1/32")
	require.NoError(t, err)
	assert.Equal(t, 0, usable) // 1 − 4 clamps at 0
	assert.Equal(t, 2*20+16, DirectEgressIPsNeeded(20))
}

func TestValidateConcurrency(t *testing.T) {
	for _, n := range []int{0, 1, 80, 1000} {
		assert.NoError(t, ValidateConcurrency(n))
	}
	for _, n := range []int{-1, 1001} {
		err := ValidateConcurrency(n)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "must be an integer from 1 to 1000")
	}
}

func TestProbe(t *testing.T) {
	assert.Equal(t, 240.0, ProbeWindowSeconds(probe240))                     // 0 + 10 × 24
	assert.Equal(t, 240.0, ProbeWindowSeconds(Probe{}))                      // default TCP probe
	assert.Equal(t, 35.0, ProbeWindowSeconds(Probe{InitialDelaySeconds: 5})) // 5 + 10 × 3 (API defaults)
	valid := []Probe{
		probe240,
		{},
		// a 300 s window: 10 × 30 (valid since the 600 s limit)
		{PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 30},
		// timeoutSeconds == periodSeconds is allowed (the default TCP probe is 240/240/1)
		{PeriodSeconds: 240, TimeoutSeconds: 240, FailureThreshold: 1},
		// periodSeconds 1 with the 1 s minimum timeout
		{PeriodSeconds: 1, TimeoutSeconds: 1, FailureThreshold: 3},
		// the window boundary: 0 + 10 × 60 = 600 s; 100 + 10 × 50 = 600 s
		{PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 60},
		{InitialDelaySeconds: 100, PeriodSeconds: 10, TimeoutSeconds: 1, FailureThreshold: 50},
		// field maxima: 600 each (window 600)
		{InitialDelaySeconds: 0, PeriodSeconds: 600, TimeoutSeconds: 600, FailureThreshold: 1},
		{PeriodSeconds: 10, FailureThreshold: 3}, // timeout unset (API default 1)
	}
	for _, p := range valid {
		assert.NoError(t, ValidateStartupProbe(p), "%+v", p)
	}
	tests := []struct {
		p     Probe
		field string
		want  string
	}{
		{Probe{InitialDelaySeconds: 601, PeriodSeconds: 10, FailureThreshold: 1}, "initialDelaySeconds", "must be an integer from 0 to 600, got 601"},
		{Probe{InitialDelaySeconds: -1, PeriodSeconds: 10, FailureThreshold: 1}, "initialDelaySeconds", "got -1"},
		{Probe{PeriodSeconds: 0, FailureThreshold: 1, TimeoutSeconds: 1}, "periodSeconds", "must be an integer from 1 to 600, got 0"},
		{Probe{PeriodSeconds: 601, FailureThreshold: 1}, "periodSeconds", "got 601"},
		{Probe{PeriodSeconds: 10, TimeoutSeconds: 11, FailureThreshold: 1}, "timeoutSeconds", "must be at most periodSeconds (10), got 11"},
		{Probe{PeriodSeconds: 10, TimeoutSeconds: -1, FailureThreshold: 1}, "timeoutSeconds", "from 1 to 600, got -1"},
		{Probe{PeriodSeconds: 10, FailureThreshold: 0}, "failureThreshold", "must be an integer ≥ 1, got 0"},
		{Probe{PeriodSeconds: 10, FailureThreshold: 61}, "failureThreshold", "0 + 10 × 61 = 610 s within 600 s"},
		{Probe{InitialDelaySeconds: 1, PeriodSeconds: 10, FailureThreshold: 60}, "failureThreshold", "1 + 10 × 60 = 601 s"},
	}
	for _, tt := range tests {
		err := ValidateStartupProbe(tt.p)
		require.Error(t, err, "%+v", tt.p)
		var re *RuleError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, tt.field, re.Field)
		assert.Equal(t, AnchorCloudRun, re.Anchor)
		assert.Contains(t, err.Error(), tt.want)
		assert.Contains(t, err.Error(), "docs/gcp-limits.md#cloud-run")
	}
}

func TestDefaultEdition(t *testing.T) {
	for v, want := range map[string]string{
		"POSTGRES_15": EditionEnterprise, "POSTGRES_9_6": EditionEnterprise,
		"POSTGRES_16": EditionEnterprisePlus, "POSTGRES_17": EditionEnterprisePlus, "postgres_18": EditionEnterprisePlus,
		"": EditionEnterprise, "MYSQL_8_0": EditionEnterprise, "POSTGRES_x": EditionEnterprise,
	} {
		assert.Equal(t, want, DefaultEdition(v), v)
	}
	assert.Equal(t, EditionEnterprisePlus, EffectiveEdition("", "POSTGRES_16"))
	assert.Equal(t, EditionEnterprise, EffectiveEdition("enterprise", "POSTGRES_16"))
	// A db-custom tier on PostgreSQL 16 without an edition is refused, as Google does.
	assert.Error(t, CheckTierEdition("db-g1-small", EffectiveEdition("", "POSTGRES_16")))
}

func TestConnectTimeoutAndPool(t *testing.T) {
	for _, s := range []string{"75", "74.5", " 1 ", "0.25"} {
		_, err := ParseConnectTimeout(s)
		assert.NoError(t, err, s)
	}
	v, err := ParseConnectTimeout("74.5")
	require.NoError(t, err)
	assert.Equal(t, 74.5, v)
	for _, s := range []string{"0", "-1", "abc", "", "NaN", "Inf"} {
		_, err := ParseConnectTimeout(s)
		require.Error(t, err, s)
		assert.Contains(t, err.Error(), "must be a decimal number of seconds > 0", s)
	}
	assert.NoError(t, ValidatePool(1, 0, 0))
	assert.NoError(t, ValidatePool(5, 2, 7))
	for _, tt := range []struct {
		pool, over, start int
		field             string
	}{
		{0, 0, 0, "poolSize"}, {5, -1, 0, "maxOverflow"}, {5, 2, 8, "startupConnections"}, {5, 2, -1, "startupConnections"},
	} {
		var re *RuleError
		require.ErrorAs(t, ValidatePool(tt.pool, tt.over, tt.start), &re)
		assert.Equal(t, tt.field, re.Field)
	}
}

func TestOtherRules(t *testing.T) {
	assert.NoError(t, ValidateMaxInstances(0, 1))
	assert.Error(t, ValidateMaxInstances(0, 0))
	assert.Error(t, ValidateMaxInstances(2, 1))
	assert.NoError(t, ValidateCPU(8))
	assert.Error(t, ValidateCPU(8.5))
	assert.Error(t, ValidateCPU(0))
	assert.NoError(t, ValidateBackups(7, 7, ""))
	assert.NoError(t, ValidateBackups(365, 35, EditionEnterprisePlus))
	assert.Error(t, ValidateBackups(6, 7, ""))
	assert.Error(t, ValidateBackups(366, 7, ""))
	assert.Error(t, ValidateBackups(7, 8, EditionEnterprise))
	assert.Error(t, ValidateBackups(7, 36, EditionEnterprisePlus))
	assert.Error(t, ValidateBackups(7, 0, EditionEnterprisePlus))
	assert.NoError(t, ValidateMaintenanceWindow(1, 0))
	assert.NoError(t, ValidateMaintenanceWindow(7, 23))
	assert.Error(t, ValidateMaintenanceWindow(0, 0))
	assert.Error(t, ValidateMaintenanceWindow(8, 0))
	assert.Error(t, ValidateMaintenanceWindow(1, 24))
	assert.Error(t, ValidateMaintenanceWindow(1, -1))
	assert.NoError(t, ValidateAvailability(AvailabilityZonal, false, false))
	assert.NoError(t, ValidateAvailability(AvailabilityRegional, true, true))
	assert.Error(t, ValidateAvailability(AvailabilityRegional, true, false))
	assert.Error(t, ValidateAvailability("zonal", true, true))
	assert.NoError(t, ValidateConnectorName("conn-us-central1"))
	assert.Error(t, ValidateConnectorName("conn-us-central1-very-long"))
	assert.Error(t, ValidateConnectorName("1conn"))
	assert.Error(t, ValidateConnectorName("conn-"))
	assert.Error(t, ValidateConnectorName("Conn"))
	assert.NoError(t, ValidatePSARange(16))
	assert.NoError(t, ValidatePSARange(24))
	assert.Error(t, ValidatePSARange(25))
	assert.NoError(t, DirectEgressInstanceQuotaRisk(100))
	assert.Error(t, DirectEgressInstanceQuotaRisk(101))
	assert.Equal(t, 3, ConnectorInstancesForThroughput(ConnectorAPIDefaultMaxThroughputMbps))
	assert.Equal(t, 2, ConnectorInstancesForThroughput(ConnectorAPIDefaultMinThroughputMbps))
	assert.Equal(t, 12000, IAMLoginQuotaPerMinutePerInstance)
}

func TestNormalizeEdition(t *testing.T) {
	assert.Equal(t, EditionEnterprise, NormalizeEdition(""))
	assert.Equal(t, EditionEnterprisePlus, NormalizeEdition("enterprise_plus"))
}

// FuzzParseTier checks ParseTier never panics, that every accepted tier
// satisfies the documented rules, and that errors are one line naming it.
func FuzzParseTier(f *testing.F) {
	for _, s := range []string{"db-f1-micro", "db-g1-small", "db-custom-1-3840", "db-custom-4-16384",
		"db-custom-2-13312", "db-perf-optimized-N-8", "db-custom--", "db-custom-1-", "db-custom-99999999999999999999-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		tier, err := ParseTier(name)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		if tier.Name != name || DefaultMaxConnections(tier) < 25 {
			t.Fatalf("bad tier %+v", tier)
		}
		if !tier.SharedCore {
			if tier.VCPUs != 1 && tier.VCPUs%2 != 0 {
				t.Fatalf("odd vCPUs accepted: %+v", tier)
			}
			if tier.Edition == EditionEnterprise && tier.MemoryGB < 3.75 {
				t.Fatalf("memory below 3.75 GB accepted: %+v", tier)
			}
		}
		if err := CheckTierEdition(name, tier.Edition); err != nil {
			t.Fatalf("own edition rejected: %v", err)
		}
	})
}

// FuzzCIDR checks the range parsers never panic and agree with each other.
func FuzzCIDR(f *testing.F) {
	for _, s := range []string{"10.8.0.0/28", "10.8.0.16/28", "10.10.0.0/20", "10.8.0.8/28", "::/0", "1.2.3.4/33", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cidr string) {
		prefix, usable, err := SubnetUsableIPs(cidr)
		if err != nil {
			if ValidateConnectorCIDR(cidr) == nil {
				t.Fatalf("connector accepts %q that the subnet parser rejects", cidr)
			}
			return
		}
		if usable < 0 || prefix < 0 || prefix > 32 {
			t.Fatalf("%q: prefix %d usable %d", cidr, prefix, usable)
		}
		if ValidateConnectorCIDR(cidr) == nil && (prefix != 28 || usable != 12) {
			t.Fatalf("%q accepted as a connector range with prefix %d", cidr, prefix)
		}
	})
}
