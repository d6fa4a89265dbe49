package capacity

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func timeoutOf(t *testing.T, r Report, scenario, workload string) TimeoutBudget {
	t.Helper()
	for _, tb := range scenarioOf(t, r, scenario).Timeouts {
		if tb.Workload == workload {
			return tb
		}
	}
	require.Failf(t, "no timeout budget", "%s in %s", workload, scenario)
	return TimeoutBudget{}
}

func TestTimeoutSlotExhaustionAtTheUsableSlots(t *testing.T) {
	// issueStack's rollout: the new revision's 8 × 2 = 16 startup
	// connections meet the old revision's 8 × 14 = 112 held ones. 128
	// usable slots (max_connections 133) carry them; 127 do not.
	rollout := ScenarioRolloutPrefix + "api"
	tests := []struct {
		scenario  string
		maxConn   int
		exhausted bool
		cause     string
	}{
		{rollout, 133, false, ""},
		{rollout, 132, true, "slot exhaustion: 16 startup connections + 112 already held > 127 usable slots on db"},
		// The cold start holds nothing yet: 16 startup connections on 16 slots fit, on 15 not.
		{ScenarioColdStart, 21, false, ""},
		{ScenarioColdStart, 20, true, "slot exhaustion: 16 startup connections > 15 usable slots on db"},
	}
	for _, tt := range tests {
		topo := issueStack()
		topo.Databases[0].MaxConnections = tt.maxConn
		r := Analyze(topo)
		scenario := tt.scenario
		tb := timeoutOf(t, r, scenario, "api")
		assert.Equal(t, tt.exhausted, tb.SlotsExhausted, "max_connections %d", tt.maxConn)
		assert.Equal(t, tt.cause, tb.Cause, "max_connections %d", tt.maxConn)
		fs := scenarioFindings(r, scenario, CheckTimeoutBudget, "api")
		if !tt.exhausted {
			assert.Empty(t, fs)
			continue
		}
		assert.Equal(t, SeverityFail, tb.Severity)
		require.Len(t, fs, 1)
		assert.Equal(t, SeverityFail, fs[0].Severity)
		assert.Contains(t, fs[0].Message, "cause: "+tt.cause)
	}
}

func TestTimeoutAcceptQueueNamedFromOneSecond(t *testing.T) {
	// n connections at 2/s queue n ÷ 2 s; from 1 s on the queue is a cause.
	for _, tt := range []struct {
		n     int
		cause string
	}{
		{1, ""},
		{2, "accept queue 2 connections ÷ 2/s = 1.0 s on db"},
	} {
		topo := acceptTopology(tt.n, 0.5, 60)
		topo.Assumptions.AcceptRatePerSecond = 2
		tb := timeoutOf(t, Analyze(topo), ScenarioColdStart, "w")
		assert.Equal(t, float64(tt.n)/2, tb.QueueSeconds)
		assert.Equal(t, tt.cause, tb.Cause, "%d connections", tt.n)
	}
}

func TestTimeoutSaturatedConnectorWithoutScaleOut(t *testing.T) {
	// e2-micro min 2 / max 3 carries 300 Mbps. The overshoot (2 × 5 × 50
	// Mbps) starts where full-scale traffic left it, at its maximum of 3:
	// no scale-out is left to wait for, so the only cause is saturation.
	topo := microConnectorStack(3)
	r := Analyze(topo)
	tb := timeoutOf(t, r, ScenarioOvershoot, "w")
	assert.True(t, tb.EgressSaturated)
	assert.Zero(t, tb.EgressDelaySeconds)
	assert.Equal(t, "connector c cannot carry the storm even at 3 instances", tb.Cause)
	assert.Equal(t, SeverityFail, tb.Severity)
	// The cold start (from 2) still scales out once.
	cold := timeoutOf(t, r, ScenarioColdStart, "w")
	assert.False(t, cold.EgressSaturated)
	assert.Equal(t, DefaultAssumptions().ConnectorScaleOutSeconds, cold.EgressDelaySeconds)
	assert.Equal(t, fmt.Sprintf("connector c scale-out 1 × %g s = %g s", cold.EgressDelaySeconds, cold.EgressDelaySeconds), cold.Cause)
}

func TestTimeoutDirectEgressWarmUpRoom(t *testing.T) {
	// One connection at 2/s (queue 0.5 s) + 0.5 s handshake: the budget
	// needs 60 + 0.5 + 0.5 = 61 s of room for the documented "a minute or
	// more" warm-up when the assumed warm-up is shorter.
	mk := func(timeout float64) Report {
		topo := acceptTopology(1, 0.5, timeout)
		topo.Assumptions.AcceptRatePerSecond = 2
		topo.Assumptions.DirectEgressStartupSeconds = 10
		w := &topo.Workloads[0]
		w.Method, w.Egress = MethodPrivateIP, EgressDirect
		topo.Egress = []Egress{{Region: "r", Kind: EgressDirect, Name: "d", SubnetCIDR: "10.10.0.0/24"}}
		return Analyze(topo)
	}
	for _, tt := range []struct {
		timeout float64
		warn    bool
	}{{DirectEgressWarnSeconds + 1, false}, {DirectEgressWarnSeconds + 0.5, true}} {
		r := mk(tt.timeout)
		tb := timeoutOf(t, r, ScenarioColdStart, "w")
		assert.Equal(t, 10.0, tb.EgressDelaySeconds)
		assert.Equal(t, "Direct VPC egress warm-up 10 s", tb.Cause)
		fs := scenarioFindings(r, ScenarioColdStart, CheckTimeoutBudget, "w")
		if !tt.warn {
			assert.Equal(t, SeverityOK, tb.Severity, "timeout %g s", tt.timeout)
			assert.Empty(t, fs)
			continue
		}
		assert.Equal(t, SeverityWarn, tb.Severity, "timeout %g s", tt.timeout)
		require.Len(t, fs, 1)
		assert.Equal(t, SeverityWarn, fs[0].Severity)
		assert.Equal(t, fmt.Sprintf("cold-start: workload w (r): Direct VPC egress may delay connections \"a minute or more\" at startup (docs/gcp-limits.md#direct-vpc-egress); the budget %.0f s leaves no room for %d s + the connect path", tt.timeout, DirectEgressWarnSeconds), fs[0].Message)
	}
}
