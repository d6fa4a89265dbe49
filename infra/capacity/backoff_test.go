package capacity

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		name                     string
		initial, mult, max, want float64
		retry                    int
	}{
		{"first retry waits initial", 0.5, 2, 8, 0.5, 0},
		{"doubles", 0.5, 2, 8, 1, 1},
		{"just below the cap", 0.5, 2, 8, 4, 3},
		{"at the cap", 0.5, 2, 8, 8, 4},
		{"capped", 0.5, 2, 8, 8, 5},
		{"overflow is capped", 0.5, 2, 8, 8, 5000},
		{"multiplier 1 is constant", 0.3, 1, 8, 0.3, 7},
		{"no cap", 1, 3, 0, 27, 3},
		{"nanoseconds", 1e8, 2, 1e9, 8e8, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, RetryDelay(tc.initial, tc.mult, tc.max, tc.retry))
		})
	}
}

func TestEqualJitter(t *testing.T) {
	assert.Equal(t, 2.0, EqualJitter(4, 0))
	assert.Equal(t, 3.0, EqualJitter(4, 0.5))
	assert.Equal(t, 3.5, EqualJitter(4, 0.75))
}

func TestPercentileShared(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct{ p, want float64 }{
		{0, 1}, {0.10, 1}, {0.11, 2}, {0.50, 5}, {0.95, 10}, {0.99, 10}, {1, 10}, {-0.05, 1}, {1.5, 10}, {math.NaN(), 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.p), func(t *testing.T) {
			assert.Equal(t, tc.want, Percentile(xs, tc.p))
		})
	}
	twenty := make([]float64, 20)
	for i := range twenty {
		twenty[i] = float64(i + 1)
	}
	assert.Equal(t, 19.0, Percentile(twenty, 0.95), "nearest rank: ⌈0.95 × 20⌉ = 19th")
	assert.Equal(t, 0.0, Percentile(nil, 0.5))
}

func FuzzPercentile(f *testing.F) {
	f.Add(3, 0.5)
	f.Add(1, 0.99)
	f.Add(0, 0.95)
	f.Add(100, 0.000001)
	f.Fuzz(func(t *testing.T, n int, p float64) {
		if n < 0 || n > 1000 {
			return
		}
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(i * i)
		}
		got := Percentile(xs, p)
		if n == 0 {
			require.Equal(t, 0.0, got)
			return
		}
		require.True(t, slices.Contains(xs, got), "a nearest-rank percentile is a sample value")
	})
}
