package capacity

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Boundary cases of the catalog's parsers and tables
// (docs/gcp-limits.md#cloud-sql-tiers, #cloud-sql-max-connections).

func TestParseTierBoundaries(t *testing.T) {
	// custom: exactly CustomMinMBPerVCPU per vCPU is allowed. 10 vCPU ×
	// 0.9 GB × 1024 = 9216 MB, a multiple of 256; one step less is not.
	lo := int(CustomMinMBPerVCPU * 10)
	require.Zero(t, lo%CustomMemoryStepMB)
	// N4: every vCPU count up to N4MaxVCPUs, at N4MinMBPerVCPU each.
	n4Max := N4MaxVCPUs * N4MinMBPerVCPU
	tests := []struct {
		name    string
		vcpus   int
		wantErr string
	}{
		{fmt.Sprintf("db-custom-10-%d", lo), 10, ""},
		{fmt.Sprintf("db-custom-10-%d", lo-CustomMemoryStepMB), 0, "0.9–6.5 GB per vCPU"},
		{fmt.Sprintf("db-custom-N4-%d-%d", N4MaxVCPUs, n4Max), N4MaxVCPUs, ""},
		{fmt.Sprintf("db-custom-N4-%d-%d", N4MaxVCPUs-2, (N4MaxVCPUs-2)*N4MinMBPerVCPU), N4MaxVCPUs - 2, ""},
		// Outside our inferred N4 shapes still parses (TierAdvice).
		{fmt.Sprintf("db-custom-N4-%d-%d", N4MaxVCPUs+2, (N4MaxVCPUs+2)*N4MinMBPerVCPU), N4MaxVCPUs + 2, ""},
		{fmt.Sprintf("db-custom-N4-1-%d", N4MinMBPerVCPU), 1, ""},
		{fmt.Sprintf("db-custom-N4-3-%d", 3*N4MinMBPerVCPU), 3, ""},
		{fmt.Sprintf("db-custom-%d-%d", CustomMaxVCPUs, CustomMaxVCPUs*1024), CustomMaxVCPUs, ""},
		// vCPU counts are positive: 0 is no size at all, not a missing size.
		{"db-perf-optimized-N-0", 0, "with a positive integer vCPU count"},
		{"db-c4a-highmem-0", 0, "with a positive integer vCPU count"},
		{"db-c4a-highmem--1", 0, "with a positive integer vCPU count"},
		{"db-c4a-highmem-08", 0, "with a positive integer vCPU count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTier(tt.name)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.vcpus, got.VCPUs)
		})
	}
}

func TestPostgresMajor(t *testing.T) {
	for _, tt := range []struct {
		version string
		major   int
		ok      bool
	}{
		{"POSTGRES_16", 16, true},
		{"POSTGRES_9_6", 9, true},
		{"postgres_1", 1, true},
		{"POSTGRES_0", 0, false},
		{"POSTGRES_016", 0, false},
		{"POSTGRES_", 0, false},
		{"MYSQL_8_0", 0, false},
	} {
		major, ok := PostgresMajor(tt.version)
		assert.Equal(t, tt.ok, ok, tt.version)
		if tt.ok {
			assert.Equal(t, tt.major, major, tt.version)
		}
	}
	// The edition default switches exactly at EditionPlusDefaultFromMajor.
	assert.Equal(t, EditionEnterprise, DefaultEdition(fmt.Sprintf("POSTGRES_%d", EditionPlusDefaultFromMajor-1)))
	assert.Equal(t, EditionEnterprisePlus, DefaultEdition(fmt.Sprintf("POSTGRES_%d", EditionPlusDefaultFromMajor)))
}

