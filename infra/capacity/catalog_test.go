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
		{name: "db-f1-micro", want: Tier{Name: "db-f1-micro", MemoryGB: 0.6, SharedCore: true, Edition: EditionEnterprise}},
		{name: "db-g1-small", want: Tier{Name: "db-g1-small", MemoryGB: 1.7, SharedCore: true, Edition: EditionEnterprise}},
		// 3840 MB ÷ 1024 = 3.75 GB, the documented minimum.
		{name: "db-custom-1-3840", want: Tier{Name: "db-custom-1-3840", VCPUs: 1, MemoryGB: 3.75, Edition: EditionEnterprise}},
		// 16384 ÷ 1024 = 16 GB; 4 GB per vCPU is inside 0.9–6.5.
		{name: "db-custom-4-16384", want: Tier{Name: "db-custom-4-16384", VCPUs: 4, MemoryGB: 16, Edition: EditionEnterprise}},
		// 2 × 6.5 × 1024 = 13312: exactly the per-vCPU maximum.
		{name: "db-custom-2-13312", want: Tier{Name: "db-custom-2-13312", VCPUs: 2, MemoryGB: 13, Edition: EditionEnterprise}},
		{name: "db-custom-96-98304", want: Tier{Name: "db-custom-96-98304", VCPUs: 96, MemoryGB: 96, Edition: EditionEnterprise}},
		// N2 is 1 vCPU : 8 GB → 8 × 8 = 64 GB.
		{name: "db-perf-optimized-N-8", want: Tier{Name: "db-perf-optimized-N-8", VCPUs: 8, MemoryGB: 64, Edition: EditionEnterprisePlus}},
		{name: "db-perf-optimized-N-128", want: Tier{Name: "db-perf-optimized-N-128", VCPUs: 128, MemoryGB: 864, Edition: EditionEnterprisePlus}},

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
	small, _ := ParseTier("db-custom-1-3840") // default 100 → ceiling 4 × 100 = 400
	assert.Equal(t, 400, MaxConnectionsCeiling(small))
	tests := []struct {
		n       int
		wantErr string
	}{
		{0, ""}, {14, ""}, {100, ""}, {400, ""},
		{13, "minimum is 14"},
		{401, "above 400 (4× the tier default 100)"},
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
		// per instance = min ÷ 2 = max ÷ 10 (inference, gcp-capacity.md §3)
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
		{"e2-micro", 1, 10, "at least 2"},
		{"e2-micro", 2, 11, "at most 10"},
		{"e2-micro", 5, 5, "greater than minInstances 5"},
		{"n1-standard-1", 2, 10, "want f1-micro, e2-micro or e2-standard-4"},
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
		"10.8.0.0/27":  "must be a /28, got /27",
		"10.8.0.8/28":  "not aligned, did you mean 10.8.0.0/28",
		"banana":       "want an IPv4 CIDR",
		"fd00::/28":    "want an IPv4 CIDR",
		"10.8.0.0/280": "want an IPv4 CIDR",
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
		assert.Contains(t, err.Error(), "between 1 and 1000")
	}
}

func TestProbe(t *testing.T) {
	assert.Equal(t, 240.0, ProbeWindowSeconds(probe240))                     // 0 + 10 × 24
	assert.Equal(t, 240.0, ProbeWindowSeconds(Probe{}))                      // default TCP probe
	assert.Equal(t, 35.0, ProbeWindowSeconds(Probe{InitialDelaySeconds: 5})) // 5 + 10 × 3 (API defaults)
	assert.NoError(t, ValidateStartupProbe(probe240))
	assert.NoError(t, ValidateStartupProbe(Probe{}))
	tests := []struct {
		p    Probe
		want string
	}{
		{Probe{InitialDelaySeconds: 241, PeriodSeconds: 10, FailureThreshold: 1}, "initialDelaySeconds 241"},
		{Probe{PeriodSeconds: 0, FailureThreshold: 1, TimeoutSeconds: 1}, "periodSeconds 0"},
		{Probe{PeriodSeconds: 10, TimeoutSeconds: 10, FailureThreshold: 1}, "less than periodSeconds"},
		{Probe{PeriodSeconds: 10, FailureThreshold: 0}, "failureThreshold 0"},
		{Probe{PeriodSeconds: 10, FailureThreshold: 25}, "10 × 25 = 250 s"},
	}
	for _, tt := range tests {
		err := ValidateStartupProbe(tt.p)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
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
