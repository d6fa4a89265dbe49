package contract

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/infra/capacity"
)

func TestBoundCheckEdges(t *testing.T) {
	p99 := TargetConnectP99Seconds
	assert.NoError(t, p99.Check(3600))
	assert.NoError(t, p99.Check(0.001))
	assert.EqualError(t, p99.Check(5000), "must be a number in (0, 3600], got 5000")
	assert.EqualError(t, p99.Check(0), "must be a number in (0, 3600], got 0")
	assert.Error(t, p99.Check(3600.0001))
	assert.Error(t, p99.Check(math.NaN()))
	rate := TargetStartupSuccessRate
	assert.NoError(t, rate.Check(0.999))
	assert.EqualError(t, rate.Check(1), "must be a number in (0, 1), got 1")
	ramp := AssumeRampSeconds
	assert.NoError(t, ramp.Check(0), "closed minimum")
	assert.Error(t, ramp.Check(-0.5))
	mult := AssumeRetryMultiplier
	assert.NoError(t, mult.Check(1))
	assert.Error(t, mult.Check(0.999))
	res := AssumeReservedConnections
	assert.NoError(t, res.Check(100000))
	assert.EqualError(t, res.Check(1.5), "must be a whole number in [0, 100000], got 1.5")
	assert.Error(t, res.Check(100001))
	assert.NoError(t, AssumeSeed.Check(-1278))
	assert.Error(t, AssumeSeed.Check(1<<54))
}

func TestBoundsCoverEveryKeyOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range append(Targets(), Assumptions()...) {
		require.False(t, seen[b.Key], b.Key)
		seen[b.Key] = true
		if !math.IsNaN(b.Default) {
			assert.NoError(t, b.Check(b.Default), "%s: the default is allowed", b.Key)
		}
	}
	assert.Len(t, Targets(), 3)
	assert.Len(t, Assumptions(), 14)
}

// TestPassComparisonEdges: the one comparison for the model and the probe:
// strictly above the success target, strictly under the p99 target.
func TestPassComparisonEdges(t *testing.T) {
	assert.False(t, SuccessMeets(0.90, 0.90), "equal to the target fails (> 90 %)")
	assert.True(t, SuccessMeets(0.9000001, 0.90))
	assert.False(t, SuccessMeets(0.89, 0.90))
	assert.False(t, ConnectMeets(30, 30), "equal to the target fails (< 30 s)")
	assert.True(t, ConnectMeets(29.999, 30))
	assert.False(t, ConnectMeets(31, 30))
	assert.Equal(t, capacity.SuccessMeets(0.95, 0.9), SuccessMeets(0.95, 0.9))
	assert.Equal(t, ">", SuccessComparison)
	assert.Equal(t, "<", ConnectComparison)
}

func TestCheckRetry(t *testing.T) {
	assert.NoError(t, CheckRetry(0, 0))
	assert.NoError(t, CheckRetry(2, 2))
	assert.EqualError(t, CheckRetry(2, 1.5), "must be ≥ retryInitialSeconds (2), got 1.5")
	assert.Error(t, CheckRetry(0, capacity.DefaultRetryInitialSeconds/2))
}