// TestMaxConnectionsTableBoundaries walks the default max_connections table
// row by row: a row's memory gets its default, a hair less gets the row
// before; asking for a row's default (or one less) gets that row's memory,
// one more gets the next row.
func TestMaxConnectionsTableBoundaries(t *testing.T) {
	const hair = 1e-9
	for i, b := range maxConnTable {
		if b.MinGB > 0 {
			assert.Equal(t, b.Default, DefaultMaxConnectionsForMemory(b.MinGB), "%g GB", b.MinGB)
			assert.Equal(t, maxConnTable[i-1].Default, DefaultMaxConnectionsForMemory(b.MinGB-hair), "%g GB − ε", b.MinGB)
		}
	}
	assert.Equal(t, 0, DefaultMaxConnectionsForMemory(-1))
	assert.Equal(t, maxConnTable[0].Default, DefaultMaxConnectionsForMemory(hair))

	dedicated := maxConnTable[2:] // from 3.75 GB: no shared-core row is proposed
	require.Equal(t, float64(CustomMinMemoryMB)/1024, dedicated[0].MinGB)
	for i, b := range dedicated {
		for _, n := range []int{b.Default - 1, b.Default} {
			gb, def, ok := MemoryForDefaultMaxConnections(n)
			require.True(t, ok, n)
			assert.Equal(t, b.MinGB, gb, n)
			assert.Equal(t, b.Default, def, n)
		}
		gb, def, ok := MemoryForDefaultMaxConnections(b.Default + 1)
		if i+1 < len(dedicated) {
			require.True(t, ok)
			assert.Equal(t, dedicated[i+1].MinGB, gb)
			assert.Equal(t, dedicated[i+1].Default, def)
		} else {
			assert.False(t, ok, "above the table's largest row")
		}
	}
	gb, def, ok := MemoryForDefaultMaxConnections(1)
	require.True(t, ok)
	assert.Equal(t, dedicated[0].MinGB, gb)
	assert.Equal(t, dedicated[0].Default, def)
}

// TestTierAdviceBoundaries: the N4 shapes rest on our inference (Compute
// Engine's N4 custom shapes), so a tier outside them is advice naming the
// number, at each edge of the inferred range; nothing for other series.
func TestTierAdviceBoundaries(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{fmt.Sprintf("db-custom-N4-1-%d", N4MinMBPerVCPU), ""},
		{fmt.Sprintf("db-custom-N4-1-%d", N4MaxMBPerVCPU), ""},
		{fmt.Sprintf("db-custom-N4-1-%d", N4MinMBPerVCPU-CustomMemoryStepMB), "has 1792 MB memory where N4 shapes have 2–8 GB per vCPU (2048–8192 MB for 1 vCPU)"},
		{fmt.Sprintf("db-custom-N4-1-%d", N4MaxMBPerVCPU+CustomMemoryStepMB), "has 8448 MB memory where N4 shapes have 2–8 GB per vCPU"},
		{fmt.Sprintf("db-custom-N4-2-%d", 2*N4MinMBPerVCPU), ""},
		{fmt.Sprintf("db-custom-N4-3-%d", 3*N4MinMBPerVCPU), "has 3 vCPUs where N4 shapes have 1 or an even number from 2 to 80"},
		{fmt.Sprintf("db-custom-N4-%d-%d", N4MaxVCPUs, N4MaxVCPUs*N4MinMBPerVCPU), ""},
		{fmt.Sprintf("db-custom-N4-%d-%d", N4MaxVCPUs+2, (N4MaxVCPUs+2)*N4MinMBPerVCPU), "has 82 vCPUs where N4 shapes have 1 or an even number from 2 to 80"},
		{"db-custom-N4-4-16000", "has 16000 MB memory where N4 shapes step by 256 MB"},
		{"db-custom-4-16384", ""},
		{"db-perf-optimized-N-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tier, err := ParseTier(tt.name)
			require.NoError(t, err, "an inferred shape is never a parse error")
			adv := TierAdvice(tier)
			if tt.want == "" {
				assert.Nil(t, adv)
				return
			}
			require.NotNil(t, adv)
			assert.True(t, adv.Inferred)
			assert.Contains(t, adv.Error(), tt.want)
			assert.Contains(t, adv.Error(), "our inference from Compute Engine's N4 custom shapes")
			assert.Equal(t, LimitsDoc+"#"+AnchorTiers, adv.Source())
		})
	}
}
