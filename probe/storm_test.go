package probe

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/headroom-dev/headroom/testkit/pgtest"
)

func baseConfig(dsn string) Config {
	return Config{
		DSN:                dsn,
		Instances:          4,
		StartupConnections: 2,
		ConnectTimeout:     5 * time.Second,
		AttemptTimeout:     2 * time.Second,
		Backoff:            Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond, Multiplier: 2},
		Deadline:           30 * time.Second,
	}
}

func TestStormUnderLimit(t *testing.T) {
	c := pgtest.Shared(t)
	cfg := baseConfig(c.DSN)
	cfg.MonitorDSN = c.AdminDSN
	cfg.Hold = 300 * time.Millisecond
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, 4, res.Ready)
	assert.Equal(t, 1.0, res.SuccessRate)
	assert.Equal(t, 8, res.Outcomes[OutcomeOK])
	assert.Equal(t, 8, res.Attempts)
	assert.Equal(t, 8, res.PeakSessions, "all 8 sessions are held together for 300 ms; the 20 ms poll must see them")
	assert.Equal(t, "server", res.PeakSource)
	assert.Equal(t, 8, res.PeakClientSessions)
	assert.Equal(t, 0, res.LeftoverSessions)
	assert.Equal(t, 4, res.TimeToReady.Count)
	assert.Greater(t, res.TimeToReady.P95, 0.0)
	assert.False(t, res.DeadlineReached)
	n, err := c.WaitSessions(context.Background(), res.ApplicationName, 5*time.Second)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestStormOverLimitWithoutRelease(t *testing.T) {
	c := pgtest.Shared(t)
	// 20 instances × 2 = 40 sessions against 27 usable; nobody releases
	// within the 3 s connect timeout, so some instances must fail with
	// too_many_clients. The timeouts leave room for a loaded machine: an
	// attempt that times out would hide the refusal this test is about.
	cfg := baseConfig(c.DSN)
	cfg.Instances = 20
	cfg.ConnectTimeout = 3 * time.Second
	cfg.AttemptTimeout = 2 * time.Second
	cfg.Hold = 4 * time.Second
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Less(t, res.Ready, 20)
	assert.Greater(t, res.Ready, 0)
	assert.Greater(t, res.Outcomes[OutcomeTooManyClients], 0)
	assert.LessOrEqual(t, res.PeakClientSessions, c.MaxConnections-c.Reserved)
	for _, ir := range res.InstanceResults {
		if !ir.Ready {
			assert.Equal(t, OutcomeTooManyClients, ir.Failure, "instance %d", ir.Index)
		}
	}
	n, err := c.WaitSessions(context.Background(), res.ApplicationName, 5*time.Second)
	require.NoError(t, err)
	assert.Zero(t, n)
}
